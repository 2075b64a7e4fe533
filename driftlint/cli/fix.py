"""`driftlint fix`, and how fixes and suppression comments are written and reported (also for `check --fix/--diff/--add-ignore`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from driftlint.cli.options import fail, no_cache_option, project_options
from driftlint.config import ConfigError

if TYPE_CHECKING:
    from driftlint.diagnostics import Diagnostic
    from driftlint.fixes import FixRun


@click.command()
@project_options
@click.option("--select", multiple=True, help="Fix only these rules (codes, names or prefixes, comma separated).")
@click.option("--ignore", multiple=True, help="Rules to leave alone.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path),
              help="Leave the findings this baseline records alone [config: baseline].")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--unsafe-fixes", is_flag=True,
              help="Also apply fixes that can change what the application does at run time (a registry entry), as Ruff's unsafe fixes.")
@no_cache_option
def fix(
    paths: tuple[Path, ...],
    alembic_config: tuple[Path, ...],
    alembic_section: str | None,
    settings_file: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    baseline_file: Path | None,
    diff: bool,
    unsafe_fixes: bool,
    no_cache: bool,
) -> None:
    """Fix what can be fixed under PATHS: merge revisions for multiple heads (DL101), depends_on
    for cross-branch references (DL201), registry entries (DL401).

    Exit codes: 0 nothing left to fix or report, 1 findings remain (or, with --diff, there is a
    diff), 2 usage or configuration error.
    """
    from driftlint.baseline import BaselineFilter
    from driftlint.engine import CheckOptions
    from driftlint.fixes import fix_project

    options = CheckOptions.from_arguments(
        paths,
        alembic_config=alembic_config,
        alembic_section=alembic_section,
        settings_file=settings_file,
        select=select,
        ignore=ignore,
        no_cache=no_cache,
    )
    keep = BaselineFilter(baseline_file, options.cwd, options.paths)
    try:
        run = fix_project(options, keep, unsafe=unsafe_fixes)
        finish_fixes(run, options.cwd, write=not diff)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - one line, like `check`
        raise fail(f"internal error: {exc}") from None
    if diff:
        raise click.exceptions.Exit(1 if run.edits else 0)
    remaining = len(run.remaining)
    fixed = len(run.fixed)
    click.echo(
        f"Fixed {fixed} {'finding' if fixed == 1 else 'findings'}"
        + (f"; {remaining} remain (see `driftlint check`)." if remaining else "; nothing else to report."),
        err=True,
    )
    if remaining:
        raise click.exceptions.Exit(1)


def finish_fixes(run: FixRun, cwd: Path, write: bool) -> None:
    """Print the fixes as a diff, or write them and say what was fixed; say what could not be."""
    from driftlint.fixes import unified_diff, write_fixes
    from driftlint.project import display_path

    if not write:
        click.echo(unified_diff(run.edits, cwd), nl=False)
    else:
        try:
            not_written = write_fixes(run)
        except OSError as exc:
            raise ConfigError(f"cannot write a fix: {exc}") from None
        for item in not_written:
            click.echo(f"driftlint: not written {display_path(item.edit.path, cwd)}: {item.reason} (run the fix again)", err=True)
        for fixed in run.fixed:
            click.echo(f"driftlint: fixed {fixed.diagnostic.code} ({fixed.diagnostic.path}): {fixed.done}", err=True)
    for skipped in run.skipped:
        click.echo(f"driftlint: cannot fix {skipped.diagnostic.code} ({skipped.diagnostic.path}): {skipped.reason}", err=True)


def add_ignores(diagnostics: list[Diagnostic], cwd: Path) -> None:
    """Write `# driftlint: ignore[CODE]` comments for the findings and say how many (check --add-ignore)."""
    from driftlint.fixes import apply_edits
    from driftlint.fixes.ignore_comments import add_ignores as suppression_edits
    from driftlint.project import display_path

    outcome = suppression_edits(diagnostics, cwd)
    try:
        not_written = apply_edits(outcome.edits)
    except OSError as exc:
        raise ConfigError(f"cannot write a suppression comment: {exc}") from None
    for skipped in outcome.skipped:
        click.echo(f"driftlint: not suppressed {skipped.diagnostic.code} ({skipped.diagnostic.path}): {skipped.reason}", err=True)
    for item in not_written:
        click.echo(f"driftlint: not written {display_path(item.edit.path, cwd)}: {item.reason} (run --add-ignore again)", err=True)
    unwritten = {item.edit.path for item in not_written}
    added = sum(count for path, count in outcome.added.items() if path not in unwritten)
    written = len(outcome.edits) - len(not_written)
    files = "file" if written == 1 else "files"
    click.echo(f"driftlint: added {added} suppression(s) in {written} {files}", err=True)
