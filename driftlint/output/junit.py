"""JUnit XML: one test suite per file, one failing test case per finding."""

from __future__ import annotations

from itertools import groupby
from typing import Sequence
from xml.etree import ElementTree as ET

from driftlint.diagnostics import Diagnostic
from driftlint.output import RenderContext


def render(diagnostics: Sequence[Diagnostic], context: RenderContext) -> str:
    root = ET.Element("testsuites", name="driftlint", tests=str(len(diagnostics)), failures=str(len(diagnostics)), errors="0")
    for path, group in groupby(sorted(diagnostics, key=Diagnostic.sort_key), key=lambda d: d.path):
        items = list(group)
        suite = ET.SubElement(root, "testsuite", name=path, tests=str(len(items)), failures=str(len(items)), errors="0")
        for d in items:
            case = ET.SubElement(
                suite, "testcase", name=f"{d.code} {d.name} at line {d.location.row}, column {d.location.column}",
                classname=path, file=path, line=str(d.location.row),
            )
            failure = ET.SubElement(case, "failure", message=d.message, type=d.code)
            failure.text = f"{path}:{d.location.row}:{d.location.column}: {d.code} {d.message}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
