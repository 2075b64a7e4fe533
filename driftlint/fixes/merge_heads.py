"""DL101 fix: a merge revision, rendered like `alembic merge` from the project's own script.py.mako."""

from __future__ import annotations

import ast
import configparser
import datetime
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from driftlint.diagnostics import Diagnostic
from driftlint.discovery import Environment
from driftlint.fixes import FixError, Workspace
from driftlint.graph import Node
from driftlint.project import EnvironmentAnalysis, Project
from driftlint.revisions import read_header

MERGE_MESSAGE = "merge heads"
# alembic/script/base.py: _slug_re, _default_file_template, truncate_slug_length default.
SLUG = re.compile(r"\w+")
DEFAULT_FILE_TEMPLATE = "%(rev)s_%(slug)s"
DEFAULT_SLUG_LENGTH = 40


@dataclass(frozen=True)
class AlembicOptions:
    """The options `alembic merge` reads to name and encode the new file (get_alembic_option)."""

    file_template: str = DEFAULT_FILE_TEMPLATE
    truncate_slug_length: int = DEFAULT_SLUG_LENGTH
    output_encoding: str = "utf-8"
    timezone: str | None = None


def new_revision_id() -> str:
    """alembic.util.rev_id()."""
    return uuid.uuid4().hex[-12:]


def fix_multiple_heads(diagnostic: Diagnostic, project: Project, files: Workspace) -> str:
    analysis = _analysis_for(diagnostic, project)
    heads = sorted(analysis.graph.heads, key=lambda n: (str(n.facts.path), n.revision))
    ids = tuple(n.revision for n in heads)
    if len(set(ids)) != len(ids):
        raise FixError("two heads share a revision id; fix the duplicate first")
    env = analysis.environment
    options = read_alembic_options(env)
    revision = _unused_id(analysis)
    create_date = _create_date(options.timezone)
    folder = _version_path(env, heads)
    target = folder / (_filename(options, revision, MERGE_MESSAGE, create_date) + ".py")
    if files.read(target) is not None:
        raise FixError(f"{project.relpath(target)} already exists")
    text = render_merge(env, revision, ids, create_date)
    _verify(text, revision, ids, target)
    try:
        data = text.encode(options.output_encoding)
    except (LookupError, UnicodeEncodeError) as exc:
        raise FixError(f"cannot encode the merge revision as {options.output_encoding}: {exc}") from None
    files.write(target, data)
    return f"wrote merge revision {revision} ({project.relpath(target)}) with down_revision = {ids!r}"


def _analysis_for(diagnostic: Diagnostic, project: Project) -> EnvironmentAnalysis:
    for analysis in project.environments:
        heads = analysis.graph.heads
        same_heads = len(heads) > 1 and tuple(sorted(n.revision for n in heads)) == diagnostic.subject
        if same_heads and any(project.relpath(n.facts.path) == diagnostic.path for n in heads):
            return analysis
    raise FixError("the heads changed since the check")


def _unused_id(analysis: EnvironmentAnalysis) -> str:
    while True:
        candidate = new_revision_id()
        if candidate not in analysis.graph.by_id and candidate not in analysis.graph.labels:
            return candidate


def _version_path(env: Environment, heads: list[Node]) -> Path:
    """generate_revision: with several version locations, the first head's folder; else the only one."""
    if len(env.version_locations) > 1:
        return heads[0].facts.path.parent
    if env.version_locations:
        return env.version_locations[0]
    if env.script_location is None:
        raise FixError("the environment has no version location")
    return env.script_location / "versions"


def _filename(options: AlembicOptions, revision: str, message: str, create_date: datetime.datetime) -> str:
    """ScriptDirectory._rev_path."""
    slug = "_".join(SLUG.findall(message)).lower()
    if len(slug) > options.truncate_slug_length:
        slug = slug[: options.truncate_slug_length].rsplit("_", 1)[0] + "_"
    tokens = {
        "rev": revision,
        "slug": slug,
        "epoch": int(create_date.timestamp()),
        "year": create_date.year,
        "month": create_date.month,
        "day": create_date.day,
        "hour": create_date.hour,
        "minute": create_date.minute,
        "second": create_date.second,
    }
    try:
        return options.file_template % tokens
    except (KeyError, ValueError, TypeError) as exc:
        raise FixError(f"`file_template = {options.file_template}` cannot be filled: {exc}") from None


def _create_date(timezone: str | None) -> datetime.datetime:
    """ScriptDirectory._generate_create_date."""
    if timezone is None:
        return datetime.datetime.now()
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for name in (timezone, timezone.upper()):
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return datetime.datetime.now(tz=datetime.timezone.utc).astimezone(zone)
    raise FixError(f"unknown `timezone = {timezone}` (Alembic fails the same way)")


def read_alembic_options(env: Environment) -> AlembicOptions:
    """The ini section first, then [tool.alembic] (Config.get_alembic_option)."""
    ini, toml = _config_files(env)
    values: dict[str, Any] = {}
    if toml is not None:
        try:
            tool = tomllib.loads(toml.read_text(encoding="utf-8")).get("tool", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
            tool = {}
        table = tool.get("alembic", {}) if isinstance(tool, dict) else {}  # `tool = [1]` is TOML too
        here = {"here": toml.parent.absolute().as_posix()}
        for key in ("file_template", "truncate_slug_length", "output_encoding", "timezone"):
            value = table.get(key) if isinstance(table, dict) else None
            if isinstance(value, str):
                try:
                    values[key] = value % here
                except (KeyError, ValueError, TypeError):
                    values[key] = value
            elif isinstance(value, int):
                values[key] = value
    if ini is not None:
        parser = configparser.ConfigParser(defaults={"here": ini.parent.absolute().as_posix()})
        section = env.section or "alembic"
        try:
            parser.read_string(ini.read_text(encoding="utf-8", errors="replace"), source=str(ini))
            for key in ("file_template", "truncate_slug_length", "output_encoding", "timezone"):
                if parser.has_option(section, key):
                    values[key] = parser.get(section, key)
        except (OSError, configparser.Error) as exc:
            raise FixError(f"{ini.name} cannot be read: {' '.join(str(exc).split())}") from None
    try:
        length = int(values.get("truncate_slug_length", DEFAULT_SLUG_LENGTH)) or DEFAULT_SLUG_LENGTH
    except ValueError:
        raise FixError(f"`truncate_slug_length = {values['truncate_slug_length']}` is not a number") from None
    return AlembicOptions(
        file_template=str(values.get("file_template", DEFAULT_FILE_TEMPLATE)),
        truncate_slug_length=length,
        output_encoding=str(values.get("output_encoding", "utf-8")),
        timezone=str(values["timezone"]) if values.get("timezone") else None,
    )


def _config_files(env: Environment) -> tuple[Path | None, Path | None]:
    config = env.config_path
    if config is None or config.suffix not in (".ini", ".toml"):
        return None, None
    if config.suffix == ".toml":
        return None, config if config.name == "pyproject.toml" else None
    sibling = config.parent / "pyproject.toml"
    return config, sibling if sibling.is_file() else None


# -- rendering --------------------------------------------------------------------------------------


def render_merge(env: Environment, revision: str, heads: tuple[str, ...], create_date: datetime.datetime) -> str:
    """script.py.mako rendered with the arguments `alembic merge` passes (generate_revision)."""
    down_revision: str | tuple[str, ...] = heads[0] if len(heads) == 1 else heads
    arguments: dict[str, Any] = {
        "up_revision": revision,
        "down_revision": down_revision,
        "branch_labels": None,
        "depends_on": None,
        "create_date": create_date,
        "comma": format_as_comma,
        "message": MERGE_MESSAGE,
        "refresh": True,
    }
    template = env.script_location / "script.py.mako" if env.script_location is not None else None
    if template is None or not template.is_file():
        return builtin_template(**arguments)
    from mako.template import Template

    arguments["config"] = _alembic_config(env)
    try:
        rendered = Template(filename=str(template)).render_unicode(**arguments)
    except Exception as exc:  # noqa: BLE001 - any template error is the template's, reported in one line
        raise FixError(f"{template.name} does not render: {type(exc).__name__}: {exc}") from None
    return str(rendered)


def _alembic_config(env: Environment) -> Any:
    """An alembic Config for templates that read it (`alembic merge` passes one); None without alembic."""
    try:
        from alembic.config import Config
    except ImportError:
        return None
    ini, toml = _config_files(env)
    try:
        return Config(
            file_=str(ini) if ini is not None else None,
            ini_section=env.section or "alembic",
            toml_file=str(toml) if toml is not None else None,
        )
    except TypeError:  # alembic before 1.16 has no toml_file
        return Config(file_=str(ini) if ini is not None else None, ini_section=env.section or "alembic")


def format_as_comma(value: Any) -> str:
    """alembic.util.format_as_comma."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return ", ".join(value)


def builtin_template(**arguments: Any) -> str:
    """Alembic's generic script.py.mako, for projects without one (or without Mako installed)."""
    return (
        f'"""{arguments["message"]}\n'
        "\n"
        f"Revision ID: {arguments['up_revision']}\n"
        f"Revises: {format_as_comma(arguments['down_revision'])}\n"
        f"Create Date: {arguments['create_date']}\n"
        "\n"
        '"""\n'
        "from typing import Sequence, Union\n"
        "\n"
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        "\n"
        "\n"
        "# revision identifiers, used by Alembic.\n"
        f"revision: str = {arguments['up_revision']!r}\n"
        f"down_revision: Union[str, Sequence[str], None] = {arguments['down_revision']!r}\n"
        f"branch_labels: Union[str, Sequence[str], None] = {arguments['branch_labels']!r}\n"
        f"depends_on: Union[str, Sequence[str], None] = {arguments['depends_on']!r}\n"
        "\n"
        "\n"
        "def upgrade() -> None:\n"
        '    """Upgrade schema."""\n'
        "    pass\n"
        "\n"
        "\n"
        "def downgrade() -> None:\n"
        '    """Downgrade schema."""\n'
        "    pass\n"
    )


def _verify(text: str, revision: str, heads: tuple[str, ...], target: Path) -> None:
    """The new file must be a revision driftlint (and Alembic) reads as the intended merge."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise FixError(f"the rendered script.py.mako is not valid Python (line {exc.lineno}): {exc.msg}") from None
    header = read_header(tree, target.name)
    if header.revision != revision or header.down_revision != heads:
        raise FixError("the rendered script.py.mako does not set `revision` and `down_revision` as literals")
