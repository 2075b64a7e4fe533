#!/usr/bin/env python3
"""Benchmark `driftlint server`: from a didChange of one revision to its publishDiagnostics, against `alembic heads`.

    python benchmarks/server.py [--revisions 2000] [--modules 500] [--rounds 7] [--work-dir DIR] [--out PATH]

It generates a repository with `../shared/bench/make_synth.py` (as benchmarks/run.py does), starts
`python -m driftlint server` in it under a real LSP client (pygls' LanguageClient, the [server]
extra) over stdio, waits for the first check, opens one revision in the middle of the history,
then measures, interleaved round by round in this one run so machine noise hits every figure alike:

- `alembic heads` in the same repository (revision bytecode cached, as run.py measures it);
- a didChange that changes the SQL of the open revision so that it reads another table (its
  schema facts change: the rules that read them run again), to the publishDiagnostics of that
  version of the file: the target is at most half of `alembic heads`;
- a didChange that only adds a comment (its facts are unchanged: no rule runs);
- a didChange of the revision's header that makes its parent a second head (the revision graphs
  are rebuilt and every rule reading them runs), to the publishDiagnostics marking the parent's
  file, which is not open.

Every latency includes the server's debounce (its default, 100 ms, unless --debounce MS), as a
user waits it. The server's start (imports, discovery, reading and extracting every file, every
rule) is reported once. It prints medians and ratios and writes a JSON summary (default
benchmarks/out/server.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from run import child_env, driftlint_env, find_generator, generate, run_child  # noqa: E402

DEFAULT_OUT = HERE / "out" / "server.json"
TARGET = 0.5  # the SQL edit's latency / alembic heads


class Client:
    """An editor over stdio: pygls' LanguageClient, recording when each publishDiagnostics arrives."""

    def __init__(self) -> None:
        from lsprotocol import types as lsp
        from pygls.lsp.client import LanguageClient

        self.lsp = lsp
        self.client = LanguageClient("driftlint-benchmark", "1")
        self.published: dict[str, tuple[float, int | None, list[object]]] = {}
        self.news = asyncio.Event()

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(ls: object, params: lsp.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = (time.perf_counter(), params.version, list(params.diagnostics))
            self.news.set()

        @self.client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
        def register(ls: object, _params: object) -> None:
            return None

    async def start(self, root: Path, debounce_ms: float | None) -> None:
        lsp = self.lsp
        await self.client.start_io(sys.executable, "-m", "driftlint", "server", cwd=str(root), env=driftlint_env())
        await self.client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(),
                process_id=os.getpid(),
                root_uri=root.as_uri(),
                workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                initialization_options={"debounce": debounce_ms} if debounce_ms is not None else None,
            )
        )
        self.client.initialized(lsp.InitializedParams())

    async def wait(self, uri: str, done: Callable[[tuple[float, int | None, list[object]]], bool]) -> float:
        """When the last publishDiagnostics for `uri` that satisfies `done` arrived."""
        while True:
            found = self.published.get(uri)
            if found is not None and done(found):
                return found[0]
            self.news.clear()
            await asyncio.wait_for(self.news.wait(), 600)

    async def change(self, uri: str, version: int, text: str, done: Callable[[list[object]], bool], where: str | None = None) -> float:
        """Seconds from sending a whole-document didChange to the publishDiagnostics of that
        version satisfying `done`, or (`where`) to the first one for that other file after it."""
        lsp = self.lsp
        start = time.perf_counter()
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        if where is not None:
            arrived = await self.wait(where, lambda found: found[0] > start and done(found[2]))
        else:
            arrived = await self.wait(uri, lambda found: found[1] == version and done(found[2]))
        return arrived - start

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        server = self.client._server
        if server is not None:
            await asyncio.wait_for(server.wait(), 60)
        await self.client.stop()


def sql_change(original: str, round_number: int) -> str:
    """What benchmarks/run.py's change_revision does: the op.execute also reads another table."""
    changed = original.replace(
        "SET name = lower(name)", f"SET name = lower(name) WHERE id IN (SELECT id FROM benchmark_{round_number})"
    )
    if changed == original:
        raise SystemExit("the generator's op.execute line was not found")
    return changed


def header_change(original: str, grandparent: str) -> str:
    """The revision now builds on its grandparent: its parent, which it alone built on, becomes
    a second head."""
    lines = [f'down_revision = "{grandparent}"' if line.startswith("down_revision") else line for line in original.splitlines()]
    return "\n".join(lines) + "\n"


HEADER = re.compile(r"""^(revision|down_revision) = ['"]([0-9a-f]+)['"]$""", re.M)


def pick_revision(versions: list[Path]) -> tuple[Path, Path, str]:
    """A revision from the middle of the history (by file name, as run.py picks it) whose parent
    has no other child and a parent of its own: (its file, its parent's file, its grandparent)."""
    parents: dict[str, str] = {}
    files: dict[str, Path] = {}
    for path in versions:
        found = dict(HEADER.findall(path.read_text()))
        if "revision" in found:
            files[found["revision"]] = path
            if "down_revision" in found:
                parents[found["revision"]] = found["down_revision"]
    children: dict[str, int] = {}
    for parent in parents.values():
        children[parent] = children.get(parent, 0) + 1
    middle = len(versions) // 2
    for path in versions[middle:] + versions[:middle]:
        revision = next((r for r, p in files.items() if p == path), None)
        parent = parents.get(revision or "")
        if parent is not None and children.get(parent) == 1 and parent in parents:
            return path, files[parent], parents[parent]
    raise SystemExit("no revision whose parent has a single child and a parent of its own")


def heads_of(diagnostics: list[object]) -> bool:
    return any(getattr(d, "code", None) == "DL101" for d in diagnostics)


async def measure(root: Path, rounds: int, debounce_ms: float | None) -> dict[str, object]:
    versions = sorted((root / "migrations" / "versions").glob("*.py"))
    victim, parent, grandparent = pick_revision(versions)
    uri = victim.as_uri()
    original = victim.read_text()
    heads_command = [sys.executable, "-m", "alembic", "-c", "alembic.ini", "heads"]
    run_child(heads_command, root, child_env())  # unmeasured: writes the revisions' bytecode
    client = Client()
    started = time.perf_counter()
    await client.start(root, debounce_ms)
    client.client.text_document_did_open(
        client.lsp.DidOpenTextDocumentParams(
            text_document=client.lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=original)
        )
    )
    first = await client.wait(uri, lambda found: found[1] == 1)
    startup = first - started
    figures: dict[str, list[float]] = {"alembic_heads": [], "sql_change": [], "comment": [], "second_head": []}
    version = 1
    try:
        for round_number in range(rounds):
            run, text = run_child(heads_command, root, child_env())
            if "(head)" not in text:
                raise SystemExit(f"alembic heads printed no head:\n{text}")
            figures["alembic_heads"].append(run.seconds)
            version += 1
            figures["sql_change"].append(await client.change(uri, version, sql_change(original, round_number), lambda found: True))
            version += 1
            commented = sql_change(original, round_number) + f"# round {round_number}\n"
            figures["comment"].append(await client.change(uri, version, commented, lambda found: True))
            version += 1
            # The parent becomes a head: its file (not open) is marked.
            second_head = header_change(original, grandparent)
            figures["second_head"].append(await client.change(uri, version, second_head, heads_of, parent.as_uri()))
            version += 1
            await client.change(uri, version, original, lambda found: not heads_of(found), parent.as_uri())
            print(
                f"  round {round_number + 1}/{rounds}: heads {figures['alembic_heads'][-1]:.3f}s"
                f"  sql change {figures['sql_change'][-1]:.3f}s  comment {figures['comment'][-1]:.3f}s"
                f"  second head {figures['second_head'][-1]:.3f}s",
                flush=True,
            )
    finally:
        await client.stop()
    medians = {key: statistics.median(values) for key, values in figures.items()}
    return {
        "revisions": len(versions),
        "debounce_ms": debounce_ms if debounce_ms is not None else 100,
        "startup_s": round(startup, 4),
        "figures": {key: {"median_s": round(medians[key], 4), "runs_s": [round(v, 4) for v in values]} for key, values in figures.items()},
        "sql_change_vs_heads": round(medians["sql_change"] / medians["alembic_heads"], 3),
        "comment_vs_heads": round(medians["comment"] / medians["alembic_heads"], 3),
        "second_head_vs_heads": round(medians["second_head"] / medians["alembic_heads"], 3),
        "target": TARGET,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 2)[1] if __doc__ else None)
    parser.add_argument("--revisions", type=int, default=2000)
    parser.add_argument("--modules", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--debounce", type=float, metavar="MS", help="the server's debounce (default: its own, 100 ms)")
    parser.add_argument("--work-dir", type=Path, help="where the repository is generated (default: benchmarks/out/server-work)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON summary path")
    args = parser.parse_args(argv)
    work = args.work_dir or HERE / "out" / "server-work"
    root = work / f"synth-{args.revisions}-{args.modules}"
    generate(find_generator(), root, args.revisions, args.modules)
    summary = asyncio.run(measure(root, args.rounds, args.debounce))
    figures = summary["figures"]
    assert isinstance(figures, dict)
    print(f"\n{summary['revisions']} revisions, {args.modules} task modules, debounce {summary['debounce_ms']} ms:")
    print(f"  server start to the first findings   {summary['startup_s']:.3f} s")
    print(f"  alembic heads                        {figures['alembic_heads']['median_s']:.3f} s")
    for key, label in (("sql_change", "didChange (SQL) to publishDiagnostics"), ("comment", "didChange (a comment)"),
                       ("second_head", "didChange (a second head)")):
        ratio = summary[f"{key}_vs_heads"]
        bound = f"  (target <= {TARGET}: {'met' if ratio <= TARGET else 'NOT MET'})" if key == "sql_change" else ""
        print(f"  {label:<40}{figures[key]['median_s']:.3f} s  {ratio:.2f}x alembic heads{bound}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
