"""The language server: the protocol over stdio, a Session per workspace folder, checks debounced on one event loop.

Checks run on the event loop itself, one at a time: messages that arrive meanwhile wait in the
pipe and are read as soon as the check ends, so a burst of edits costs one check. Nothing here
starts a thread (stdin is read by the loop): the engine's forked workers fork a single-threaded
process.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Sequence

from lsprotocol import types as lsp
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

import driftlint
from driftlint.config import ConfigError
from driftlint.diagnostics import Diagnostic
from driftlint.server.actions import Context, EditSupport, fix_action, hover_text, ignore_action
from driftlint.server.convert import Mark, Paths, Text, absolute, contains, marks, overlaps, publish_key, to_lsp
from driftlint.server.session import CONFIG_NAMES, Session
from driftlint.source import decode

logger = logging.getLogger("driftlint.server")

DEFAULT_DEBOUNCE = 0.1  # seconds from the last edit of a burst to its check
# Files that mark a project root, for a document opened outside every workspace folder.
ROOT_MARKERS = ("alembic.ini", "driftlint.toml", "pyproject.toml")
# Files whose change on disk the server must hear of (workspace/didChangeWatchedFiles).
WATCHED = ("**/*.py", "**/*.ini", "**/pyproject.toml", "**/driftlint.toml", "**/script.py.mako")
CLIENT_POLL_SECONDS = 5.0
CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.M)


class DriftlintServer(LanguageServer):
    """What the server keeps: its sessions, the open documents' versions, what it has published."""

    def __init__(self) -> None:
        super().__init__("driftlint", driftlint.__version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.debounce = DEFAULT_DEBOUNCE
        self.folders: list[Path] = []
        self.sessions: dict[Path, Session] = {}
        self.timers: dict[Session, asyncio.TimerHandle] = {}
        self.versions: dict[Path, int] = {}
        # Per file, each session's findings there: (what they depend on, the findings, as sent).
        self.shown: dict[Path, dict[Session, tuple[tuple[object, ...], list[tuple[Mark, lsp.Diagnostic]]]]] = {}
        self.problems: dict[Session, str] = {}
        self.watching = False
        self.support = EditSupport()
        self.paths = Paths()

    # -- sessions ------------------------------------------------------------------------------

    def session_for(self, path: Path) -> Session | None:
        """The session of the innermost workspace folder holding `path`; for a file outside every
        folder, one rooted at its nearest ancestor with a project marker (alembic.ini...)."""
        holding = [folder for folder in self.sessions if path.is_relative_to(folder)]
        if holding:
            return self.sessions[max(holding, key=lambda folder: len(folder.parts))]
        for directory in path.parents:
            if any((directory / marker).is_file() for marker in ROOT_MARKERS):
                return self.open_session(directory)
        return None

    def open_session(self, folder: Path) -> Session:
        """The session of a folder as the client names it (checked at its real path)."""
        folder = self.paths.add(folder)
        if folder not in self.sessions:
            self.sessions[folder] = Session(folder)
            self.schedule(self.sessions[folder], 0.0)
        return self.sessions[folder]

    def close_session(self, folder: Path) -> None:
        session = self.sessions.pop(folder, None)
        if session is not None:
            timer = self.timers.pop(session, None)
            if timer is not None:
                timer.cancel()
            for path, shown in list(self.shown.items()):
                if shown.pop(session, None) is not None:
                    self.send(path)

    # -- checking ------------------------------------------------------------------------------

    def schedule(self, session: Session, delay: float) -> None:
        """Check the session `delay` seconds from now, unless another change comes first."""
        timer = self.timers.pop(session, None)
        if timer is not None:
            timer.cancel()
        self.timers[session] = asyncio.get_running_loop().call_later(delay, self.run, session)

    def flush(self, session: Session) -> None:
        """Check now what a pending check would (a code action or hover must see the buffer as it is)."""
        if session in self.timers or session.dirty:
            self.run(session)

    def run(self, session: Session) -> None:
        timer = self.timers.pop(session, None)
        if timer is not None:
            timer.cancel()
        if session.folder not in self.sessions:
            return
        diagnostics: Sequence[Diagnostic] = []
        started = time.perf_counter()
        try:
            outcome = session.check()
        except ConfigError as exc:
            self.problem(session, str(exc))
        except Exception as exc:  # noqa: BLE001 - an internal error is one message, and the next edit starts afresh
            logger.exception("checking %s failed", session.folder)
            self.problem(session, f"internal error: {exc}")
            session.reload()
        else:
            self.problems.pop(session, None)
            diagnostics = outcome.diagnostics
            logger.info(
                "checked %s in %.3f s: %d rules run%s", session.folder, time.perf_counter() - started,
                outcome.rules_run, ", revision graphs built" if outcome.graphs_rebuilt else "",
            )
            if outcome.everything:
                # The project's facts live as long as the session: the cycle collector need
                # not walk them again on every full collection (a pause per edit otherwise).
                gc.freeze()
        self.publish(session, diagnostics)

    def problem(self, session: Session, message: str) -> None:
        """Say once what keeps a folder from being checked (as `check` exits 2 with one line)."""
        if self.problems.get(session) != message:
            self.problems[session] = message
            self.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=f"driftlint: {message}"))

    def publish(self, session: Session, diagnostics: Sequence[Diagnostic]) -> None:
        """Send each file's findings where they changed: every file with findings (its own, and
        those naming it among their related locations), open or not; every open document once
        per version, findings or not (the client knows that version was checked); and an empty
        list to each file whose findings are gone."""
        by_path: dict[Path, list[Mark]] = {}
        absolutes: dict[str, Path] = {}

        def absolute_of(relpath: str) -> Path:
            # Findings share their files: each path is made absolute once.
            if relpath not in absolutes:
                absolutes[relpath] = absolute(session.folder, relpath)
            return absolutes[relpath]

        for diagnostic in diagnostics:
            for mark in marks(diagnostic, absolute_of):
                by_path.setdefault(mark.path, []).append(mark)
        stale = [path for path, shown in self.shown.items() if session in shown]
        texts: dict[Path, Text | None] = {}

        def text_of(path: Path) -> Text | None:
            return self.text(session, path, texts)

        for path in dict.fromkeys([*by_path, *session.buffers, *stale]):
            found = by_path.get(path, [])
            key = publish_key(found, self.versions.get(path))
            shown = self.shown.setdefault(path, {})
            if session in shown and shown[session][0] == key:
                continue
            if found or path in session.buffers:
                shown[session] = (key, [(mark, to_lsp(mark, text_of, self.paths.uri, session.folder)) for mark in found])
            else:
                shown.pop(session, None)
            self.send(path)

    def send(self, path: Path) -> None:
        shown = self.shown.get(path, {})
        if not shown:
            self.shown.pop(path, None)
        sent = [converted for _key, pairs in shown.values() for _mark, converted in pairs]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=self.paths.uri(path), diagnostics=sent, version=self.versions.get(path))
        )

    def text(self, session: Session, path: Path, cache: dict[Path, Text | None] | None = None) -> Text | None:
        """A file's text as checked: its open buffer, else the disk; None when it cannot be read."""
        if cache is not None and path in cache:
            return cache[path]
        data = session.buffers.get(path)
        if data is None:
            try:
                data = path.read_bytes()
            except OSError:
                data = None
        text = Text(decode(data), self.workspace.position_encoding or lsp.PositionEncodingKind.Utf16) if data is not None else None
        if cache is not None:
            cache[path] = text
        return text

    def marks_in(self, session: Session, path: Path) -> list[tuple[Mark, lsp.Diagnostic]]:
        shown = self.shown.get(path, {}).get(session)
        return list(shown[1]) if shown is not None else []

    def context(self, session: Session) -> Context | None:
        if session.project is None:
            return None
        return Context(
            session.folder,
            session.project,
            dict(session.buffers),
            dict(self.versions),
            lambda path: self.text(session, path),
            self.paths.uri,
            self.support,
        )


def create_server() -> DriftlintServer:
    """The server with its handlers."""
    server = DriftlintServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: DriftlintServer, params: lsp.InitializeParams) -> None:
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        debounce = options.get("debounce")
        if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and debounce >= 0:
            ls.debounce = debounce / 1000
        ls.support = EditSupport.of(params.capabilities)
        folders = [to_fs_path(f.uri) for f in params.workspace_folders or []]
        if not folders and (params.root_uri or params.root_path):
            folders = [to_fs_path(params.root_uri) if params.root_uri else params.root_path]
        ls.folders = [Path(os.path.normpath(f)) for f in folders if f]
        if params.process_id is not None:
            _watch_client(params.process_id)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: DriftlintServer, params: lsp.InitializedParams) -> None:
        capabilities = ls.client_capabilities.workspace
        watch = capabilities.did_change_watched_files if capabilities else None
        if watch is not None and watch.dynamic_registration:
            ls.watching = True
            ls.client_register_capability(
                lsp.RegistrationParams(
                    registrations=[
                        lsp.Registration(
                            id="driftlint-watched-files",
                            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                                watchers=[lsp.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED]
                            ),
                        )
                    ]
                )
            )
        for folder in ls.folders:
            ls.open_session(folder)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DriftlintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        _buffer_changed(ls, params.text_document.uri, ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DriftlintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        _buffer_changed(ls, params.text_document.uri, ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DriftlintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        path = ls.paths.real(params.text_document.uri)
        if path is not None and not ls.watching:
            # No watcher tells of saves: a saved settings or Alembic config file is read again here.
            _disk_changed(ls, [(path, False)])

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DriftlintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        path = ls.paths.real(params.text_document.uri)
        if path is None:
            return
        ls.versions.pop(path, None)
        session = ls.session_for(path)
        if session is not None and path in session.buffers:
            session.set_buffer(path, None)
            ls.schedule(session, ls.debounce)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: DriftlintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        changes = []
        for change in params.changes:
            path = ls.paths.real(change.uri)
            if path is not None:
                changes.append((path, change.type != lsp.FileChangeType.Changed))
        _disk_changed(ls, changes)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: DriftlintServer, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        for removed in params.event.removed:
            path = ls.paths.real(removed.uri)
            if path is not None:
                ls.close_session(path.resolve())
        for added in params.event.added:
            named = to_fs_path(added.uri) if added.uri.startswith("file:") else None
            if named:
                ls.open_session(Path(os.path.normpath(named)))

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix])
    )
    def code_action(ls: DriftlintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        if params.context.only and not any(lsp.CodeActionKind.QuickFix.value.startswith(k) for k in params.context.only):
            return None
        path = ls.paths.real(params.text_document.uri)
        session = ls.session_for(path) if path is not None else None
        if path is None or session is None:
            return None
        ls.flush(session)
        context = ls.context(session)
        text = ls.text(session, path)
        if context is None or text is None:
            return None
        first, last = text.location(params.range.start), text.location(params.range.end)
        actions: list[lsp.CodeAction] = []
        for mark, converted in ls.marks_in(session, path):
            if overlaps((mark.start, mark.end), first, last):
                fixed = fix_action(mark.diagnostic, converted, context)
                # The comment goes where the finding is reported, which a related mark is not.
                ignored = ignore_action(mark.diagnostic, converted, context, path) if mark.via is None else None
                actions.extend(action for action in (fixed, ignored) if action is not None)
        return actions or None

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: DriftlintServer, params: lsp.HoverParams) -> lsp.Hover | None:
        path = ls.paths.real(params.text_document.uri)
        session = ls.session_for(path) if path is not None else None
        if path is None or session is None:
            return None
        ls.flush(session)
        text = ls.text(session, path)
        if text is None:
            return None
        where = text.location(params.position)
        under = [pair for pair in ls.marks_in(session, path) if contains((pair[0].start, pair[0].end), where)]
        if not under:
            return None
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=hover_text([m.diagnostic for m, _ in under])),
            range=under[0][1].range,
        )

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: DriftlintServer, params: Any) -> None:
        for timer in ls.timers.values():
            timer.cancel()
        ls.timers.clear()

    return server


def _buffer_changed(ls: DriftlintServer, uri: str, delay: float) -> None:
    path = ls.paths.real(uri)
    if path is None:
        return
    session = ls.session_for(path)
    if session is None:
        return
    document = ls.workspace.get_text_document(uri)
    if path.suffix == ".py":
        session.set_buffer(path, encoded(document.source))
    if document.version is not None:
        ls.versions[path] = document.version
    ls.schedule(session, delay)


def _disk_changed(ls: DriftlintServer, changes: Iterable[tuple[Path, bool]]) -> None:
    """Files changed on disk (path, created or deleted): each session they concern looks again.
    A settings or Alembic config file concerns every session at or below its folder."""
    touched: set[Session] = set()
    for path, created_or_deleted in changes:
        for folder, session in ls.sessions.items():
            config = path.name in CONFIG_NAMES or path.suffix in (".ini", ".toml")
            if path.is_relative_to(folder) or (config and folder.is_relative_to(path.parent)):
                session.disk_changed(path, created_or_deleted)
                touched.add(session)
    for session in touched:
        ls.schedule(session, ls.debounce)


def encoded(text: str) -> bytes:
    """A buffer's bytes as they would be saved: in the encoding its coding cookie declares (first
    two lines), else UTF-8."""
    head = "\n".join(text.split("\n", 2)[:2])
    match = CODING.search(head) if "coding" in head else None
    if match is not None:
        try:
            return text.encode(match.group(1))
        except (LookupError, UnicodeEncodeError):
            pass
    return text.encode("utf-8", "surrogatepass")


def _watch_client(pid: int) -> None:
    """Exit when the client process is gone, even if stdin stays open (held by a grandchild)."""
    if os.name != "posix":
        return  # os.kill(pid, 0) would terminate the process on Windows

    def poll() -> None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            logger.warning("the client (process %s) is gone: exiting", pid)
            raise SystemExit(0) from None
        except OSError:
            pass  # alive, owned by another user
        loop.call_later(CLIENT_POLL_SECONDS, poll)

    loop = asyncio.get_running_loop()
    loop.call_later(CLIENT_POLL_SECONDS, poll)


def serve(stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
    """Run the server over stdio until the client says exit or goes away; the exit code (0
    after shutdown and exit, or when the client is gone; 1 for an exit without shutdown, as the
    protocol says)."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    # Only the protocol writes to stdout: a stray print anywhere would corrupt the stream.
    sys.stdout = sys.stderr
    server = create_server()
    if not _is_pipe(stdin):
        # stdin from a file, or Windows: pygls reads it in a thread (no exit code of its own).
        server.start_io(stdin, stdout)
        return 0
    try:
        asyncio.run(_serve(server, stdin, stdout))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the client went away mid-message
    return 0


def _is_pipe(stream: BinaryIO) -> bool:
    """Whether the event loop can read `stream` itself (a pipe, socket or terminal on POSIX)."""
    if os.name != "posix":
        return False
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


async def _serve(server: DriftlintServer, stdin: BinaryIO, stdout: BinaryIO) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
    server.protocol.set_writer(StdoutWriter(stdout))
    # The exit notification raises SystemExit (with the protocol's code) out of run_async and
    # asyncio.run, where `serve` turns it into the exit code; end of input ends run_async.
    await run_async(threading.Event(), reader, server.protocol, logger, server.report_server_error)
