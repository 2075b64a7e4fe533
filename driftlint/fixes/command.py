"""`driftlint fix`, and the adoption modes of `check`: --base, --baseline, --write-baseline, --fix, --diff, --add-ignore."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from driftlint.baseline import BaselineFilter, write_baseline
from driftlint.config import ConfigError
from driftlint.diagnostics import Diagnostic
from driftlint.engine import CheckOptions, CheckResult, run_check

if TYPE_CHECKING:
    from driftlint.fixes import FixRun

# The fix machinery (libcst edits, diffs) is imported only by the modes that edit: a plain
# `check` passes through here on every run.


@dataclass(frozen=True)
class Modes:
    base: str | None = None
    baseline: Path | None = None
    write_baseline: Path | None = None
    fix: bool = False
    diff: bool = False
    add_ignore: bool = False


def check_modes(options: CheckOptions, modes: Modes) -> tuple[CheckResult, list[Diagnostic]]:
    """The result and the findings to report. Terminal modes (--write-baseline, --add-ignore,
    --diff) print their own outcome and end the command with click.exceptions.Exit.

    Raises ConfigError for usage problems (bad baseline, unknown --base ref...)."""
    edits_wanted = modes.fix or modes.diff or modes.add_ignore
    if modes.base is not None:
        if edits_wanted:
            raise ConfigError("--base checks a merge result that is not on disk; it cannot be combined with --fix, --diff or --add-ignore")
        options = with_merge_overlay(options, modes.base)
    if modes.write_baseline is not None:
        if edits_wanted:
            raise ConfigError("--write-baseline records findings as they are; run the fixes first, then record")
        result = run_check(options)
        count = write_baseline(modes.write_baseline, result.diagnostics, options.cwd)
        noun = "finding" if count == 1 else "findings"
        click.echo(f"driftlint: recorded {count} {noun} in {modes.write_baseline}", err=True)
        raise click.exceptions.Exit(0)
    keep = BaselineFilter(modes.baseline, options.cwd, options.paths)
    if modes.fix or modes.diff:
        from driftlint.fixes import fix_project

        run = fix_project(options, keep)
        assert run.result is not None
        _finish_fixes(run, options.cwd, write=not modes.diff)
        if modes.diff:
            raise click.exceptions.Exit(1 if run.edits else 0)
        result, diagnostics = run.result, run.remaining
    else:
        result = run_check(options)
        diagnostics = keep(result)
    for line in keep.stale_lines():
        click.echo(line, err=True)
    if modes.add_ignore:
        _add_ignores(diagnostics, options.cwd)
        raise click.exceptions.Exit(0)
    return result, diagnostics


def with_merge_overlay(options: CheckOptions, ref: str) -> CheckOptions:
    from driftlint.merge_base import merge_overlay

    start = next((p for p in options.paths if p.exists()), Path("."))
    merged = merge_overlay(ref, (options.cwd / start).resolve())
    for note in merged.notes:
        click.echo(f"driftlint: warning: {note}", err=True)
    return replace(options, overlay={**(options.overlay or {}), **merged.files})


def _finish_fixes(run: FixRun, cwd: Path, write: bool) -> None:
    from driftlint.fixes import FixError, apply_edits, unified_diff

    if not write:
        click.echo(unified_diff(run.edits, cwd), nl=False)
    else:
        try:
            apply_edits(run.edits)
        except (OSError, FixError) as exc:
            raise ConfigError(f"cannot write a fix: {exc}") from None
        for diagnostic, done in run.fixed:
            click.echo(f"driftlint: fixed {diagnostic.code} ({diagnostic.path}): {done}", err=True)
    for skipped in run.skipped:
        click.echo(f"driftlint: cannot fix {skipped.diagnostic.code} ({skipped.diagnostic.path}): {skipped.reason}", err=True)


def _add_ignores(diagnostics: list[Diagnostic], cwd: Path) -> None:
    from driftlint.fixes import FixError, apply_edits
    from driftlint.fixes.ignore_comments import add_ignores

    outcome = add_ignores(diagnostics, cwd)
    try:
        apply_edits(outcome.edits)
    except (OSError, FixError) as exc:
        raise ConfigError(f"cannot write a suppression comment: {exc}") from None
    for skipped in outcome.skipped:
        click.echo(f"driftlint: not suppressed {skipped.diagnostic.code} ({skipped.diagnostic.path}): {skipped.reason}", err=True)
    files = "file" if len(outcome.edits) == 1 else "files"
    click.echo(f"driftlint: added {outcome.added} suppression(s) in {len(outcome.edits)} {files}", err=True)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-c", "--config", "alembic_config", multiple=True, type=click.Path(path_type=Path),
              help="Alembic config file (like `alembic -c`).")
@click.option("-n", "--name", "alembic_section", help="Section of the Alembic ini file (like `alembic -n`).")
@click.option("--settings", "settings_file", type=click.Path(path_type=Path), help="driftlint settings file.")
@click.option("--select", multiple=True, help="Fix only these rules (codes, names or prefixes, comma separated).")
@click.option("--ignore", multiple=True, help="Rules to leave alone.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path),
              help="Leave the findings this baseline records alone [config: baseline].")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--no-cache", is_flag=True, help="Read every file afresh and do not write the cache.")
def fix(
    paths: tuple[Path, ...],
    alembic_config: tuple[Path, ...],
    alembic_section: str | None,
    settings_file: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    baseline_file: Path | None,
    diff: bool,
    no_cache: bool,
) -> None:
    """Fix what can be fixed under PATHS: merge revisions for multiple heads (DL101), depends_on
    for cross-branch references (DL201), registry entries (DL401).

    Exit codes: 0 nothing left to fix or report, 1 findings remain (or, with --diff, there is a
    diff), 2 usage or configuration error.
    """
    from driftlint.arguments import split_codes
    from driftlint.cli import fail
    from driftlint.fixes import fix_project

    options = CheckOptions(
        paths=list(paths) or [Path(".")],
        cwd=Path.cwd(),
        settings_file=settings_file,
        alembic_config=list(alembic_config),
        alembic_section=alembic_section,
        select=split_codes(select),
        ignore=split_codes(ignore),
        use_cache=not no_cache,
    )
    keep = BaselineFilter(baseline_file, options.cwd, options.paths)
    try:
        run = fix_project(options, keep)
        _finish_fixes(run, options.cwd, write=not diff)
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
