"""The `driftlint` program (console script and `python -m driftlint`).

A plain `driftlint check` on an unchanged project is answered from the cache before click and
the command definitions are imported (driftlint.fastpath); everything else runs driftlint.cli.
"""

from __future__ import annotations

import gc
import sys


def main() -> None:
    # One command, then exit: see driftlint.cli.main for why the cycle collector stays off.
    gc.disable()
    from driftlint.fastpath import answer

    code = answer(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from driftlint.cli import main as command_line

    command_line()


if __name__ == "__main__":
    main()
