"""DL907 async-driver-for-migrations: env.py runs a sync engine on a URL that names an async driver."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from driftlint.diagnostics import Diagnostic, Location, Related
from driftlint.rule import Gate

if TYPE_CHECKING:
    from driftlint.verify.context import VerifyContext


class AsyncDriverForMigrations(Gate):
    code = "DL907"
    name = "async-driver-for-migrations"
    summary = "The URL migrations use names an async driver while env.py runs a sync engine"

    def verify(self, ctx: "VerifyContext") -> Iterator[Diagnostic]:
        from driftlint.verify import alembic_env
        from driftlint.verify.database import DatabaseURL
        from driftlint.verify.errors import VerifyError

        env_py = ctx.env_py()
        kind = alembic_env.engine_kind(env_py)
        if env_py is None or kind is None or kind[0] != "sync":
            return
        engine_line = kind[1]
        candidates: list[alembic_env.ConfiguredURL] = []
        configured = alembic_env.ini_url(ctx.analysis.environment)
        if configured is not None:
            candidates.append(configured)
        for name, line in sorted(alembic_env.variables_read(env_py, ctx.options.url_env).items()):
            value = ctx.environ.get(name)
            if value:
                candidates.append(alembic_env.ConfiguredURL(name, value, env_py, line))
        for candidate in candidates:
            try:
                url = DatabaseURL.parse(candidate.value)
            except VerifyError:
                continue
            if not url.is_async:
                continue
            where = (
                "`sqlalchemy.url`"
                if candidate.source == "sqlalchemy.url"
                else f"environment variable `{candidate.source}`"
            )
            sync = url.with_driver("postgresql+psycopg")
            yield self.diagnostic(
                f"{where} names the async driver `{url.driver}` ({url}), but env.py creates a sync engine: "
                "Alembic fails with `MissingGreenlet: greenlet_spawn has not been called`",
                ctx.project.relpath(candidate.path),
                (candidate.line, 1, candidate.line, 1),
                fix_title=f"Give migrations a sync URL ({sync}) or switch env.py to the async template",
                related=[
                    Related(ctx.project.relpath(env_py), Location(engine_line, 1), "the sync engine env.py creates")
                ],
                subject=(candidate.source, url.drivername),
            )
