"""The `driftlint` command line: check, rules, explain, and the lazily loaded verify/fix/graph."""

from __future__ import annotations

import gc
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import click

import driftlint
from driftlint.config import ConfigError
from driftlint.arguments import FORMATS, split_codes
from driftlint.report import build_report, default_format, remember, use_color

FORMAT_CHOICE = click.Choice(list(FORMATS))
LAZY_COMMANDS = {
    "verify": "driftlint.verify.command:verify",
    "fix": "driftlint.fixes.command:fix",
    "graph": "driftlint.pictures.command:graph",
}


class DriftlintGroup(click.Group):
    """Loads heavy subcommands only when they are called, keeping `check` start-up light."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name not in self.commands:
            module_name, _, attribute = LAZY_COMMANDS[name].partition(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)


def fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"driftlint: error: {message}", err=True)
    return click.exceptions.Exit(2)


def write_output(text: str, output_file: Path | None) -> None:
    if output_file is None:
        click.echo(text, nl=False)
        return
    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        output_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"{output_file}: cannot write output: {exc.strerror or exc}") from None


@click.group(cls=DriftlintGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(driftlint.__version__, "--version", prog_name="driftlint")
def cli() -> None:
    """Catch Alembic migration and Celery task drift before it reaches a database.

    Exit codes: 0 nothing found, 1 findings, 2 usage, configuration or internal error.
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-c", "--config", "alembic_config", multiple=True, type=click.Path(path_type=Path),
              help="Alembic config file (like `alembic -c`); pyproject.toml is read as [tool.alembic]. May be given twice.")
@click.option("-n", "--name", "alembic_section", help="Section of the Alembic ini file (like `alembic -n`).")
@click.option("--settings", "settings_file", type=click.Path(path_type=Path),
              help="driftlint settings file (default: nearest driftlint.toml or pyproject.toml with [tool.driftlint]).")
@click.option("--select", multiple=True, help="Rules to check (codes, names or prefixes, comma separated).")
@click.option("--ignore", multiple=True, help="Rules to skip.")
@click.option("--extend-select", multiple=True, help="Rules to add to the selection.")
@click.option("--output-format", type=FORMAT_CHOICE, envvar="DRIFTLINT_OUTPUT_FORMAT",
              help="Output format [default: full on a terminal, else concise; env DRIFTLINT_OUTPUT_FORMAT].")
@click.option("-o", "--output-file", type=click.Path(path_type=Path), help="Write the report to a file.")
@click.option("--statistics", is_flag=True, help="Print a count per rule instead of the findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("--no-cache", is_flag=True, help="Read every file afresh and do not write the cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), envvar="DRIFTLINT_CACHE_DIR",
              help="Cache folder [default: .driftlint_cache at the project root; env DRIFTLINT_CACHE_DIR].")
@click.option("--jobs", type=click.IntRange(min=1), help="Processes that read files and check rules (1: this one alone) [default: the CPUs available, at most 8].")
@click.option("--show-unknown", is_flag=True, help="Also list SQL and Celery constructs driftlint could not resolve.")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.option("--base", "base_ref", metavar="REF",
              help="Check the merge of the working tree with git REF (e.g. origin/main): heads and references that only appear after merging.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path),
              help="Report only findings this baseline file does not record; list entries that no longer occur [config: baseline].")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(path_type=Path),
              help="Record the current findings in FILE (for --baseline) and exit 0.")
@click.option("--fix", "apply_fixes", is_flag=True, help="Apply the available fixes, then report what remains.")
@click.option("--diff", is_flag=True, help="Print the available fixes as a unified diff; write nothing.")
@click.option("--add-ignore", is_flag=True, help="Add `# driftlint: ignore[CODE]` comments for the current findings and exit 0.")
def check(
    paths: tuple[Path, ...],
    alembic_config: tuple[Path, ...],
    alembic_section: str | None,
    settings_file: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    output_format: str | None,
    output_file: Path | None,
    statistics: bool,
    exit_zero: bool,
    quiet: bool,
    color: str,
    no_cache: bool,
    cache_dir: Path | None,
    jobs: int | None,
    show_unknown: bool,
    debug: bool,
    base_ref: str | None,
    baseline_file: Path | None,
    write_baseline_file: Path | None,
    apply_fixes: bool,
    diff: bool,
    add_ignore: bool,
) -> None:
    """Check Alembic histories and Celery modules under PATHS (default: the current directory)."""
    from driftlint.engine import CheckOptions

    options = CheckOptions(
        paths=list(paths) or [Path(".")],
        cwd=Path.cwd(),
        settings_file=settings_file,
        alembic_config=list(alembic_config),
        alembic_section=alembic_section,
        select=split_codes(select),
        ignore=split_codes(ignore),
        extend_select=split_codes(extend_select),
        cache_dir=cache_dir,
        use_cache=not no_cache,
        jobs=jobs,
        # Fixes and --show-unknown read the parsed project, which a reused result does not carry.
        reuse_result=not (show_unknown or apply_fixes or diff),
        all_facts=show_unknown,
    )
    from driftlint.fixes.command import Modes, check_modes

    modes = Modes(base_ref, baseline_file, write_baseline_file, apply_fixes, diff, add_ignore)
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
    report = build_report(
        diagnostics, result.files_read, fmt,
        statistics=statistics, color=use_color(color) and output_file is None, quiet=quiet, to_file=output_file is not None,
    )
    write_output(report.text, output_file)
    if show_unknown and result.project is not None:
        for line in unknown_lines(result.project):
            click.echo(line, err=True)
    if report.summary is not None:
        click.echo(report.summary, err=report.summary_to_stderr)
    code = 1 if diagnostics and not exit_zero else 0
    from driftlint import snapshot

    remember(snapshot.program_argv, result, report, code, baseline=bool(baseline_file or (result.settings and result.settings.baseline)))
    if code:
        raise click.exceptions.Exit(code)


def unknown_lines(project: Any) -> list[str]:
    """What the schema and Celery analyses could not resolve (check --show-unknown)."""
    from driftlint.celery.index import unknowns as celery_unknowns
    from driftlint.schema.history import unknowns as schema_unknowns

    return sorted(
        f"{project.relpath(path)}:{span[0]}:{span[1]}: unknown: {reason}"
        for unknowns in (schema_unknowns, celery_unknowns)
        for path, span, reason in unknowns(project)
    )


@cli.command()
@click.option("--output-format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def rules(output_format: str) -> None:
    """List every rule: code, name, default severity, fixable, summary."""
    from driftlint.rule import all_rules

    items = all_rules()
    if output_format == "json":
        data = [
            {"code": r.code, "name": r.name, "summary": r.summary, "severity": r.severity.value, "fixable": r.fixable}
            for r in items
        ]
        click.echo(json.dumps(data, indent=2))
        return
    width = max(len(r.name) for r in items)
    click.echo(f"{'code':<6}  {'name':<{width}}  {'severity':<8}  fix  summary")
    for r in items:
        click.echo(f"{r.code:<6}  {r.name:<{width}}  {r.severity.value:<8}  {'yes' if r.fixable else '   '}  {r.summary}")


def rule_doc_path(name: str) -> Path | None:
    here = Path(__file__).resolve().parent
    for folder in (here / "_rule_docs", here.parent / "rules"):
        candidate = folder / f"{name}.md"
        if candidate.is_file():
            return candidate
    return None


@cli.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Print the documentation of RULE (a code such as DL101 or a name such as multiple-heads)."""
    from driftlint.rule import rule_by_selector

    found = rule_by_selector().get(rule) or rule_by_selector().get(rule.upper())
    if found is None:
        raise fail(f"unknown rule `{rule}` (see `driftlint rules`)")
    path = rule_doc_path(found.name)
    if path is None:
        raise fail(f"documentation for {found.code} ({found.name}) is not installed")
    click.echo(path.read_text(encoding="utf-8"), nl=False)


def main() -> None:
    # One command, then exit: the cycle collector would only re-scan objects that live until the
    # end (run_check pauses it; re-enabling it then cost a full pass over the parsed project,
    # about a tenth of a run that re-reads the fact cache). Reference counting frees the rest.
    gc.disable()
    try:
        cli(prog_name="driftlint")
    except KeyboardInterrupt:
        click.echo("driftlint: interrupted", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
