"""`driftlint server`: the language server over stdio, for editors (the [server] extra installs pygls)."""

from __future__ import annotations

import gc
import logging
import sys

import click

from driftlint.cli.options import fail
from driftlint.extras import missing_modules

INSTALL_HINT = "pip install 'driftlint[server]'"


@click.command()
@click.option("-v", "--verbose", is_flag=True, help="Log what the server does to stderr (the client's log).")
def server(verbose: bool) -> None:
    """Run the language server over stdio: findings as you type, fixes as code actions, rule
    documentation on hover. Started by an editor's LSP client, not by hand (see the README).

    Exit codes: 0 after the client's shutdown and exit, or when the client is gone; 1 for an
    exit without shutdown; 2 when pygls is not installed.
    """
    missing = missing_modules(("pygls", "lsprotocol"))
    if missing:
        raise fail(f"driftlint server needs {', '.join(missing)}, which the [server] extra installs: {INSTALL_HINT}")
    # driftlint.__main__ turns the cycle collector off for one short command; a server runs
    # for hours and replaces its project on every edit: the collector must run. What the first
    # check loads is frozen out of its scans (see DriftlintServer.run).
    gc.enable()
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO if verbose else logging.WARNING, format="driftlint server: %(levelname)s: %(message)s"
    )
    from driftlint.server.app import serve

    sys.exit(serve())

