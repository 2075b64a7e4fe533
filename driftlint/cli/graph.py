"""`driftlint graph`: draw the revision DAG with heads, bases, merges, labels and findings marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from driftlint.cli.options import fail, no_cache_option, project_options, with_merge_overlay, write_output
from driftlint.config import ConfigError


@click.command()
@project_options
@click.option("--format", "output_format", type=click.Choice(["text", "mermaid", "dot"]), default="text", show_default=True,
              help="text: a compact tree for terminals; mermaid: paste into a GitHub comment; dot: render with Graphviz.")
@click.option("--base", "base_ref", metavar="REF", help="Draw the merge of the working tree with git REF (like `check --base`).")
@click.option("--expand", is_flag=True,
              help="Show every revision instead of folding long linear runs (mermaid: even past Mermaid's size limits).")
@click.option("-o", "--output-file", type=click.Path(path_type=Path), help="Write the picture to a file.")
@no_cache_option
def graph(
    paths: tuple[Path, ...],
    alembic_config: tuple[Path, ...],
    alembic_section: str | None,
    settings_file: Path | None,
    output_format: str,
    base_ref: str | None,
    expand: bool,
    output_file: Path | None,
    no_cache: bool,
) -> None:
    """Draw each Alembic environment's revision graph under PATHS; findings are marked (✗ CODE)."""
    from driftlint.engine import CheckOptions, run_check
    from driftlint.pictures import pictures

    options = CheckOptions.from_arguments(
        paths, alembic_config=alembic_config, alembic_section=alembic_section, settings_file=settings_file, no_cache=no_cache
    )
    try:
        if base_ref is not None:
            options = with_merge_overlay(options, base_ref)
        result = run_check(options)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - one line, like `check`
        raise fail(f"internal error: {exc}") from None
    assert result.project is not None
    drawn = pictures(result.project, result.diagnostics)
    write_output(render(drawn, output_format, collapse=not expand), output_file)


def render(drawn: list[Any], output_format: str, collapse: bool = True) -> str:
    if output_format == "mermaid":
        from driftlint.pictures.mermaid import render as mermaid

        return mermaid(drawn, collapse=collapse)
    if output_format == "dot":
        from driftlint.pictures.dot import render as dot

        return dot(drawn, collapse=collapse)
    from driftlint.pictures.text import render as text

    return text(drawn, collapse=collapse)
