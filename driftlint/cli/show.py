"""`check --show-settings` and `check --show-files`: what a check would run with and on, without checking."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.engine import CheckOptions

# Settings keys in the order they are shown, with the attribute each is held in.
_SHOWN = (
    ("select", "select"),
    ("extend-select", "extend_select"),
    ("ignore", "ignore"),
    ("per-file-ignores", "per_file_ignores"),
    ("severity", "severity"),
    ("exclude", "exclude"),
    ("extend-exclude", "extend_exclude"),
    ("respect-gitignore", "respect_gitignore"),
    ("src", "src"),
    ("default-schema", "default_schema"),
    ("cache-dir", "cache_dir"),
    ("baseline", "baseline"),
    ("output-format", "output_format"),
    ("environments", "environments"),
)


def show_settings(options: CheckOptions) -> str:
    """Every settings file the checked files use, with where each value comes from, the rules it
    selects, and the check's own exclusions and cache folder."""
    from driftlint.engine.discover import discover
    from driftlint.engine.setup import SettingsTree, cache_dir, selected_rules
    from driftlint.rule import all_rules, option_defaults

    tree = SettingsTree(options)
    root = tree.root
    dirs = [p.resolve() for p in options.paths if p.is_dir()] or [root.root]
    structure = discover(dirs, root, [p.resolve() for p in options.alembic_config] or None, options.alembic_section)
    files_by_settings: dict[int, int] = {}
    for path, _kind in structure.kinds:
        settings = tree.for_folder(Path(os.path.dirname(path)))
        files_by_settings[id(settings)] = files_by_settings.get(id(settings), 0) + 1
    cwd = options.cwd.resolve()
    lines: list[str] = []
    defaults = option_defaults()
    for settings in tree.loaded():
        count = files_by_settings.get(id(settings), 0)
        where = _relative(settings.source, cwd) if settings.source is not None else "no settings file (defaults)"
        role = "the check's own settings" if settings is root else "closest settings"
        lines.append(f"{where} ({role}; {count} checked file{'s' if count != 1 else ''})")
        lines.append(f"  {'root':<28} {_relative(settings.root, cwd)}")
        for key, attribute in _SHOWN:
            value = getattr(settings, attribute)
            lines.append(f"  {key:<28} {_value(value):<40} {_origin(key, settings, options, cwd)}")
        for key in sorted(defaults):
            value = settings.rule_options.get(key, defaults[key])
            origin = _relative(settings.source, cwd) if key in settings.given and settings.source else "default"
            lines.append(f"  {key:<28} {_value(value):<40} {origin}")
        chosen = [rule.code for rule in selected_rules(settings)]
        lines.append(f"  {'rules selected':<28} {len(chosen)} of {len(all_rules())}: {', '.join(chosen)}")
        if settings is root:
            lines.append(f"  {'cache folder':<28} {_relative(cache_dir(options, root), cwd)}")
        lines.append("")
    return "\n".join(lines)


def show_files(options: CheckOptions) -> str:
    """Each Alembic environment (config, section, script location, version locations, revision
    count), the files the check reads by kind, and each module the Celery analysis found tasks in."""
    from dataclasses import replace

    from driftlint.engine import run_check
    from driftlint.facts import MODULE, REVISION, UNSCANNED

    result = run_check(replace(options, reuse_result=False))
    project = result.project
    assert project is not None
    lines = [f"Alembic environments: {len(project.environments)}"]
    for analysis in project.environments:
        env = analysis.environment
        lines.append(f"  {env.name}")
        if env.config_path is not None:
            lines.append(f"    {'config':<18} {project.relpath(env.config_path)}" + (f" [{env.section}]" if env.section else ""))
        if env.script_location is not None:
            lines.append(f"    {'script location':<18} {project.relpath(env.script_location)}")
        locations = ", ".join(project.relpath(p) for p in env.version_locations) or "-"
        lines.append(f"    {'version locations':<18} {locations}" + (" (recursive)" if env.recursive else ""))
        lines.append(f"    {'revisions':<18} {len(analysis.scripts)}")
    kinds = [facts.kind for facts in project.files.values()]
    lines.append(
        f"Files read: {len(kinds)} ({kinds.count(REVISION)} revision files, {kinds.count(UNSCANNED)} unscanned"
        f" candidates, {kinds.count(MODULE)} other modules)"
    )
    tasks_by_module: dict[str, int] = {}
    if result.tasks:
        from driftlint.celery.index import task_index

        for task in task_index(project).tasks:
            name = project.relpath(task.module.path)
            tasks_by_module[name] = tasks_by_module.get(name, 0) + 1
    lines.append(f"Celery task modules: {len(tasks_by_module)}")
    lines.extend(f"  {name} ({count} task{'s' if count != 1 else ''})" for name, count in sorted(tasks_by_module.items()))
    return "\n".join(lines) + "\n"


def _origin(key: str, settings: Settings, options: CheckOptions, cwd: Path) -> str:
    """Where a value comes from: the command line, the settings file, or the default."""
    source = _relative(settings.source, cwd) if settings.source is not None else ""
    if key in ("select", "ignore", "extend-select") and getattr(options, key.replace("-", "_")):
        return "command line" + (f" and {source}" if key in settings.given and key != "select" else "")
    if key == "ignore" and "extend-ignore" in settings.given:
        return f"{source} (extend-ignore)"
    return source if key in settings.given else "default"


def _value(value: Any) -> str:
    if value is None or value in ((), {}, [], ""):
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ", ".join(f"{k} = {_value(v.value if hasattr(v, 'value') else v)}" for k, v in value.items())
    if isinstance(value, (tuple, list)):
        shown = [getattr(item, "name", item) for item in value]
        text = ", ".join(str(item) for item in shown)
        return text if len(text) <= 60 else f"{', '.join(str(item) for item in shown[:4])}, ... ({len(shown)})"
    return str(value)


def _relative(path: Path | str, cwd: Path) -> str:
    from driftlint.project import display_path

    return display_path(path, cwd)
