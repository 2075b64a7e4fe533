"""DL908's two views of the beat schedule: the static one (task index) and the one a running app loads."""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftlint.verify import _celery_probe
from driftlint.verify.database import MASK

if TYPE_CHECKING:
    from driftlint.verify.context import Span, VerifyContext

PROBE = Path(_celery_probe.__file__)


@dataclass(frozen=True)
class StaticEntry:
    key: str
    task: str | None
    path: str
    span: "Span"
    # The apps (module name, span of `Celery(...)`) whose schedule holds it; None: not known.
    apps: frozenset[tuple[str, Any]] | None = None


@dataclass(frozen=True)
class StaticApps:
    """The Celery apps the code constructs, and which of them a `module:attr` spec names."""

    count: int
    named: tuple[str, Any] | None  # None: the spec's app is not one driftlint can place


@dataclass(frozen=True)
class LoadedApp:
    ok: bool
    error: str = ""
    module_file: Path | None = None
    schedule: tuple[tuple[str, str | None], ...] = ()
    tasks: frozenset[str] = frozenset()
    output: tuple[str, ...] = ()


def static_entries(ctx: "VerifyContext") -> list[StaticEntry]:
    """Schedule entries the static Celery index found (empty when the project has no index)."""
    if importlib.util.find_spec("driftlint.celery.index") is None:
        return []
    module = importlib.import_module("driftlint.celery.index")
    if not hasattr(module, "beat_entries"):
        return []
    entries = ctx.project.memo("verify:beat-entries", module.beat_entries)
    return [
        StaticEntry(e.key, e.task, ctx.project.relpath(Path(e.path)), tuple(e.span), getattr(e, "apps", None))  # type: ignore[arg-type]
        for e in entries
        if isinstance(getattr(e, "key", None), str)
    ]


def static_apps(ctx: "VerifyContext", spec: str) -> StaticApps:
    """How many apps the code constructs, and the one `spec` names, found as `celery -A` finds it
    (celery.app.utils.find_app): `module:attr`, else the module's `app` or `celery`, else those of
    its `celery` submodule."""
    if importlib.util.find_spec("driftlint.celery.index") is None:
        return StaticApps(0, None)
    from driftlint.celery.index import task_index
    from driftlint.celery.values import Name

    index = task_index(ctx.project)
    module_name, _, attr = spec.partition(":")
    candidates = [(module_name, attr)] if attr else [
        (module_name, "app"), (module_name, "celery"), (f"{module_name}.celery", "app"), (f"{module_name}.celery", "celery")
    ]
    for name, variable in candidates:
        module = index.symbols.module(name)
        if module is None:
            continue
        apps = index.apps_of(Name(variable), module)
        if len(apps) == 1 and apps[0] is not None:
            return StaticApps(len(index.apps), apps[0].identity)
    return StaticApps(len(index.apps), None)


def load_app(spec: str, cwd: Path, timeout: float) -> LoadedApp:
    with tempfile.TemporaryDirectory(prefix="driftlint-celery-") as tmp:
        result_file = Path(tmp) / "result.json"
        try:
            completed = subprocess.run(
                [sys.executable, str(PROBE), spec, str(result_file)],
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return LoadedApp(False, f"importing the app took longer than {timeout:g}s")
        output = tuple(MASK((completed.stdout + completed.stderr).decode(errors="replace")).splitlines()[-10:])
        try:
            data: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return LoadedApp(False, output[-1] if output else f"exit status {completed.returncode}", output=output)
    if not data.get("ok"):
        return LoadedApp(False, MASK(str(data.get("error", ""))), output=output)
    return LoadedApp(
        True,
        module_file=Path(data["module_file"]) if data.get("module_file") else None,
        schedule=tuple(sorted(data["schedule"].items())),
        tasks=frozenset(data["tasks"]),
        output=output,
    )
