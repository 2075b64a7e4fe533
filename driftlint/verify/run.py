"""The verify pipeline: static graph checks, target inspection, the --fresh build, then every live gate."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, ContextManager, Mapping

from driftlint.config import ConfigError, Settings, did_you_mean
from driftlint.diagnostics import Diagnostic
from driftlint.discovery import Environment, discover
from driftlint.engine import CheckOptions, load_project_settings, run_check, selected_rules
from driftlint.engine.filters import apply_per_file_ignores, apply_severity, apply_suppressions
from driftlint.extras import missing_modules
from driftlint.project import EnvironmentAnalysis, Project
from driftlint.rule import Gate
from driftlint.verify import alembic_env
from driftlint.verify.context import VerifyContext, VerifyOptions
from driftlint.verify.database import (
    INSTALL_HINT,
    MASK,
    DatabaseURL,
    Inspection,
    connect,
    open_inspection,
    quote_ident,
)
from driftlint.verify.embedded import EmbeddedServer, embedded_postgres, signals_exit
from driftlint.verify.errors import VerifyError
from driftlint.verify.fresh import AlembicTarget, RunnerChecks, alembic_run, initial_database, scratch_database
from driftlint.verify.outcome import FreshOutcome

# The static checks the gates build on: a revision graph that parses, links and has known heads.
STATIC_SELECT = ("DL001", "DL101", "DL103", "DL104", "DL105", "DL108")
ENV_URLS = ("DRIFTLINT_DATABASE_URL", "DATABASE_URL")
DEFAULT_DRIVER = "postgresql+psycopg"


@dataclass
class VerifyRequest:
    path: Path
    cwd: Path
    settings_file: Path | None = None
    alembic_config: Path | None = None
    alembic_section: str | None = None
    # Options given on the command line (None: not given, so config or default applies).
    given: dict[str, Any] = field(default_factory=dict)
    # Rule selection given on the command line, combined with the settings' as `check` does.
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # Starts the server --fresh uses when no target is given (tests pass their session server).
    server: Callable[[], ContextManager[EmbeddedServer]] = embedded_postgres


@dataclass
class VerifyResult:
    diagnostics: list[Diagnostic]
    settings: Settings
    options: VerifyOptions
    files_read: int


def _config_key(name: str) -> str:
    return name.replace("_", "-")


def resolve_options(config: Mapping[str, Any], given: Mapping[str, Any], source: Path | None) -> VerifyOptions:
    """Command line over [tool.driftlint.verify] over defaults, with types checked."""
    known = {f.name: f for f in fields(VerifyOptions)}
    where = f"{source}: " if source else ""
    values: dict[str, Any] = {}
    for key, value in config.items():
        name = key.replace("-", "_")
        if name not in known:
            suggestion = did_you_mean(key, [field.replace("_", "-") for field in known])
            raise ConfigError(f"{where}unknown setting `{key}` in [tool.driftlint.verify]{suggestion}")
        values[name] = _coerce(name, value, f"{where}[tool.driftlint.verify] `{key}`")
    for name, value in given.items():
        if value is not None and value != ():
            values[name] = _coerce(name, value, f"--{_config_key(name)}")
    return VerifyOptions(**values)


def _coerce(name: str, value: Any, label: str) -> Any:
    if name in ("url_env", "read_only_tables", "fresh_roles"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{label} must be a list of strings")
        return tuple(value)
    if name in ("fresh", "roundtrip"):
        if not isinstance(value, bool):
            raise ConfigError(f"{label} must be true or false")
        return value
    if name == "timeout":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{label} must be a positive number of seconds")
        return float(value)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{label} must be a non-empty string")
    return value


def selection(settings: Settings, request: VerifyRequest) -> Settings:
    """The settings' select/ignore/extend-select with the command line's, as `check` combines them."""
    return replace(
        settings,
        select=request.select or settings.select,
        ignore=settings.ignore + request.ignore,
        extend_select=settings.extend_select + request.extend_select,
    )


def chosen_gates(settings: Settings) -> list[Gate]:
    """The live gates the selection leaves in, by code."""
    return [rule() for rule in selected_rules(settings) if issubclass(rule, Gate)]


def require_verify_extra(fresh: bool) -> None:
    """One line naming what is missing, before anything starts: `verify` needs psycopg, and
    `--fresh` also runs Alembic (with SQLAlchemy) in a subprocess of this Python."""
    wanted = ("psycopg", "sqlalchemy", "alembic") if fresh else ("psycopg",)
    missing = missing_modules(wanted)
    if missing:
        what = "driftlint verify --fresh" if fresh else "driftlint verify"
        raise VerifyError(f"{what} needs {', '.join(missing)}, which the [verify] extra installs: {INSTALL_HINT}")



def choose_environment(environments: list[Environment], request: VerifyRequest) -> Environment:
    runnable = [e for e in environments if e.config_path is not None]
    if not runnable:
        raise VerifyError(
            f"no Alembic configuration (alembic.ini or [tool.alembic]) found under {request.path}; pass -c/--config"
        )
    if len(runnable) > 1:
        names = ", ".join(
            sorted(
                os.path.relpath(str(e.config_path), request.cwd) + (f" [{e.section}]" if e.section else "")
                for e in runnable
            )
        )
        raise VerifyError(f"several Alembic environments found ({names}); choose one with -c/--config and -n/--name")
    return runnable[0]


def _analysis(project: Project, environment: Environment) -> EnvironmentAnalysis:
    for analysis in project.environments:
        found = analysis.environment
        if found.config_path == environment.config_path and found.section == environment.section:
            return analysis
    raise VerifyError(f"{environment.config_path}: the Alembic environment could not be analysed")


def target_url(options: VerifyOptions, environ: Mapping[str, str]) -> DatabaseURL | None:
    raw = options.database_url or next((environ[name] for name in ENV_URLS if environ.get(name)), None)
    return DatabaseURL.parse(raw) if raw else None


def project_driver(
    options: VerifyOptions, environ: Mapping[str, str], environment: Environment, target: DatabaseURL | None
) -> str:
    """The driver env.py would use: from the URL variables, the target URL, then alembic.ini."""
    candidates = [environ.get(name) for name in options.url_env]
    configured = alembic_env.ini_url(environment)
    for raw in candidates:
        if raw:
            with contextlib.suppress(VerifyError):
                return DatabaseURL.parse(raw).drivername
    if target is not None:
        return target.drivername
    if configured is not None:
        with contextlib.suppress(VerifyError):
            return DatabaseURL.parse(configured.value).drivername
    return DEFAULT_DRIVER


def _sorted_roles(options: VerifyOptions) -> list[str]:
    roles = {options.app_role, options.migration_role, options.read_only_role, *options.fresh_roles}
    return sorted(r for r in roles if r)


def create_roles(admin: DatabaseURL, roles: list[str], timeout: float) -> None:
    """On the embedded server only: the roles the options name, so migrations can GRANT to them."""
    with connect(admin, timeout, autocommit=True, read_only=False) as conn:
        existing = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
        for role in roles:
            if role not in existing:
                conn.execute(f"CREATE ROLE {quote_ident(role)} LOGIN")  # type: ignore[arg-type]


def ensure_roles_exist(inspection: Inspection, options: VerifyOptions) -> None:
    named = {
        "--app-role": options.app_role,
        "--migration-role": options.migration_role,
        "--read-only-role": options.read_only_role,
    }
    existing = {row[0] for row in inspection.rows("SELECT rolname FROM pg_roles")}
    for flag, role in named.items():
        if role and role not in existing:
            raise VerifyError(f"{flag} {role}: no such role on the server of {inspection.url}")


def run_verify(request: VerifyRequest, announce: Callable[[str], None]) -> VerifyResult:
    if not request.path.exists():
        raise ConfigError(f"{request.path}: no such file or directory")
    settings = load_project_settings(
        CheckOptions(paths=[request.path], cwd=request.cwd, settings_file=request.settings_file)
    )
    settings = selection(settings, request)
    options = resolve_options(settings.verify, request.given, settings.source)
    if options.roundtrip and not options.fresh:
        if request.given.get("fresh") is False:
            raise VerifyError("--roundtrip builds a fresh database: it cannot be combined with --no-fresh")
        options = replace(options, fresh=True)
    gates = chosen_gates(settings)
    # What this run reports: the selected graph checks and gates.
    chosen = {rule.code for rule in selected_rules(settings) if rule.code in STATIC_SELECT}
    chosen |= {gate.code for gate in gates}
    static = CheckOptions(
        paths=[request.path],
        cwd=request.cwd,
        settings_file=request.settings_file,
        alembic_config=[request.alembic_config] if request.alembic_config else [],
        alembic_section=request.alembic_section,
        # The graph checks the gates build on run whatever the selection; their findings are kept
        # only when selected.
        select=STATIC_SELECT,
        # DL908 compares the app --celery-app names with the schedule entries found in the code,
        # wherever that app is defined: the Celery facts are wanted whatever the gate says.
        all_facts=True,
    )
    dirs = [request.path.resolve()] if request.path.is_dir() else [settings.root]
    environments = discover(
        dirs, settings, [p.resolve() for p in static.alembic_config] or None, static.alembic_section
    )
    environment = choose_environment(environments, request)
    target = target_url(options, request.environ)
    if target is None and not options.fresh:
        raise VerifyError(
            "no database to verify: pass --database-url (or set DRIFTLINT_DATABASE_URL or DATABASE_URL), or --fresh"
        )
    require_verify_extra(options.fresh)
    checks = RunnerChecks(
        roundtrip=options.roundtrip and bool({"DL911", "DL912"} & chosen),
        compare_models=options.fresh and "DL910" in chosen,
    )
    # SIGTERM/SIGHUP unwind like Ctrl-C, so the scratch database and server are always removed.
    with signals_exit(), contextlib.ExitStack() as stack:
        inspection = None
        if target is not None:
            inspection = stack.enter_context(
                open_inspection(target.with_driver(DEFAULT_DRIVER), "the database", options.timeout)
            )
            ensure_roles_exist(inspection, options)
        finish = _start_fresh(stack, environment, options, target, request, checks, announce) if options.fresh else None
        # The static analysis runs while the migrations build the scratch database.
        check = run_check(static)
        assert check.project is not None and check.settings is not None
        project = check.project
        ctx = VerifyContext(
            project=project,
            analysis=_analysis(project, environment),
            options=options,
            target=inspection,
            announce=announce,
            environ=request.environ,
        )
        if finish is not None:
            ctx.fresh = finish()
            if ctx.fresh.roundtrip is not None and ctx.fresh.roundtrip.error is not None:
                raise VerifyError(f"--roundtrip could not read the schema from the catalogs: {ctx.fresh.roundtrip.error}")
            if ctx.fresh.ok:
                ctx.fresh_db = stack.enter_context(open_inspection(ctx.fresh.url, "the fresh database", options.timeout))
            _announce_fresh_notes(ctx.fresh, announce)
        diagnostics = [d for d in check.diagnostics if d.code in chosen]
        for gate in gates:
            diagnostics.extend(gate.verify(ctx))
    return VerifyResult(_finish(diagnostics, project, chosen), check.settings, options, check.files_read)


def _announce_fresh_notes(fresh: FreshOutcome, announce: Callable[[str], None]) -> None:
    """What the fresh build could not judge, said once on stderr (not findings)."""
    if fresh.models is not None and fresh.models.status == "no_metadata":
        announce("driftlint: note: env.py passes no target_metadata to context.configure(); DL910 compared no models")
    if fresh.roundtrip is not None:
        for revision in fresh.roundtrip.irreversible:
            announce(f"driftlint: note: --roundtrip skipped {revision}: its downgrade() raises NotImplementedError")
        if fresh.roundtrip.stopped is not None:
            announce(
                f"driftlint: note: --roundtrip stopped at {fresh.roundtrip.stopped}: its failed round trip left the "
                "transaction (an autocommit block), so it could not be undone; the later revisions and the gates "
                "that read the fresh database were not checked"
            )


def _start_fresh(
    stack: contextlib.ExitStack,
    environment: Environment,
    options: VerifyOptions,
    target: DatabaseURL | None,
    request: VerifyRequest,
    checks: RunnerChecks,
    announce: Callable[[str], None],
) -> Callable[[], FreshOutcome]:
    """Create the scratch database and start migrating it; the returned function waits for the result."""
    assert environment.config_path is not None
    is_toml = environment.config_path.name == "pyproject.toml"
    alembic = AlembicTarget(
        config_file=None if is_toml else environment.config_path,
        section=environment.section,
        toml_file=environment.config_path if is_toml else None,
        url_env=options.url_env,
    )
    driver = project_driver(options, request.environ, environment, target)
    # Started first: Python and Alembic load while the server starts and the database is created.
    run = stack.enter_context(alembic_run(alembic, request.environ, driver, options.timeout, checks))
    owner: str | None = None
    if target is not None:
        admin = target.with_driver(DEFAULT_DRIVER)
        where = f"on the target server ({target.host or 'local socket'})"
    else:
        where = "on an embedded PostgreSQL"
        server = stack.enter_context(request.server())
        admin = DatabaseURL.parse(server.url("postgres"))
        create_roles(admin, _sorted_roles(options), options.timeout)
        owner = options.migration_role
    if target is None and request.server is embedded_postgres:
        # verify's own throwaway cluster, removed with all it holds when verify ends: CREATE and
        # DROP DATABASE would cost a tenth of a second or more on a slow disk for nothing.
        scratch = initial_database(admin, options.timeout, owner)
    else:
        scratch = stack.enter_context(scratch_database(admin, options.timeout, owner))
    migrations_url = scratch.with_driver(driver)
    if owner:
        migrations_url = replace(migrations_url, username=owner, password=None)
    # On the way out the runner stops before the scratch database is dropped.
    stack.callback(run.stop)
    doing = "`alembic upgrade heads`" + (", each revision down and up again" if checks.roundtrip else "")
    announce(f"driftlint: building a fresh database {where} with {doing}")
    run.go(migrations_url)
    return lambda: run.finish(scratch, migrations_url)


def _finish(diagnostics: list[Diagnostic], project: Project, chosen: set[str]) -> list[Diagnostic]:
    masked = [
        replace(
            d,
            message=MASK(d.message),
            fix_title=MASK(d.fix_title) if d.fix_title else None,
            context=tuple((title, tuple(MASK(line) for line in lines)) for title, lines in d.context),
        )
        for d in diagnostics
    ]
    kept = apply_suppressions(masked, project, chosen)

    def where(diagnostic: Diagnostic) -> Settings:
        return project.settings_for(project.cwd / diagnostic.path)

    kept = apply_severity(apply_per_file_ignores(kept, where, project), where)
    unique = {(d.sort_key(), d.end, d.related): d for d in kept}
    return sorted(unique.values(), key=Diagnostic.sort_key)
