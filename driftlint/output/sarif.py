"""SARIF 2.1.0, as GitHub code scanning accepts it."""

from __future__ import annotations

import json
from typing import Any, Sequence

from driftlint.diagnostics import DOCS_URL, Diagnostic, Location, Severity
from driftlint.output import UNDECODABLE, RenderContext

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


class _Utf16Columns:
    """SARIF 2.1.0 counts columns in UTF-16 code units unless a run sets `columnKind` (3.14.17);
    driftlint's count characters, so each character beyond U+FFFF (an emoji) before a column adds
    one. Converting keeps the spec's default, which a consumer that ignores `columnKind` assumes
    too, and leaves reports on ASCII files as they were."""

    def __init__(self, context: RenderContext):
        self.context = context
        self.files: dict[str, list[str] | None] = {}

    def __call__(self, path: str, location: Location) -> Location:
        if location.column <= 1:
            return location
        if path not in self.files:
            text = self.context.read_text(path)
            if text is None or text.isascii():
                self.files[path] = None  # the common case: nothing to split or convert
            else:
                from driftlint.source import physical_lines

                self.files[path] = physical_lines(text)
        lines = self.files[path]
        if lines is None or location.row > len(lines):
            return location
        prefix = lines[location.row - 1][: location.column - 1]
        surrogates = len(prefix.encode("utf-16-le")) // 2 - len(prefix)
        return Location(location.row, location.column + surrogates) if surrogates else location


def _uri(path: str) -> str:
    """The path as a URI reference: a byte that is not UTF-8 percent-encoded (RFC 3986), as
    code scanning decodes it back to the file's name."""
    return UNDECODABLE.sub(lambda match: f"%{ord(match.group()) - 0xDC00:02X}", path)


def _location(path: str, start: Location, end: Location, message: str | None = None) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(path), "uriBaseId": "%SRCROOT%"},
            "region": {
                "startLine": start.row,
                "startColumn": start.column,
                "endLine": max(end.row, start.row),
                "endColumn": end.column if end.row > start.row else max(end.column, start.column),
            },
        }
    }
    if message is not None:
        location["message"] = {"text": message}
    return location


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    # Only the rules the results use: the report stays stable as rules are added.
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    rules = []
    for code in codes:
        name, summary, severity = context.rules.get(code, (code, code, "error"))
        rules.append(
            {
                "id": code,
                "name": name,
                "shortDescription": {"text": summary},
                "helpUri": DOCS_URL.format(name=name),
                "defaultConfiguration": {"level": LEVELS[Severity(severity)]},
            }
        )
    utf16 = _Utf16Columns(context)
    results = []
    for d in diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": LEVELS[d.severity],
            "message": {"text": d.message},
            "locations": [_location(d.path, utf16(d.path, d.location), utf16(d.path, d.end))],
            "partialFingerprints": {"driftlint/v1": d.fingerprint()},
        }
        if d.related:
            result["relatedLocations"] = [
                {"id": i, **_location(r.path, utf16(r.path, r.location), utf16(r.path, r.location), r.note)}
                for i, r in enumerate(d.related, start=1)
            ]
        if d.fix_title:
            result["properties"] = {"fixTitle": d.fix_title}
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "driftlint",
                        "version": context.tool_version,
                        "informationUri": "https://github.com/driftlint/driftlint",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
