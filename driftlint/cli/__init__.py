"""The `driftlint` command line: check, fix, graph, verify, server, rules and explain. click is imported here
and nowhere else; each command's module is loaded only when that command runs."""

from __future__ import annotations

import importlib
import sys
from typing import Sequence

import click

import driftlint
from driftlint.cli.options import Program

COMMANDS = {
    "check": "driftlint.cli.check:check",
    "fix": "driftlint.cli.fix:fix",
    "graph": "driftlint.cli.graph:graph",
    "server": "driftlint.cli.server:server",
    "verify": "driftlint.cli.verify:verify",
    "rules": "driftlint.cli.rules:rules",
    "explain": "driftlint.cli.rules:explain",
}


class DriftlintGroup(click.Group):
    """Loads a command's module only when it is called, keeping `check` start-up light."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module_name, _, attribute = COMMANDS[name].partition(":")
            command: click.Command = getattr(importlib.import_module(module_name), attribute)
            return command
        return super().get_command(ctx, name)


@click.group(cls=DriftlintGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(driftlint.__version__, "--version", prog_name="driftlint")
def cli() -> None:
    """Catch Alembic migration and Celery task drift before it reaches a database.

    Exit codes: 0 nothing found, 1 findings, 2 usage, configuration or internal error.
    """


def main(argv: Sequence[str]) -> None:
    """Run the command line on `argv` (the program's arguments) and exit."""
    try:
        cli.main(args=list(argv), prog_name="driftlint", obj=Program(tuple(argv)))
    except KeyboardInterrupt:
        click.echo("driftlint: interrupted", err=True)
        sys.exit(2)
