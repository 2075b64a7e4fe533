"""Forked worker processes: one piece of work in a child, or chunks shared out through a pipe of tickets.

Nothing here knows what the work is: callers hand in functions and picklable results come back.
A child that fails costs only time (its work is done again in the parent); an interrupted parent
leaves no child behind. Without fork (Windows) everything runs in the calling process.
"""

from __future__ import annotations

import os
import pickle
import signal
from typing import Any, Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
Item = TypeVar("Item")

# Chunks the processes take one at a time: at most 255 (a ticket is one byte), of at least this
# many items.
CHUNK_ITEMS = 8
MAX_CHUNKS = 255


def available_cpus() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    return min(count, 8)


def process_count(jobs: int | None) -> int:
    """How many processes a run uses: `jobs` when given, else the CPUs available (at most 8)."""
    return jobs if jobs is not None else available_cpus()


class Child:
    """A forked process doing one piece of work and sending its picklable result on a pipe: at the
    end (`collect`), or, `streaming`, each item of what it yields as soon as it has it (`receive`)."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid = pid
        self.pipe: int | None = pipe
        self.buffer = bytearray()

    @classmethod
    def start(cls, work: Callable[[], Any], streaming: bool = False) -> Child | None:
        """Run `work` in a child; None when no child can be started (the caller then does the
        work itself)."""
        if not hasattr(os, "fork"):
            return None
        try:
            read_end, write_end = os.pipe()
        except OSError:
            return None
        if streaming:
            _widen(write_end)
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: work, send, and leave without running the parent's exit handlers
            status = 1
            try:
                os.close(read_end)
                if streaming:
                    for item in work():
                        data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
                        _write_all(write_end, len(data).to_bytes(8, "little") + data)
                else:
                    _write_all(write_end, pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL))
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        return cls(pid, read_end)

    def collect(self) -> Any:
        """The child's result; None when it failed."""
        assert self.pipe is not None
        chunks = []
        try:
            while chunk := os.read(self.pipe, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self.pipe)
            self.pipe = None
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if status != 0:
            return None
        try:
            return pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001 - a truncated message: the caller does that work itself
            return None

    def receive(self, wait: bool) -> list[Any]:
        """A streaming child's items that arrived whole: those already sent (`wait` False), or all
        it will send, after which it is reaped. An item cut short by the child's failure, or that
        cannot be read, is dropped; the caller does that work itself."""
        if self.pipe is None:
            return []
        os.set_blocking(self.pipe, wait)
        ended = False
        try:
            while chunk := os.read(self.pipe, 1 << 20):
                self.buffer += chunk
            ended = True
        except BlockingIOError:
            pass  # nothing more for now
        items = []
        view = memoryview(self.buffer)
        offset = 0
        while len(view) - offset >= 8:
            length = int.from_bytes(view[offset : offset + 8], "little")
            if len(view) - offset - 8 < length:
                break
            try:
                items.append(pickle.loads(view[offset + 8 : offset + 8 + length]))
            except Exception:  # noqa: BLE001 - garbled: left to the caller
                pass
            offset += 8 + length
        view.release()
        del self.buffer[:offset]
        if ended:
            os.close(self.pipe)
            self.pipe = None
            os.waitpid(self.pid, 0)
            self.pid = 0
        return items

    def abandon(self) -> None:
        """Stop and reap a child that was not collected."""
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass  # already gone
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass  # already reaped
            self.pid = 0


def share(
    items: Sequence[Item],
    work: Callable[[Sequence[Item]], list[T]],
    processes: int,
    accept: Callable[[Any], bool],
) -> list[tuple[T, bytes | None]]:
    """`work` applied to every item, in order, by `processes` processes (this one included): each
    result with its pickled form when a child produced it (so a caller that stores results need
    not pickle them again).

    The parent forks `processes - 1` children and works too: on two cores a pool of two workers
    left the parent idle. The items are cut into chunks, and every process takes the next chunk
    from a shared pipe of one-byte tickets until none is left, so no process waits for another
    that drew the slower items (fixed shares did). A child sends each chunk's results as soon as
    it has them, and the parent loads them between its own chunks; a result `accept` refuses is
    dropped. A chunk a child took but never delivered (it failed, or could not be started) is
    done here at the end: a failure costs only time.
    """
    if processes <= 1 or not hasattr(os, "fork"):
        return [(result, None) for result in work(items)]
    size = max(CHUNK_ITEMS, -(-len(items) // MAX_CHUNKS))
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    results: list[list[tuple[T, bytes | None]] | None] = [None] * len(chunks)
    tickets = make_tickets(len(chunks))
    children: list[Child] = []
    try:
        if tickets is not None:
            for _ in range(processes - 1):
                child = Child.start(_chunk_worker(tickets, chunks, work), streaming=True)
                if child is not None:
                    children.append(child)
            while (index := take_ticket(tickets)) is not None:
                results[index] = [(result, None) for result in work(chunks[index])]
                for child in children:
                    _store_chunks(child.receive(wait=False), results, accept)
            for child in children:
                _store_chunks(child.receive(wait=True), results, accept)
        for index, chunk in enumerate(chunks):
            if results[index] is None:  # never taken, or taken by a child that did not deliver it
                results[index] = [(result, None) for result in work(chunk)]
    finally:
        # An interrupted parent (Ctrl-C, an alarm) must not leave children blocked on their pipes.
        if tickets is not None:
            os.close(tickets)
        for child in children:
            child.abandon()
    return [item for chunk_results in results for item in chunk_results]  # type: ignore[union-attr]


def _chunk_worker(
    tickets: int, chunks: list[Sequence[Item]], work: Callable[[Sequence[Item]], list[T]]
) -> Callable[[], Iterator[tuple[int, list[bytes]]]]:
    """In a child: (chunk index, each result pickled) for every chunk it takes."""

    def run() -> Iterator[tuple[int, list[bytes]]]:
        while (index := take_ticket(tickets)) is not None:
            yield index, [pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL) for result in work(chunks[index])]

    return run


def _store_chunks(received: list[Any], results: list[Any], accept: Callable[[Any], bool]) -> None:
    """A child's chunks into `results`; one that cannot be read stays None (the parent redoes it)."""
    for item in received:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], int) and 0 <= item[0] < len(results):
            index, blobs = item
            try:
                loaded = [(pickle.loads(blob), blob) for blob in blobs]
            except Exception:  # noqa: BLE001 - garbled: done again here
                continue
            if all(accept(result) for result, _blob in loaded):
                results[index] = loaded


def make_tickets(count: int) -> int | None:
    """The read end of a pipe holding one byte per chunk, 0 to count - 1, its write end closed
    (a read at the end gives b""); None when no pipe can be made."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        os.write(write_end, bytes(range(count)))  # at most 255 bytes: one atomic write
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    return read_end


def take_ticket(tickets: int) -> int | None:
    """The next chunk to take, or None when all are taken; a one-byte read is never shared
    between two processes."""
    ticket = os.read(tickets, 1)
    return ticket[0] if ticket else None


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _widen(pipe: int) -> None:
    """Let a pipe hold a megabyte where Linux allows it (64 KiB by default), so that a child
    streaming results seldom waits for the parent to read them."""
    try:
        import fcntl

        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, 1 << 20)  # type: ignore[attr-defined]
    except (ImportError, AttributeError, OSError):
        pass
