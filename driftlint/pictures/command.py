"""`driftlint graph`: draw the revision DAG with heads, bases, merges, labels and findings marked."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "mermaid", "dot"]), default="text", show_default=True,
              help="text: a compact tree for terminals; mermaid: paste into a GitHub comment; dot: render with Graphviz.")
@click.option("-c", "--config", "alembic_config", multiple=True, type=click.Path(path_type=Path),
              help="Alembic config file (like `alembic -c`).")
@click.option("-n", "--name", "alembic_section", help="Section of the Alembic ini file (like `alembic -n`).")
@click.option("--settings", "settings_file", type=click.Path(path_type=Path), help="driftlint settings file.")
@click.option("--base", "base_ref", metavar="REF", help="Draw the merge of the working tree with git REF (like `check --base`).")
@click.option("--expand", is_flag=True, help="text: show every revision instead of folding long linear runs.")
@click.option("-o", "--output-file", type=click.Path(path_type=Path), help="Write the picture to a file.")
@click.option("--no-cache", is_flag=True, help="Read every file afresh and do not write the cache.")
def graph(
    paths: tuple[Path, ...],
    output_format: str,
    alembic_config: tuple[Path, ...],
    alembic_section: str | None,
    settings_file: Path | None,
    base_ref: str | None,
    expand: bool,
    output_file: Path | None,
    no_cache: bool,
) -> None:
    """Draw each Alembic environment's revision graph under PATHS; findings are marked (✗ CODE)."""
    from driftlint.cli import fail, write_output
    from driftlint.config import ConfigError
    from driftlint.engine import CheckOptions, run_check
    from driftlint.pictures import pictures

    options = CheckOptions(
        paths=list(paths) or [Path(".")],
        cwd=Path.cwd(),
        settings_file=settings_file,
        alembic_config=list(alembic_config),
        alembic_section=alembic_section,
        use_cache=not no_cache,
    )
    try:
        if base_ref is not None:
            from driftlint.fixes.command import with_merge_overlay

            options = with_merge_overlay(options, base_ref)
        result = run_check(options)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - one line, like `check`
        raise fail(f"internal error: {exc}") from None
    assert result.project is not None
    drawn = pictures(result.project, result.diagnostics)
    write_output(render(drawn, output_format, collapse=not expand), output_file)


def render(drawn: list, output_format: str, collapse: bool = True) -> str:  # type: ignore[type-arg]
    if output_format == "mermaid":
        from driftlint.pictures.mermaid import render as mermaid

        return mermaid(drawn)
    if output_format == "dot":
        from driftlint.pictures.dot import render as dot

        return dot(drawn)
    from driftlint.pictures.text import render as text

    return text(drawn, collapse=collapse)
