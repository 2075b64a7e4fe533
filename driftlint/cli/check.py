"""`driftlint check`, with its adoption modes (--base, --baseline, --write-baseline, --fix, --diff, --add-ignore) and --stdin-filename."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from driftlint.cli.options import (
    Program,
    debug_option,
    echo_stdout,
    fail,
    no_cache_option,
    output_options,
    project_options,
    selection_options,
    with_merge_overlay,
    write_output,
)
from driftlint.config import ConfigError
from driftlint.report import build_report, default_format, remember, use_color

if TYPE_CHECKING:
    from driftlint.diagnostics import Diagnostic
    from driftlint.engine import CheckOptions, CheckResult


@click.command()
@project_options
@selection_options
@output_options
@click.option("--statistics", is_flag=True, help="Print a count per rule instead of the findings.")
@no_cache_option
@click.option("--cache-dir", type=click.Path(path_type=Path),
              help="Cache folder [default: .driftlint_cache at the project root; env DRIFTLINT_CACHE_DIR].")
@click.option("--jobs", type=click.IntRange(min=1), help="Processes that read files and check rules (1: this one alone) [default: the CPUs available, at most 8].")
@click.option("--show-unknown", is_flag=True, help="Also list SQL and Celery constructs driftlint could not resolve.")
@click.option("--show-settings", is_flag=True,
              help="Print the settings each checked file uses (where each value comes from, the rules selected, the cache folder) and exit.")
@click.option("--show-files", is_flag=True,
              help="Print the Alembic environments, the files read by kind and the Celery task modules found, and exit.")
@debug_option
@click.option("--base", "base_ref", metavar="REF",
              help="Check the merge of the working tree with git REF (e.g. origin/main): heads and references that only appear after merging.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path),
              help="Report only findings this baseline file does not record; list entries that no longer occur [config: baseline].")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(path_type=Path),
              help="Record the current findings in FILE (for --baseline) and exit 0.")
@click.option("--fix", "apply_fixes", is_flag=True, help="Apply the available fixes, then report what remains.")
@click.option("--diff", is_flag=True, help="Print the available fixes as a unified diff; write nothing.")
@click.option("--add-ignore", is_flag=True, help="Add `# driftlint: ignore[CODE]` comments for the current findings and exit 0.")
@click.option("--unsafe-fixes", is_flag=True,
              help="With --fix or --diff: also apply fixes that can change what the application does at run time (a registry entry).")
@click.option("--stdin-filename", type=click.Path(path_type=Path), metavar="PATH",
              help="Check the contents read from stdin as PATH's, with the rest of the project from disk; report PATH's findings (PATHS: `-` or none).")
@click.pass_context
def check(
    ctx: click.Context,
    paths: tuple[Path, ...],
    alembic_config: tuple[Path, ...],
    alembic_section: str | None,
    settings_file: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    output_format: str | None,
    output_file: Path | None,
    exit_zero: bool,
    quiet: bool,
    color: str,
    statistics: bool,
    no_cache: bool,
    cache_dir: Path | None,
    jobs: int | None,
    show_unknown: bool,
    show_settings: bool,
    show_files: bool,
    debug: bool,
    base_ref: str | None,
    baseline_file: Path | None,
    write_baseline_file: Path | None,
    apply_fixes: bool,
    diff: bool,
    add_ignore: bool,
    unsafe_fixes: bool,
    stdin_filename: Path | None,
) -> None:
    """Check Alembic histories and Celery modules under PATHS (default: the current directory)."""
    from driftlint.engine import CheckOptions

    paths, buffer = stdin_buffer(paths, stdin_filename, base_ref or write_baseline_file or apply_fixes or diff or add_ignore)
    options = CheckOptions.from_arguments(
        paths,
        alembic_config=alembic_config,
        alembic_section=alembic_section,
        settings_file=settings_file,
        select=select,
        ignore=ignore,
        extend_select=extend_select,
        cache_dir=cache_dir,
        no_cache=no_cache,
        jobs=jobs,
        # Fixes and --show-unknown read the parsed project, which a reused result does not carry.
        reuse_result=not (show_unknown or apply_fixes or diff),
        all_facts=show_unknown,
    )
    if buffer is not None:
        options.overlay = {**(options.overlay or {}), **buffer}
    modes = Modes(base_ref, baseline_file, write_baseline_file, apply_fixes, diff, add_ignore, unsafe_fixes)
    if show_settings or show_files:
        from driftlint.cli.show import show_files as files_text
        from driftlint.cli.show import show_settings as settings_text

        try:
            write_output(settings_text(options) if show_settings else files_text(options), output_file)
        except ConfigError as exc:
            raise fail(str(exc)) from None
        return
    try:
        result, diagnostics = check_modes(options, modes)
    except click.exceptions.Exit:
        raise
    except ConfigError as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - InternalError and any bug: one line unless --debug
        if debug:
            raise
        raise fail(f"internal error: {exc} (run with --debug for a traceback)") from None
    fmt = output_format or (result.settings.output_format if result.settings else None) or default_format()
    fix_edits = _fix_edits(options, result, diagnostics) if fmt == "json" and not statistics else {}
    report = build_report(
        diagnostics, result.files_read, fmt,
        statistics=statistics, color=use_color(color) and output_file is None, quiet=quiet, to_file=output_file is not None,
        checked_nothing=result.checked_nothing, notices=result.notices, fix_edits=fix_edits,
    )
    write_output(report.text, output_file)
    for line in report.notices:
        click.echo(line, err=True)
    if show_unknown and result.project is not None:
        for line in unknown_lines(result.project):
            click.echo(line, err=True)
    if report.summary is not None:
        if report.summary_to_stderr:
            click.echo(report.summary, err=True)
        else:
            echo_stdout(report.summary)
    code = 1 if diagnostics and not exit_zero else 0
    program = ctx.find_object(Program)
    argv = program.argv if program is not None else None
    # Fix edits are computed from files the check does not read (script.py.mako): no snapshot.
    if not fix_edits:
        remember(argv, result, report, code, baseline=bool(baseline_file or (result.settings and result.settings.baseline)))
    if code:
        raise click.exceptions.Exit(code)


def _fix_edits(options: CheckOptions, result: CheckResult, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    """Each fixable finding's own fix as JSON carries it (by fingerprint); a result reused from
    the cache has no project, so the project is read again (from the fact cache) for them."""
    from dataclasses import replace

    from driftlint.fixes import carries_edits, suggestions

    if not any(carries_edits(d.code) for d in diagnostics):
        return {}
    project = result.project
    if project is None:
        from driftlint.engine import run_check

        project = run_check(replace(options, reuse_result=False)).project
    if project is None:
        return {}
    return {key: found.to_dict(project.cwd) for key, found in suggestions(diagnostics, project).items()}


def stdin_buffer(paths: tuple[Path, ...], stdin_filename: Path | None, other_mode: object) -> tuple[tuple[Path, ...], dict[Path, bytes] | None]:
    """`check --stdin-filename PATH -`, for editors without a language server: the bytes on
    stdin stand in for PATH (which need not exist yet) and PATH becomes the file argument, so the
    rest of the project is read from disk and the report keeps PATH's findings."""
    reading = stdin_filename is not None or any(str(p) == "-" for p in paths)
    if not reading:
        return paths, None
    if stdin_filename is None:
        raise fail("`-` reads the file to check from stdin: name the file it stands for with --stdin-filename PATH")
    if any(str(p) != "-" for p in paths):
        raise fail("--stdin-filename checks the contents on stdin: give `-` (or nothing) as PATHS")
    if other_mode:
        raise fail("--stdin-filename checks contents that are not on disk; it cannot be combined with --base, --write-baseline, --fix, --diff or --add-ignore")
    return (stdin_filename,), {stdin_filename.resolve(): sys.stdin.buffer.read()}


def unknown_lines(project: Any) -> list[str]:
    """What the schema and Celery analyses could not resolve (check --show-unknown)."""
    from driftlint.celery.unknowns import unknowns as celery_unknowns
    from driftlint.schema.history import unknowns as schema_unknowns

    return sorted(
        f"{project.relpath(path)}:{span[0]}:{span[1]}: unknown: {reason}"
        for unknowns in (schema_unknowns, celery_unknowns)
        for path, span, reason in unknowns(project)
    )


@dataclass(frozen=True)
class Modes:
    base: str | None = None
    baseline: Path | None = None
    write_baseline: Path | None = None
    fix: bool = False
    diff: bool = False
    add_ignore: bool = False
    unsafe_fixes: bool = False


def check_modes(options: CheckOptions, modes: Modes) -> tuple[CheckResult, list[Diagnostic]]:
    """The result and the findings to report. Terminal modes (--write-baseline, --add-ignore,
    --diff) print their own outcome and end the command with click.exceptions.Exit.

    Raises ConfigError for usage problems (bad baseline, unknown --base ref...)."""
    from driftlint.baseline import BaselineFilter, write_baseline
    from driftlint.engine import run_check

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
        from driftlint.cli.fix import finish_fixes
        from driftlint.fixes import fix_project

        run = fix_project(options, keep, unsafe=modes.unsafe_fixes)
        assert run.result is not None
        finish_fixes(run, options.cwd, write=not modes.diff)
        if modes.diff:
            raise click.exceptions.Exit(1 if run.edits else 0)
        result, diagnostics = run.result, run.remaining
    else:
        result = run_check(options)
        diagnostics = keep(result)
    for line in keep.stale_lines():
        click.echo(line, err=True)
    if modes.add_ignore:
        from driftlint.cli.fix import add_ignores

        add_ignores(diagnostics, options.cwd)
        raise click.exceptions.Exit(0)
    return result, diagnostics
