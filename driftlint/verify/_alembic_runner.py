"""Run `alembic upgrade heads` as the alembic CLI would, and record which revision failed.

Executed by path with the project's Python (`python _alembic_runner.py CONFIG [SECTION] [TOML]`);
it imports only the standard library and Alembic, so it does not need driftlint importable.
The URL arrives in the environment, or on stdin once the database exists when the runner was
started early (never on the command line, where `ps` would show it), and the outcome is written
as JSON to the file named by DRIFTLINT_RESULT.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

URL_VARIABLE = "DRIFTLINT_ALEMBIC_URL"
RESULT_VARIABLE = "DRIFTLINT_RESULT"
# Set: the runner is started before the database exists. It imports Alembic, SQLAlchemy and the
# database driver (named by DRIVER_VARIABLE) meanwhile, then reads one JSON line from stdin: the
# environment variables that hold the URL. An empty stdin means the run was called off.
URL_ON_STDIN_VARIABLE = "DRIFTLINT_URL_ON_STDIN"
DRIVER_VARIABLE = "DRIFTLINT_DRIVER"
# The pid of the driftlint that started the runner: the runner asks to be killed when it dies.
PARENT_VARIABLE = "DRIFTLINT_PARENT_PID"
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """SIGKILL when driftlint dies, however it dies: a runner left migrating keeps the scratch
    database in use, so nothing could ever drop it. Linux only (prctl)."""
    parent = os.environ.pop(PARENT_VARIABLE, "")
    if not parent or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:  # noqa: BLE001 - without prctl the runner only lacks this safety net
        return
    if os.getppid() != int(parent):
        os._exit(2)  # driftlint died before the request took effect


def _record_steps(state: dict[str, Any]) -> None:
    """Wrap each upgrade step so the revision running when an error occurs is known."""
    from alembic.runtime import migration

    original_init = migration.RevisionStep.__init__

    def init(self: Any, revision_map: Any, revision: Any, is_upgrade: bool) -> None:
        original_init(self, revision_map, revision, is_upgrade)
        inner = self.migration_fn

        def run(*args: Any, **kwargs: Any) -> Any:
            state["current"] = {"revision": revision.revision, "path": revision.path}
            result = inner(*args, **kwargs)
            state["applied"].append(revision.revision)
            state["current"] = None
            return result

        run.__name__ = getattr(inner, "__name__", "upgrade")
        self.migration_fn = run

    migration.RevisionStep.__init__ = init


def _error_details(exc: BaseException, path: str | None) -> dict[str, Any]:
    orig = getattr(exc, "orig", None)
    source = orig if orig is not None else exc
    text = str(source).strip()
    first = text.splitlines()[0].strip() if text else type(source).__name__
    if orig is None and not isinstance(exc, Exception):
        first = type(exc).__name__
    line = None
    if path is not None:
        for frame in traceback.extract_tb(exc.__traceback__):
            if os.path.abspath(frame.filename) == os.path.abspath(path):
                line = frame.lineno
    statement = getattr(exc, "statement", None)
    return {
        "error": first,
        "exception": f"{type(source).__module__}.{type(source).__name__}",
        "sqlstate": getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None),
        "statement": statement.strip() if isinstance(statement, str) else None,
        "line": line,
    }


def _warm_up(driver: str) -> None:
    """Import what every run imports (libraries only, never the project's code)."""
    try:
        from alembic import command  # noqa: F401
        from alembic.config import Config  # noqa: F401

        if driver:
            from sqlalchemy.engine.url import make_url

            make_url(f"{driver}://").get_dialect().import_dbapi()
    except Exception:  # noqa: BLE001 - the run itself reports whatever fails here
        pass


def _receive_url() -> bool:
    """The URL's environment variables from the parent; False when it called the run off."""
    line = sys.stdin.readline()
    if not line.strip():
        return False
    os.environ.update({str(k): str(v) for k, v in json.loads(line).items()})
    return True


def main(argv: list[str]) -> int:
    # The alembic console script does not have the current directory on sys.path; neither do we.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)
    _die_with_parent()
    if os.environ.get(URL_ON_STDIN_VARIABLE):
        _warm_up(os.environ.get(DRIVER_VARIABLE, ""))
        if not _receive_url():
            return 2
    config_file, section, toml_file = (argv + [None, None, None])[:3]
    state: dict[str, Any] = {"current": None, "applied": []}
    result: dict[str, Any] = {"ok": False, "applied": state["applied"], "failure": None}
    try:
        from alembic import command
        from alembic.config import Config

        _record_steps(state)
        kwargs: dict[str, Any] = {"ini_section": section or "alembic"}
        if toml_file:
            kwargs["toml_file"] = toml_file
        config = Config(config_file or None, **kwargs)
        # ConfigParser interpolation would read `%` in a password as a reference.
        config.set_section_option(section or "alembic", "sqlalchemy.url", os.environ[URL_VARIABLE].replace("%", "%%"))
        command.upgrade(config, "heads")
        result["ok"] = True
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent, then re-raised
        current = state["current"] or {}
        result["failure"] = {
            "revision": current.get("revision"),
            "path": current.get("path"),
            **_error_details(exc, current.get("path")),
        }
    finally:
        with open(os.environ[RESULT_VARIABLE], "w", encoding="utf-8") as handle:
            json.dump(result, handle)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
