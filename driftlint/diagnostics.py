"""Diagnostics are plain data: what every rule emits and every output format renders."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

DOCS_URL = "https://github.com/driftlint/driftlint/blob/main/rules/{name}.md"


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @classmethod
    def parse(cls, value: str) -> "Severity":
        try:
            return cls(value.lower())
        except ValueError:
            raise ValueError(f"unknown severity {value!r}; expected error, warning or info") from None


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based row and column."""

    row: int = 1
    column: int = 1


@dataclass(frozen=True)
class Related:
    """Another place that explains a finding (the creating revision, the other head...)."""

    path: str
    location: Location
    note: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    message: str
    path: str
    location: Location = field(default_factory=Location)
    end_location: Location | None = None
    severity: Severity = Severity.ERROR
    fix_title: str | None = None
    related: tuple[Related, ...] = ()
    # Titled context blocks for `full` output, e.g. ("Heads", ("a1 (versions/a1.py)", ...)).
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # What identifies this finding independently of line numbers (revision ids, object names).
    subject: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return DOCS_URL.format(name=self.name)

    @property
    def end(self) -> Location:
        return self.end_location or self.location

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.location.row, self.location.column, self.code, self.message)

    def fingerprint(self) -> str:
        """Stable across line shifts: rule, file and the named subjects (or the message)."""
        parts = [self.code, self.path, *(self.subject or (self.message,))]
        # surrogateescape: a file name that is not UTF-8 keeps its own bytes in the fingerprint.
        return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:20]

    def with_severity(self, severity: Severity) -> "Diagnostic":
        return replace(self, severity=severity)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "severity": self.severity.value,
            "filename": self.path,
            "location": {"row": self.location.row, "column": self.location.column},
            "end_location": {"row": self.end.row, "column": self.end.column},
            "fix": {"title": self.fix_title} if self.fix_title else None,
            "related": [
                {
                    "filename": r.path,
                    "location": {"row": r.location.row, "column": r.location.column},
                    "note": r.note,
                }
                for r in self.related
            ],
            "context": [{"title": title, "lines": list(lines)} for title, lines in self.context],
            "subject": list(self.subject),
            "fingerprint": self.fingerprint(),
            "url": self.url,
        }
