"""The `driftlint` program (console script and `python -m driftlint`).

A plain `driftlint check` on an unchanged project is answered before click and the command
definitions are imported: by a stored snapshot of its output (driftlint.snapshot), else from the
whole-run cache (driftlint.fastpath); everything else runs driftlint.cli.
"""

from __future__ import annotations

import gc
import sys


def main() -> None:
    # One command, then exit: see driftlint.cli.main for why the cycle collector stays off.
    gc.disable()
    argv = sys.argv[1:]
    from driftlint import snapshot

    code = snapshot.answer(argv)
    if code is not None:
        sys.exit(code)
    snapshot.program_argv = argv
    try:
        from driftlint.fastpath import answer

        try:
            code = answer(argv)
        except KeyboardInterrupt:
            sys.stderr.write("driftlint: interrupted\n")
            sys.exit(2)
        if code is not None:
            sys.exit(code)
        from driftlint.cli import main as command_line

        command_line()
    finally:
        snapshot.program_argv = None


if __name__ == "__main__":
    main()
