"""Run `alembic upgrade heads` as the alembic CLI would, and record which revision failed.

With DRIFTLINT_ROUNDTRIP set, each revision is also downgraded and upgraded again right after its
upgrade, and the schema before the upgrade is compared with the one after the downgrade; with
DRIFTLINT_COMPARE_MODELS set, env.py's target_metadata is then compared with the migrated
database exactly as `alembic check` does it (env.py runs again, with its own configure options).

Executed by path with the project's Python (`python _alembic_runner.py CONFIG [SECTION] [TOML]`);
it imports only the standard library, Alembic and `_schema_probe.py` beside it (by path), so it
does not need driftlint importable.
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
ROUNDTRIP_VARIABLE = "DRIFTLINT_ROUNDTRIP"
COMPARE_MODELS_VARIABLE = "DRIFTLINT_COMPARE_MODELS"
SAVEPOINT = "driftlint_roundtrip"
UPGRADE_SAVEPOINT = "driftlint_upgrade"
NO_METADATA = "does not provide a MetaData object"


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


def _record_steps(state: dict[str, Any], roundtrip: "Roundtrip | None") -> None:
    """Wrap each upgrade step so the revision running when an error occurs is known (and, with
    --roundtrip, so its downgrade and second upgrade run right after it)."""
    from alembic.runtime import migration

    original_init = migration.RevisionStep.__init__

    def init(self: Any, revision_map: Any, revision: Any, is_upgrade: bool) -> None:
        original_init(self, revision_map, revision, is_upgrade)
        inner = self.migration_fn

        def run(*args: Any, **kwargs: Any) -> Any:
            state["current"] = {"revision": revision.revision, "path": revision.path}
            if roundtrip is not None and is_upgrade:
                result = roundtrip.step(revision, inner, args, kwargs)
            else:
                result = inner(*args, **kwargs)
            state["applied"].append(revision.revision)
            state["current"] = None
            return result

        run.__name__ = getattr(inner, "__name__", "upgrade")
        self.migration_fn = run

    migration.RevisionStep.__init__ = init  # type: ignore[method-assign]


class RoundtripStopped(Exception):
    """A round trip failed where no savepoint could undo it: the database is in no known state."""


class ProbeFailed(RoundtripStopped):
    """Reading the schema from the catalogs failed: driftlint's own failure, not the project's."""


class Roundtrip:
    """Upgrade a revision, downgrade it, upgrade it again, inside the run `upgrade heads` makes.

    All of it happens in the step that upgrades the revision, on the migrations' own connection:
    the version table only ever sees the plain upgrade, branches, merges and depends_on keep the
    order Alembic gives them, and a savepoint taken after the first upgrade is rolled back once the
    round trip is judged, so every later revision (and every gate) sees exactly the database
    `upgrade heads` builds. A downgrade that leaves the transaction (an autocommit block) cannot be
    rolled back: when its round trip then fails, the run stops there.
    """

    def __init__(self, probe: Any) -> None:
        self.probe = probe
        self.prober = probe.Prober()
        self.findings: list[dict[str, Any]] = []
        self.irreversible: list[str] = []
        self.checked = 0
        self.left_transaction = False
        self.stopped: str | None = None
        self.error: str | None = None

    def watch_autocommit_blocks(self) -> None:
        from alembic.runtime import migration

        original = migration.MigrationContext.autocommit_block
        roundtrip = self

        def autocommit_block(context: Any) -> Any:
            roundtrip.left_transaction = True
            return original(context)

        migration.MigrationContext.autocommit_block = autocommit_block  # type: ignore[method-assign, assignment]

    def step(self, revision: Any, upgrade: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        from alembic import op

        connection = op.get_bind()
        mark = self._probe(self.prober.mark, connection)
        before = self.prober.state()
        # The upgrade's own savepoint gives its catalog rows a transaction id of their own (see
        # _schema_probe), and is released once the step is judged.
        self.left_transaction = False
        upgraded = _savepoint(connection, UPGRADE_SAVEPOINT)
        result = upgrade(*args, **kwargs)  # a failure here is the fresh build's own (DL902)
        upgraded = upgraded and not self.left_transaction
        self.left_transaction = False
        saved = _savepoint(connection, SAVEPOINT)
        finding = self._down_and_up(revision, upgrade, args, kwargs, connection, before, mark)
        self.checked += 1
        if finding is not None:
            self.findings.append(finding)
        restored = saved and not self.left_transaction and _rollback_to_savepoint(connection, SAVEPOINT)
        if not restored and finding is not None:
            self.stopped = revision.revision
            raise RoundtripStopped(revision.revision)
        # The schema the next step starts from: what this upgrade (and, unrestored, the round trip) left.
        self._probe(self.prober.look, connection, mark)
        if upgraded and not self.left_transaction:
            _release(connection, UPGRADE_SAVEPOINT)
        return result

    def _down_and_up(
        self,
        revision: Any,
        upgrade: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        connection: Any,
        before: Any,
        mark: Any,
    ) -> dict[str, Any] | None:
        downgrade = getattr(revision.module, "downgrade", None)
        code = getattr(downgrade, "__code__", None)
        where = {"revision": revision.revision, "path": revision.path, "downgrade_line": code.co_firstlineno if code else None}
        try:
            if downgrade is None:
                raise AttributeError(f"module {revision.path!r} has no attribute 'downgrade'")
            downgrade(*args, **kwargs)
        except NotImplementedError:
            # Declared irreversible, as pytest-alembic treats it: skipped, and said so.
            self.irreversible.append(revision.revision)
            return None
        except Exception as exc:  # noqa: BLE001 - every failure of a downgrade is the finding
            return {"kind": "downgrade_failed", **where, **_error_details(exc, revision.path)}
        left = self.probe.differences(before, self._probe(self.prober.look, connection, mark))
        try:
            upgrade(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - an upgrade that cannot run again is the finding
            return {"kind": "upgrade_again_failed", **where, "differences": left, **_error_details(exc, revision.path)}
        if left:
            return {"kind": "leaves_trace", **where, "differences": left}
        return None

    def _probe(self, read: Any, *args: Any) -> Any:
        try:
            return read(*args)
        except Exception as exc:  # noqa: BLE001 - reported as driftlint's own failure
            self.error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
            raise ProbeFailed(self.error) from exc

    def report(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "findings": self.findings,
            "irreversible": self.irreversible,
            "checked": self.checked,
            "stopped": self.stopped,
        }


def _savepoint(connection: Any, name: str) -> bool:
    try:
        connection.exec_driver_sql(f"SAVEPOINT {name}")
    except Exception:  # noqa: BLE001 - not in a transaction (autocommit): nothing to roll back to
        return False
    return True


def _rollback_to_savepoint(connection: Any, name: str) -> bool:
    try:
        connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {name}")
    except Exception:  # noqa: BLE001 - the savepoint went with a commit
        return False
    return _release(connection, name)


def _release(connection: Any, name: str) -> bool:
    try:
        connection.exec_driver_sql(f"RELEASE SAVEPOINT {name}")
    except Exception:  # noqa: BLE001 - the savepoint went with a commit
        return False
    return True


def _load_probe() -> Any:
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_schema_probe.py")
    spec = importlib.util.spec_from_file_location("_driftlint_schema_probe", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compare_models(config: Any) -> dict[str, Any]:
    """`alembic check`, step by step as alembic.command.check takes it, keeping what it finds.

    env.py runs again with autogenerate's own function, so its configure() options
    (compare_type, include_object, include_schemas, render_item...) apply.
    """
    from alembic import autogenerate, util
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    script_directory = ScriptDirectory.from_config(config)
    command_args = dict(
        message=None,
        autogenerate=True,
        sql=False,
        head="head",
        splice=False,
        branch_label=None,
        version_path=None,
        rev_id=None,
        depends_on=None,
    )
    revision_context = autogenerate.RevisionContext(config, script_directory, command_args)
    found: list[dict[str, Any]] = []

    def retrieve_migrations(rev: Any, context: Any) -> list[Any]:
        revision_context.run_autogenerate(rev, context)
        # Rendered while env.py's context is alive, with its render options.
        for script in revision_context.generated_revisions[-1:]:
            for upgrade_ops in script.upgrade_ops_list:
                found.extend(_differences(upgrade_ops, context))
        return []

    try:
        with EnvironmentContext(
            config,
            script_directory,
            fn=retrieve_migrations,
            as_sql=False,
            template_args=revision_context.template_args,
            revision_context=revision_context,
        ):
            script_directory.run_env()
    except util.CommandError as exc:
        if NO_METADATA in str(exc):
            return {"status": "no_metadata"}
        return {"status": "failed", **_error_details(exc, None)}
    except Exception as exc:  # noqa: BLE001 - `alembic check` fails with it: so does the gate
        return {"status": "failed", **_error_details(exc, None)}
    return {"status": "compared", "differences": found}


def _differences(upgrade_ops: Any, context: Any) -> list[dict[str, Any]]:
    """One record per difference autogenerate finds, each with the code it would write for it."""
    from alembic.operations import ops

    records = []
    for operation in upgrade_ops.ops:
        if isinstance(operation, ops.ModifyTableOps):
            for inner in operation.ops:
                for single in _one_change_each(inner):
                    wrapped = ops.ModifyTableOps(operation.table_name, [single], schema=operation.schema)
                    records.append(_record(single, wrapped, context, operation.schema))
        else:
            records.append(_record(operation, operation, context, getattr(operation, "schema", None)))
    return records


MODIFY_DEFAULTS = {"modify_type": None, "modify_nullable": None, "modify_server_default": False, "modify_comment": False, "modify_name": None}


def _one_change_each(operation: Any) -> list[Any]:
    """An alter_column that changes several things, as one alter_column per change."""
    import copy

    from alembic.operations import ops

    if not isinstance(operation, ops.AlterColumnOp):
        return [operation]
    changed = [name for name, unset in MODIFY_DEFAULTS.items() if getattr(operation, name) is not unset]
    if len(changed) <= 1:
        return [operation]
    singles = []
    for keep in changed:
        single = copy.copy(operation)
        for name, unset in MODIFY_DEFAULTS.items():
            if name != keep:
                setattr(single, name, unset)
        singles.append(single)
    return singles


def _record(operation: Any, renderable: Any, context: Any, schema: str | None) -> dict[str, Any]:
    diff = operation.to_diff_tuple()
    first = diff[0] if isinstance(diff, list) else diff
    kind = first[0]
    code = _render(renderable, context)
    lines = [line for line in code.splitlines() if line.strip() and not line.strip().startswith("# ###")]
    indent = min((len(line) - len(line.lstrip()) for line in lines), default=0)
    column = getattr(operation, "column_name", None) or getattr(getattr(operation, "column", None), "name", None)
    record = {
        "kind": kind,
        "schema": schema,
        "table": getattr(operation, "table_name", None) or getattr(operation, "source_table", None),
        "column": column,
        "name": getattr(operation, "index_name", None) or getattr(operation, "constraint_name", None),
        "code": [line[indent:] for line in lines],
        "was": None,
        "now": None,
    }
    if kind.startswith("modify_"):
        record["was"], record["now"] = _shown(first[5], context), _shown(first[6], context)
    return record


def _render(operation: Any, context: Any) -> str:
    """The code autogenerate would write for one operation, with env.py's render options
    (render_item, user_module_prefix...) and its dialect, as `alembic revision --autogenerate`
    renders it (render_python_code would insist on target_metadata for its own context)."""
    from alembic.autogenerate.api import AutogenContext
    from alembic.operations import ops

    upgrade_ops = ops.UpgradeOps([operation])
    try:
        from alembic.autogenerate.render import _render_cmd_body

        return str(_render_cmd_body(upgrade_ops, AutogenContext(context, autogenerate=False)))
    except ImportError:
        from alembic.autogenerate import render_python_code

        opts = context.opts
        return str(
            render_python_code(
                upgrade_ops,
                render_item=opts.get("render_item"),
                user_module_prefix=opts.get("user_module_prefix"),
                render_as_batch=opts.get("render_as_batch", False),
            )
        )


def _shown(value: Any, context: Any) -> str:
    """A type, default or flag as the database or the model says it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "NULL" if value else "NOT NULL"
    compile_ = getattr(value, "compile", None)
    if compile_ is not None and hasattr(value, "_type_affinity"):
        try:
            return str(compile_(dialect=context.dialect))
        except Exception:  # noqa: BLE001 - a type the dialect cannot render
            return repr(value)
    argument = getattr(value, "arg", value)
    return str(getattr(argument, "text", argument))


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
    roundtrip = Roundtrip(_load_probe()) if os.environ.get(ROUNDTRIP_VARIABLE) else None
    try:
        from alembic import command
        from alembic.config import Config

        _record_steps(state, roundtrip)
        if roundtrip is not None:
            roundtrip.watch_autocommit_blocks()
        kwargs: dict[str, Any] = {"ini_section": section or "alembic"}
        if toml_file:
            kwargs["toml_file"] = toml_file
        config = Config(config_file or None, **kwargs)
        # ConfigParser interpolation would read `%` in a password as a reference.
        config.set_section_option(section or "alembic", "sqlalchemy.url", os.environ[URL_VARIABLE].replace("%", "%%"))
        command.upgrade(config, "heads")
        result["ok"] = True
        if os.environ.get(COMPARE_MODELS_VARIABLE):
            result["models"] = compare_models(config)
    except RoundtripStopped:
        pass  # the round trip's finding says what happened; the build is not complete
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent, then re-raised
        current = state["current"] or {}
        result["failure"] = {
            "revision": current.get("revision"),
            "path": current.get("path"),
            **_error_details(exc, current.get("path")),
        }
    finally:
        if roundtrip is not None:
            result["roundtrip"] = roundtrip.report()
        with open(os.environ[RESULT_VARIABLE], "w", encoding="utf-8") as handle:
            json.dump(result, handle)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
