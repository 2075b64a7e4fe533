#!/usr/bin/env python3
"""Time `driftlint check` on revision graphs of hostile shapes against a plain chain of the same size.

    python benchmarks/graph_shapes.py [--sizes 2000,4000] [--repeat 3] [--graph]

Shapes, each of N revision files with an empty upgrade():

- chain: 1 <- 2 <- ... <- N, the reference;
- bases-merged: N-1 bases merged by one revision (every base is a multiple-bases finding);
- two-cycle: a chain of N-2 with two revisions that name each other as down_revision;
- cycle: N revisions in one down_revision cycle;
- branchy: a trunk with a two-revision side branch off every fifth revision, merged five later.

It prints the median wall time of `driftlint check --no-cache` per shape and its ratio to the chain,
and the size of the output (JSON), which must stay linear in N. `--graph` also times
`driftlint graph --format mermaid` and reports the length of the text.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INI = "[alembic]\nscript_location = %(here)s/migrations\n"


def _revision(rid: str, down: object) -> str:
    return f'"""{rid}"""\nrevision = {rid!r}\ndown_revision = {down!r}\n\n\ndef upgrade():\n    pass\n'


def shape(name: str, n: int) -> dict[str, object]:
    """revision id -> down_revision."""
    ids = [f"r{i:05d}" for i in range(n)]
    if name == "chain":
        return {rid: (ids[i - 1] if i else None) for i, rid in enumerate(ids)}
    if name == "bases-merged":
        return {**{rid: None for rid in ids[:-1]}, ids[-1]: tuple(ids[:-1])}
    if name == "two-cycle":
        graph: dict[str, object] = {rid: (ids[i - 1] if i else None) for i, rid in enumerate(ids[:-2])}
        graph[ids[-2]], graph[ids[-1]] = ids[-1], ids[-2]
        return graph
    if name == "cycle":
        return {rid: ids[i - 1] for i, rid in enumerate(ids)}  # ids[-1] closes the loop at ids[0]
    if name == "branchy":
        graph = {}
        fresh = iter(ids)
        trunk: str | None = None
        merges: dict[int, str] = {}  # trunk step -> the side branch tip it merges
        step = 0
        while len(graph) < n:
            rid = next(fresh)
            graph[rid] = (trunk, merges.pop(step)) if step in merges and trunk else trunk
            trunk, step = rid, step + 1
            if step % 5 == 0 and len(graph) + 3 <= n:
                side, tip = next(fresh), next(fresh)
                graph[side], graph[tip] = trunk, side
                merges[step + 2] = tip
        return graph
    raise ValueError(name)


def write(root: Path, graph: dict[str, object]) -> None:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text(INI, encoding="utf-8")
    (root / "migrations" / "env.py").write_text('"""env"""\n', encoding="utf-8")
    for rid, down in graph.items():
        (versions / f"{rid}_step.py").write_text(_revision(rid, down), encoding="utf-8")


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr.decode()[-2000:]}")
    return elapsed, len(completed.stdout)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shapes", default="chain,bases-merged,two-cycle,cycle,branchy")
    parser.add_argument("--graph", action="store_true", help="also time `driftlint graph --format mermaid`")
    options = parser.parse_args(argv)
    driftlint = [sys.executable, "-m", "driftlint"]
    for size in (int(s) for s in options.sizes.split(",")):
        reference = None
        for name in options.shapes.split(","):
            with tempfile.TemporaryDirectory() as folder:
                root = Path(folder)
                write(root, shape(name, size))
                check = [*driftlint, "check", "--no-cache", "--output-format", "json", "--jobs", "1"]
                timed(check, root)  # warm the interpreter's own caches
                runs = [timed(check, root) for _ in range(options.repeat)]
                seconds = statistics.median(t for t, _ in runs)
                reference = reference or seconds
                line = f"{size:>6} {name:<14} check {seconds:7.2f} s  x{seconds / reference:5.2f}  output {runs[0][1]:>10,} bytes"
                if options.graph:
                    picture, length = timed([*driftlint, "graph", "--no-cache", "--format", "mermaid"], root)
                    line += f"  graph {picture:6.2f} s  mermaid {length:>8,} chars"
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    raise SystemExit(main(sys.argv[1:]))
