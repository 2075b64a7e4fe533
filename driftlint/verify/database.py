"""Database URLs (sync or async drivers, passwords masked everywhere) and read-only inspection sessions."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlencode

from driftlint.verify.errors import VerifyError

if TYPE_CHECKING:
    import psycopg

INSTALL_HINT = "pip install driftlint[verify]"
APPLICATION_NAME = "driftlint-verify"
ASYNC_DRIVERS = frozenset({"asyncpg", "psycopg_async", "aiopg"})
# libpq connection parameters a URL's query may carry (SQLAlchemy's PostgreSQL dialects pass the
# query on to the driver, so these mean to verify what they mean to env.py); a query value wins
# over the same part of the URL, as it does in libpq and SQLAlchemy.
LIBPQ_QUERY = frozenset(
    {
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "passfile",
        "require_auth",
        "channel_binding",
        "client_encoding",
        "options",
        "application_name",
        "fallback_application_name",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "sslmode",
        "sslnegotiation",
        "sslcompression",
        "sslcert",
        "sslkey",
        "sslpassword",
        "sslcertmode",
        "sslrootcert",
        "sslcrl",
        "sslcrldir",
        "sslsni",
        "requirepeer",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
        "krbsrvname",
        "gsslib",
        "gssdelegation",
        "gssencmode",
        "service",
        "target_session_attrs",
        "load_balance_hosts",
    }
)
# Query parameters whose values are secrets (`options` may carry `-c name=secret`): masked in
# every output, rendered as `***`.
SECRET_QUERY = frozenset({"password", "sslpassword", "options"})
SSL_MODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
# Greedy up to the last `@` of the token: an unencoded password may itself contain `@`.
# sqlalchemy/engine/url.py _parse_url: the same grammar, so URLs mean what they mean to env.py.
_URL = re.compile(
    r"""
    (?P<name>[\w\+]+)://
    (?:
        (?P<username>[^:/]*)
        (?::(?P<password>[^@]*))?
    @)?
    (?:
        (?:
            \[(?P<ipv6host>[^/\?]+)\] |
            (?P<ipv4host>[^/:\?]+)
        )?
        (?::(?P<port>[^/\?]*))?
    )?
    (?:/(?P<database>[^\?]*))?
    (?:\?(?P<query>.*))?
    """,
    re.VERBOSE,
)
_URL_CREDENTIALS = re.compile(
    r"(?P<head>[a-z][a-z0-9+._-]*://[^:/@\s'\"]*:)(?P<secret>[^\s'\"]+)(?P<tail>@)", re.IGNORECASE
)
# `password=...` as a URL query or a libpq keyword/value string writes it (quoted or not).
_KEYWORD_SECRETS = re.compile(
    r"""(?P<head>\b(?:ssl)?password\s*=\s*|[?&]options=)(?P<secret>'(?:[^'\\]|\\.)*'|[^&\s'"]*)""",
    re.IGNORECASE,
)


def _spellings(secret: str) -> set[str]:
    """Every way a secret is written where it could be echoed: as given, percent-encoded (as
    urllib, SQLAlchemy 2 and SQLAlchemy 1.4 each escape it), with ConfigParser's `%%`, and in a
    Python repr."""
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        quote(secret, safe=" +"),
        re.sub(r"[:@/]", lambda m: f"%{ord(m.group(0)):X}", secret),
    }
    forms |= {form.replace("%", "%%") for form in forms}
    forms.add(repr(secret)[1:-1])
    return {form for form in forms if form}


class Masker:
    """Replaces every known secret of a database URL (and any credential a URL or a libpq keyword
    string carries) with `***`."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret:
            self._secrets.update(_spellings(secret))

    def add_url(self, raw: str) -> None:
        """Register the secrets of a URL before it is parsed (so parse errors cannot leak them):
        the password of its user part and the values of its secret query parameters."""
        _, scheme, rest = raw.partition("://")
        if not scheme:
            return
        location, _, query = rest.partition("?")
        credentials = location[: location.rfind("@")] if "@" in location else ""
        if ":" in credentials:
            secret = credentials.split(":", 1)[1]
            self.add(secret)
            self.add(unquote(secret))
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            if unquote(key).lower() in SECRET_QUERY and value:
                self.add(value)
                self.add(unquote(value))
                self.add(unquote_plus(value))

    def __call__(self, text: str) -> str:
        text = _URL_CREDENTIALS.sub(lambda m: f"{m['head']}***{m['tail']}", text)
        text = _KEYWORD_SECRETS.sub(lambda m: f"{m['head']}***" if m["secret"] else m[0], text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


MASK = Masker()


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed SQLAlchemy-style URL; `str()` and `repr()` never show the password."""

    drivername: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, raw: str) -> "DatabaseURL":
        """Parse like SQLAlchemy's make_url (same pattern), without importing SQLAlchemy."""
        MASK.add_url(raw)
        match = _URL.match(raw.strip())
        if match is None:
            raise VerifyError(f"not a database URL: {MASK(raw)!r}")
        password = unquote(match["password"]) if match["password"] is not None else None
        MASK.add(password)
        query = tuple(parse_qsl(match["query"] or "", keep_blank_values=True))
        for key, value in query:
            if key.lower() in SECRET_QUERY:
                MASK.add(value)
        drivername = match["name"]
        if drivername.split("+")[0] not in ("postgresql", "postgres"):
            raise VerifyError(f"{MASK(raw)}: driftlint verify supports PostgreSQL URLs only")
        if drivername == "postgres" or drivername.startswith("postgres+"):
            drivername = "postgresql" + drivername[len("postgres") :]
        port = match["port"]
        if port and not port.isdigit():
            raise VerifyError(f"not a database URL (bad port): {MASK(raw)!r}")
        return cls(
            drivername=drivername,
            username=unquote(match["username"]) if match["username"] else None,
            password=password,
            host=match["ipv6host"] or match["ipv4host"] or None,
            port=int(port) if port else None,
            database=unquote(match["database"]) if match["database"] else None,
            query=query,
        )

    @property
    def driver(self) -> str:
        return self.drivername.partition("+")[2]

    @property
    def is_async(self) -> bool:
        return self.driver in ASYNC_DRIVERS

    def with_database(self, database: str) -> "DatabaseURL":
        return replace(self, database=database)

    def with_driver(self, drivername: str) -> "DatabaseURL":
        return replace(self, drivername=drivername)

    def render(self, hide_password: bool = True) -> str:
        """The URL text; with `hide_password=False` only for handing to Alembic, never for output."""
        text = f"{self.drivername}://"
        if self.username is not None:
            text += quote(self.username, safe="")
            if self.password is not None:
                text += ":" + ("***" if hide_password else quote(self.password, safe=""))
            text += "@"
        if self.host:
            text += f"[{self.host}]" if ":" in self.host else self.host
        if self.port:
            text += f":{self.port}"
        if self.database is not None:
            text += "/" + quote(self.database, safe="")
        if self.query:
            shown = [(k, "***" if hide_password and k.lower() in SECRET_QUERY else v) for k, v in self.query]
            text += "?" + urlencode(shown, safe="*")
        return text

    def __str__(self) -> str:
        return self.render(hide_password=True)

    def psycopg_params(self) -> dict[str, Any]:
        """Connection keywords for psycopg 3, whatever driver the URL names."""
        params: dict[str, Any] = {}
        if self.host:
            params["host"] = self.host
        if self.port:
            params["port"] = self.port
        if self.username:
            params["user"] = self.username
        if self.password:
            params["password"] = self.password
        params["dbname"] = self.database or self.username or "postgres"
        for key, value in self.query:
            if key in LIBPQ_QUERY:
                params[key] = value
            elif key == "ssl":
                # asyncpg spells sslmode `ssl` (and accepts true/false).
                lowered = value.lower()
                params["sslmode"] = (
                    lowered if lowered in SSL_MODES else ("require" if lowered in ("true", "1") else "disable")
                )
        return params


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise VerifyError(f"driftlint verify needs the psycopg driver: {INSTALL_HINT}") from None
    return psycopg


def describe_connect_error(url: DatabaseURL, exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    # libpq puts the reason after the last "failed:" (one line per address it tried).
    reasons = [line.rsplit("failed:", 1)[-1].strip() for line in lines if "failed:" in line] or lines
    reason = reasons[-1] if reasons else type(exc).__name__
    reason = re.sub(r"^(FATAL|ERROR):\s+", "", reason)
    if "password authentication failed" in reason or "no password supplied" in reason:
        reason = f"bad credentials ({reason})"
    return MASK(f"cannot connect to {url}: {reason}")


def connect(
    url: DatabaseURL, timeout: float, *, autocommit: bool = False, read_only: bool = True
) -> "psycopg.Connection[Any]":
    """A connection with connect, statement and lock timeouts; read-only unless asked otherwise."""
    psycopg = _psycopg()
    options = f"-c statement_timeout={int(timeout * 1000)} -c lock_timeout={int(timeout * 1000)}"
    if read_only:
        options += " -c default_transaction_read_only=on"
    params = url.psycopg_params()
    if "options" in params:
        options = f"{params.pop('options')} {options}"
    # The URL's own application_name wins: a DBA may watch for it in pg_stat_activity.
    params.setdefault("application_name", APPLICATION_NAME)
    params["connect_timeout"] = max(2, int(round(timeout)))
    try:
        conn = psycopg.connect(**params, options=options, autocommit=autocommit)
    except psycopg.Error as exc:
        raise VerifyError(describe_connect_error(url, exc)) from None
    if read_only and not autocommit:
        conn.read_only = True
    return conn


@dataclass
class Inspection:
    """One database seen through a single READ ONLY transaction, with timeouts."""

    url: DatabaseURL
    label: str  # "the database" / "the fresh database", used in messages
    conn: "psycopg.Connection[Any]"
    version_num: int = 0
    current_user: str = ""

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        psycopg = _psycopg()
        try:
            return list(self.conn.execute(sql, params or None).fetchall())
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise VerifyError(MASK(f"query on {self.url} failed: {first}")) from None

    def value(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None


@contextlib.contextmanager
def open_inspection(url: DatabaseURL, label: str, timeout: float) -> Iterator[Inspection]:
    """Inspect `url` inside one read-only transaction that is always rolled back."""
    conn = connect(url, timeout)
    try:
        inspection = Inspection(url, label, conn)
        inspection.version_num = int(inspection.value("SELECT current_setting('server_version_num')::int") or 0)
        inspection.current_user = str(inspection.value("SELECT current_user"))
        yield inspection
    finally:
        try:
            conn.rollback()
        finally:
            conn.close()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def masked_lines(lines: Iterable[str]) -> list[str]:
    return [MASK(line) for line in lines]
