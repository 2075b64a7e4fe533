"""Reading rule docs (`rules/<name>.md`): front matter, sections, and the example trees they show."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "How to fix", "Options")
_FILE_LINE = re.compile(r"^`([^`]+)`\s*$")
_FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)\s*$")


@dataclass
class Scenario:
    title: str
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class RuleDoc:
    path: Path
    front_matter: dict[str, str]
    sections: dict[str, str]

    def scenarios(self, section: str) -> list[Scenario]:
        return parse_scenarios(self.sections.get(section, ""))


def parse_rule_doc(path: Path) -> RuleDoc:
    text = path.read_text(encoding="utf-8")
    front: dict[str, str] = {}
    body = text
    if text.startswith("---\n"):
        end = text.index("\n---\n", 4)
        for line in text[4:end].splitlines():
            if ":" in line:
                key, _, value = line.partition(":")
                front[key.strip()] = value.strip().strip('"')
        body = text[end + 5 :]
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    in_fence = False
    for line in body.splitlines():
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(lines)
            current, lines = line[3:].strip(), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines)
    return RuleDoc(path, front, sections)


def parse_scenarios(text: str) -> list[Scenario]:
    """Files are a line holding only `path`, then a fenced block; `### title` starts a new scenario."""
    scenarios: list[Scenario] = []
    current = Scenario("default")
    pending_name: str | None = None
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("### "):
            if current.files:
                scenarios.append(current)
            current = Scenario(line[4:].strip())
            pending_name = None
        elif _FILE_LINE.match(line.strip()):
            pending_name = _FILE_LINE.match(line.strip()).group(1)  # type: ignore[union-attr]
        elif (fence := _FENCE.match(line.strip())) and pending_name is not None:
            marker = fence.group(1)
            body: list[str] = []
            index += 1
            while index < len(lines) and not lines[index].strip().startswith(marker):
                body.append(lines[index])
                index += 1
            current.files[pending_name] = "\n".join(body) + "\n"
            pending_name = None
        elif line.strip():
            pending_name = None if not _FILE_LINE.match(line.strip()) else pending_name
        index += 1
    if current.files:
        scenarios.append(current)
    return scenarios
