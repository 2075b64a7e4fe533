"""The `driftlint` program (console script and `python -m driftlint`).

A plain `driftlint check` on an unchanged project is answered before click and the command
definitions are imported: by a stored snapshot of its output (driftlint.snapshot), else from the
whole-run cache (driftlint.fastpath); everything else runs the command line (driftlint.cli).
"""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn

# Commands that build a whole project in memory and register nothing to run at exit (verify's
# embedded server and the language server do): they end with _exit_now.
_BUILDING = frozenset({"check", "fix", "graph"})
_hard_exit = os._exit  # tests that call main() in their own process put sys.exit here


def main() -> None:
    # One command, then exit: the cycle collector would only re-scan objects that live until the
    # end (the parsed project, a loaded fact pack: a third of a warm run's CPU time on a
    # 2,000-revision history, and a full pass over them when re-enabled). Reference counting
    # frees everything acyclic. This is the one place driftlint turns it off.
    gc.disable()
    argv = sys.argv[1:]
    from driftlint import snapshot

    code = snapshot.answer(argv)
    if code is not None:
        sys.exit(code)
    from driftlint.fastpath import answer

    try:
        code = answer(argv)
    except KeyboardInterrupt:
        sys.stderr.write("driftlint: interrupted\n")
        sys.exit(2)
    if code is not None:
        _exit_now(code)
    from driftlint.cli import main as command_line

    if not argv or argv[0] not in _BUILDING:
        command_line(argv)
        return
    try:
        command_line(argv)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            _exit_now(exc.code or 0)
        raise


def _exit_now(code: int) -> NoReturn:
    """Exit once the output is flushed, without the interpreter's teardown.

    With the cycle collector off, the project's objects that refer to each other (an analysis and
    the history it indexes) outlive the command, and the teardown's final collection walks them
    all: a fifth of a check after a SQL edit of a 2,000-revision history. Nothing is left to do
    at that point: every cache entry is written and every child collected before the report."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # under cProfile or coverage, whose results are written at exit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(code)  # the output failed: the usual exit, whose report of it the tests pin
    _hard_exit(code)


if __name__ == "__main__":
    main()
