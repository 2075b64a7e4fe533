"""Finding `REFRESH MATERIALIZED VIEW` statements, advisory locks and tenant settings in SQL text built by code."""

from __future__ import annotations

import re
from typing import Iterator, Optional, Sequence, Tuple, Union

from driftlint.celery.facts import SqlTarget
from driftlint.celery.values import Choice, Const, Value

HOLE = "\x00"
REFRESH = re.compile(
    r"\bREFRESH\s+MATERIALIZED\s+VIEW\s+(?P<concurrently>CONCURRENTLY\s+)?(?P<target>[^\s;()]+)",
    re.IGNORECASE,
)
ADVISORY_LOCK = re.compile(r"\bpg_(?:try_)?advisory_(?:xact_)?lock(?:_shared)?\b", re.IGNORECASE)
TENANT_GUC = re.compile(
    r"set_config\s*\(\s*'[^']*tenant[^']*'|\bSET\s+(?:LOCAL\s+|SESSION\s+)?[\w.\"]*tenant[\w.\"]*\s*(?:=|TO\b)",
    re.IGNORECASE,
)
# Driver placeholders and unfilled template fields: the name is bound elsewhere (and a bind
# parameter cannot be an identifier at all), so the target is not known from this text.
_PLACEHOLDER = re.compile(r"^(?:%s|%\(\w+\)s|\{[^}]*\}|:\w+|\$\d+|\?)$")
_IDENTIFIER_PART = re.compile(r'^(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)$')

Part = Union[str, Tuple[Value, bool, str]]


def may_contain_refresh(text: str) -> bool:
    return "materialized" in text.lower()


def _variants(parts: Sequence[Part], limit: int = 4) -> list[tuple[str, list[tuple[Value, bool, str]]]]:
    """Render parts to text with numbered hole sentinels; a hole that is a choice of literals branches."""
    results: list[tuple[str, list[tuple[Value, bool, str]]]] = [("", [])]
    for part in parts:
        if isinstance(part, str):
            results = [(text + part, holes) for text, holes in results]
            continue
        value = part[0]
        literals = _literal_options(value)
        if literals is not None and len(results) * len(literals) <= limit:
            results = [(text + literal, holes) for text, holes in results for literal in literals]
            continue
        results = [(text + f"{HOLE}{len(holes)}{HOLE}", [*holes, part]) for text, holes in results]
    return results


def _literal_options(value: Value) -> Optional[list[str]]:
    if isinstance(value, Const) and isinstance(value.value, (str, int)) and not isinstance(value.value, bool):
        return [str(value.value)]
    if isinstance(value, Choice):
        options: list[str] = []
        for option in value.options:
            sub = _literal_options(option)
            if sub is None:
                return None
            options.extend(sub)
        return options
    return None


def find_refresh(parts: Sequence[Part]) -> Iterator[tuple[str, bool, SqlTarget]]:
    """Each REFRESH statement in the text: (one-line statement, concurrently, target)."""
    seen: set[tuple[str, bool, str]] = set()
    for text, holes in _variants(parts):
        if not may_contain_refresh(text):
            continue
        for match in REFRESH.finditer(text):
            raw = match.group("target").rstrip(",")
            used = [holes[int(index)] for index in re.findall(f"{HOLE}(\\d+){HOLE}", raw)]
            shown = re.sub(f"{HOLE}(\\d+){HOLE}", lambda m: "{" + holes[int(m.group(1))][2] + "}", raw)
            statement = " ".join(
                re.sub(
                    f"{HOLE}(\\d+){HOLE}", lambda m: "{" + holes[int(m.group(1))][2] + "}", match.group(0)
                ).split()
            )
            concurrently = match.group("concurrently") is not None
            key = (statement, concurrently, shown)
            if key in seen:
                continue
            seen.add(key)
            if used:
                target = SqlTarget(
                    text=shown,
                    name=None,
                    holes=tuple(hole[0] for hole in used),
                    quoted=all(hole[1] for hole in used),
                    placeholder=False,
                )
            elif _PLACEHOLDER.match(raw) or "{" in raw or "%" in raw:
                target = SqlTarget(text=raw, name=None, holes=(), quoted=False, placeholder=True)
            else:
                target = SqlTarget(text=raw, name=identifier_name(raw), holes=(), quoted=False, placeholder=False)
            yield statement, concurrently, target


def identifier_name(raw: str) -> Optional[str]:
    """`public."MV"` -> `public.MV`, `mv_x` -> `mv_x` (unquoted names fold to lower case), else None."""
    parts = [part.strip() for part in _split_dotted(raw)]
    if not parts or len(parts) > 2 or not all(_IDENTIFIER_PART.match(part) for part in parts):
        return None
    names = [part[1:-1].replace('""', '"') if part.startswith('"') else part.lower() for part in parts]
    return ".".join(names)


def _split_dotted(raw: str) -> list[str]:
    parts: list[str] = []
    current = ""
    quoted = False
    for char in raw:
        if char == '"':
            quoted = not quoted
        if char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts
