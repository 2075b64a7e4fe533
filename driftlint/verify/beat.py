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
        StaticEntry(e.key, e.task, ctx.project.relpath(Path(e.path)), tuple(e.span))  # type: ignore[arg-type]
        for e in entries
        if isinstance(getattr(e, "key", None), str)
    ]


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
