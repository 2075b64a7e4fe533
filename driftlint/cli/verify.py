"""`driftlint verify`: the live gates against a real PostgreSQL, reported like `check`."""

from __future__ import annotations

from pathlib import Path

import click

import driftlint
from driftlint.arguments import split_codes
from driftlint.cli.options import debug_option, fail, output_options, selection_options, write_output
from driftlint.config import ConfigError
from driftlint.report import default_format, use_color


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--database-url", help="The database to verify, read-only [default: env DRIFTLINT_DATABASE_URL, else DATABASE_URL]."
)
@click.option(
    "--fresh/--no-fresh",
    default=None,
    help="Build a scratch database with `alembic upgrade heads` (on the target server, else in an embedded PostgreSQL), verify it, remove it.",
)
@click.option(
    "--roundtrip/--no-roundtrip",
    default=None,
    help="With --fresh: downgrade each revision right after its upgrade and upgrade it again (DL911, DL912).",
)
@selection_options
@click.option(
    "--url-env",
    multiple=True,
    help="Environment variable env.py reads the URL from (repeatable) [default: DATABASE_URL].",
)
@click.option(
    "--app-role", help="Role the application runs as (refreshes materialized views) [default: the URL's user]."
)
@click.option("--migration-role", help="Role migrations run as (row-level security) [default: the URL's user].")
@click.option("--read-only-role", help="Role that must not write the --read-only-table tables.")
@click.option(
    "--read-only-table",
    "read_only_tables",
    multiple=True,
    help="A table the read-only role must not write (repeatable).",
)
@click.option("--celery-app", help="module:attr of the Celery app; DL908 imports it, which runs your code.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.5),
    help="Connect timeout, and the statement and lock-wait timeout of every query, the migrations' too [default: 10 s].",
)
@output_options
@click.option(
    "-c", "--config", "alembic_config", type=click.Path(path_type=Path), help="Alembic config file (like `alembic -c`)."
)
@click.option("-n", "--name", "alembic_section", help="Section of the Alembic ini file (like `alembic -n`).")
@click.option("--settings", "settings_file", type=click.Path(path_type=Path), help="driftlint settings file.")
@debug_option
def verify(
    path: Path | None,
    database_url: str | None,
    fresh: bool | None,
    roundtrip: bool | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    url_env: tuple[str, ...],
    app_role: str | None,
    migration_role: str | None,
    read_only_role: str | None,
    read_only_tables: tuple[str, ...],
    celery_app: str | None,
    timeout: float | None,
    output_format: str | None,
    output_file: Path | None,
    exit_zero: bool,
    quiet: bool,
    color: str,
    alembic_config: Path | None,
    alembic_section: str | None,
    settings_file: Path | None,
    debug: bool,
) -> None:
    """Verify a live database (and with --fresh, the migrations themselves) against the project at PATH."""
    from driftlint.output import RenderContext, render, rule_metadata
    from driftlint.verify.database import MASK
    from driftlint.verify.run import VerifyRequest, run_verify

    given = {
        "database_url": database_url,
        "fresh": fresh,
        "roundtrip": roundtrip,
        "url_env": url_env,
        "app_role": app_role,
        "migration_role": migration_role,
        "read_only_role": read_only_role,
        "read_only_tables": read_only_tables,
        "celery_app": celery_app,
        "timeout": timeout,
        "output_format": output_format,
    }
    if database_url:
        # Registered before anything can fail, so even a parse error cannot echo the password.
        MASK.add_url(database_url)
    request = VerifyRequest(
        path=path or Path("."),
        cwd=Path.cwd(),
        settings_file=settings_file,
        alembic_config=alembic_config,
        alembic_section=alembic_section,
        given=given,
        select=split_codes(select),
        ignore=split_codes(ignore),
        extend_select=split_codes(extend_select),
    )
    try:
        result = run_verify(request, lambda line: click.echo(MASK(line), err=True))
    except ConfigError as exc:
        raise fail(MASK(str(exc))) from None
    except KeyboardInterrupt:
        raise fail("interrupted; the scratch database and embedded server were removed") from None
    except Exception as exc:  # noqa: BLE001 - one line unless --debug
        if debug:
            raise
        raise fail(MASK(f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)")) from None
    fmt = output_format or result.options.output_format or result.settings.output_format or default_format()
    context = RenderContext(
        cwd=Path.cwd(),
        color=use_color(color) and output_file is None,
        tool_version=driftlint.__version__,
        rules=rule_metadata(),
        files_checked=result.files_read,
    )
    write_output(render(result.diagnostics, fmt, context), output_file)
    if not quiet and fmt in ("full", "concise"):
        count = len(result.diagnostics)
        summary = "All gates passed!" if not count else f"Found {count} finding{'s' if count != 1 else ''}."
        click.echo(summary, err=output_file is None and fmt == "concise")
    if result.diagnostics and not exit_zero:
        raise click.exceptions.Exit(1)
