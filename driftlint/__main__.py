"""The `driftlint` program (console script and `python -m driftlint`).

A plain `driftlint check` on an unchanged project is answered before click and the command
definitions are imported: by a stored snapshot of its output (driftlint.snapshot), else from the
whole-run cache (driftlint.fastpath); everything else runs the command line (driftlint.cli).
"""

from __future__ import annotations

import gc
import sys


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
        sys.exit(code)
    from driftlint.cli import main as command_line

    command_line(argv)


if __name__ == "__main__":
    main()
