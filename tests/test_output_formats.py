"""Every output format is pinned by golden files, for LF and CRLF sources alike."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftlint.cli import cli

from .conftest import FIXTURES

GOLDEN = Path(__file__).parent / "golden"
FORMATS = ["full", "concise", "json", "github", "sarif", "gitlab", "junit"]


def _copy(tmp_path: Path, crlf: bool) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(FIXTURES / "output-formats", target)
    if crlf:
        for path in target.rglob("*"):
            if path.is_file():
                path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return target


def _run(repo: Path, *args: str):
    previous = Path.cwd()
    os.chdir(repo)
    try:
        return CliRunner().invoke(cli, ["check", "--no-cache", "--color", "never", *args], catch_exceptions=False)
    finally:
        os.chdir(previous)


@pytest.mark.parametrize("newline", ["lf", "crlf"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_output_format_matches_golden(fmt: str, newline: str, tmp_path: Path):
    repo = _copy(tmp_path, crlf=newline == "crlf")
    result = _run(repo, "--output-format", fmt, "--quiet")
    assert result.exit_code == 1, result.output
    golden = GOLDEN / f"{fmt}.{newline}.txt"
    if os.environ.get("DRIFTLINT_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_crlf_sources_render_exactly_like_lf_sources():
    for fmt in FORMATS:
        assert (GOLDEN / f"{fmt}.lf.txt").read_text() == (GOLDEN / f"{fmt}.crlf.txt").read_text()


def test_json_output_has_the_documented_fields(tmp_path: Path):
    result = _run(_copy(tmp_path, crlf=False), "--output-format", "json")
    items = json.loads(result.stdout)
    assert items
    for item in items:
        for key in ("code", "name", "message", "severity", "filename", "location", "end_location", "related", "url"):
            assert key in item
        assert not item["filename"].startswith("/")
        assert set(item["location"]) == {"row", "column"}
    heads = next(i for i in items if i["code"] == "DL101")
    assert heads["related"] and heads["related"][0]["note"].startswith("head ")


def test_sarif_output_validates_against_the_2_1_0_schema(tmp_path: Path):
    import jsonschema

    schema = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0-subset.json").read_text())
    result = _run(_copy(tmp_path, crlf=False), "--output-format", "sarif")
    jsonschema.validate(json.loads(result.stdout), schema)


def test_concise_lines_have_the_problem_matcher_shape(tmp_path: Path):
    import re

    result = _run(_copy(tmp_path, crlf=False), "--output-format", "concise", "--quiet")
    pattern = re.compile(r"^(.+?):(\d+):(\d+): (DL\d{3}) (.+)$")
    lines = result.stdout.splitlines()
    assert lines and all(pattern.match(line) for line in lines)


def test_output_is_sorted_by_path_then_position(tmp_path: Path):
    result = _run(_copy(tmp_path, crlf=False), "--output-format", "json")
    items = json.loads(result.stdout)
    keys = [(i["filename"], i["location"]["row"], i["location"]["column"], i["code"]) for i in items]
    assert keys == sorted(keys)


# `non-ascii-text`: DL101 at b100's `revision`, after an emoji and CJK text on the same line, and
# a100 (after accented letters) as the other head.
PARTY = 'label = "🎉 日本"; revision = "b100"'
DESSERT = 'label = "crème brûlée"; revision = "a100"'


def _non_ascii_repo(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(FIXTURES / "non-ascii-text", target)
    return target


def test_json_columns_count_characters_after_non_ascii_text(tmp_path: Path):
    result = _run(_non_ascii_repo(tmp_path), "--output-format", "json")
    [item] = json.loads(result.stdout)
    assert item["filename"] == "migrations/versions/b100_party.py"
    assert item["location"] == {"row": 2, "column": PARTY.index("revision") + 1} == {"row": 2, "column": 17}
    assert item["end_location"] == {"row": 2, "column": len(PARTY) + 1} == {"row": 2, "column": 34}
    assert [(r["filename"], r["location"]) for r in item["related"]] == [
        ("migrations/versions/a100_dessert.py", {"row": 2, "column": DESSERT.index("revision") + 1})
    ]


def test_sarif_columns_count_utf16_code_units_the_spec_default(tmp_path: Path):
    result = _run(_non_ascii_repo(tmp_path), "--output-format", "sarif")
    [run] = json.loads(result.stdout)["runs"]
    assert "columnKind" not in run  # SARIF 2.1.0 then means utf16CodeUnits: 🎉 is two of them
    [sarif_result] = run["results"]
    region = sarif_result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]) == (2, 18, 2, 35)
    units = PARTY.encode("utf-16-le")  # what a UTF-16 consumer (JavaScript, VS Code) slices
    assert units[(region["startColumn"] - 1) * 2 : (region["endColumn"] - 1) * 2].decode("utf-16-le") == 'revision = "b100"'
    [related] = sarif_result["relatedLocations"]
    assert related["physicalLocation"]["region"]["startColumn"] == DESSERT.index("revision") + 1 == 25


def test_full_marker_sits_under_the_node_after_wide_characters_and_tabs(tmp_path: Path):
    repo = _non_ascii_repo(tmp_path)
    party = repo / "migrations/versions/b100_party.py"
    party.write_text(party.read_text(encoding="utf-8").replace("; revision", ";\trevision"), encoding="utf-8")
    result = _run(repo, "--output-format", "full")
    assert '2 | label = "🎉 日本"; revision = "b100"\n' in result.stdout  # the tab shown as one space
    # 16 characters before `revision`, of which 🎉, 日 and 本 take two terminal cells each: 19 cells.
    assert "  | " + " " * 19 + "^" * len('revision = "b100"') + " DL101\n" in result.stdout


def test_full_code_frame_numbers_lines_as_python_does_after_a_form_feed(tmp_path: Path):
    repo = _non_ascii_repo(tmp_path)
    party = repo / "migrations/versions/b100_party.py"
    party.write_text(party.read_text(encoding="utf-8").replace('"""party"""\n', '"""party"""\n\x0c\n'), encoding="utf-8")
    result = _run(repo, "--output-format", "full")
    # str.splitlines() would make the form feed a line of its own and show an empty line 3.
    assert f"3 | {PARTY}\n" in result.stdout


# -- a file name that is not UTF-8 ------------------------------------------------------------------


def _undecodable_name_repo(tmp_path: Path) -> Path:
    """Two heads: b100 in `b\\xff_party.py` (a Latin-1 "ÿ" from an old checkout), c100 in `c\\xe9_broken.py`,
    which does not parse (its header still reads)."""
    target = _non_ascii_repo(tmp_path)
    versions = target / "migrations/versions"
    party = versions / "b100_party.py"
    os.rename(party, os.path.join(os.fsencode(versions), b"b\xff_party.py"))
    (versions / "c100_broken.py").write_text('revision = "c100"\ndown_revision = "a100"\n\ndef upgrade(:\n    pass\n')
    os.rename(versions / "c100_broken.py", os.path.join(os.fsencode(versions), b"c\xe9_broken.py"))
    return target


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_name_that_is_not_utf_8_is_escaped_and_the_report_stays_valid(fmt: str, tmp_path: Path):
    import subprocess
    import sys
    from xml.etree import ElementTree

    repo = _undecodable_name_repo(tmp_path)
    completed = subprocess.run(
        [sys.executable, "-m", "driftlint", "check", "--no-cache", "--color", "never", "--quiet", "--output-format", fmt],
        cwd=repo, capture_output=True, timeout=120,
        env={**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:strict"},  # stdout refuses what is not UTF-8
    )
    assert completed.returncode == 1, completed.stderr.decode("utf-8", "replace")
    text = completed.stdout.decode("utf-8")  # valid UTF-8, or this raises
    party, broken = "migrations/versions/b\\xff_party.py", "migrations/versions/c\\xe9_broken.py"
    if fmt in ("full", "concise", "github"):
        assert broken in text and (party in text) == (fmt == "full"), text  # full shows the other head too
    elif fmt == "json":
        document = json.loads(text)
        assert {item["filename"] for item in document} == {broken}
        assert {r["filename"] for item in document for r in item["related"]} == {party}
    elif fmt == "gitlab":
        assert {item["location"]["path"] for item in json.loads(text)} == {broken}
    elif fmt == "sarif":
        import jsonschema

        schema = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0-subset.json").read_text())
        document = json.loads(text)
        jsonschema.validate(document, schema)
        results = document["runs"][0]["results"]
        uris = {
            location["physicalLocation"]["artifactLocation"]["uri"]
            for result in results
            for location in (*result["locations"], *result.get("relatedLocations", ()))
        }
        assert uris == {"migrations/versions/b%FF_party.py", "migrations/versions/c%E9_broken.py"}
    else:
        suites = ElementTree.fromstring(text.encode("utf-8"))
        assert {suite.get("name") for suite in suites} == {broken}


def test_a_baseline_keeps_a_name_that_is_not_utf_8(tmp_path: Path):
    repo = _undecodable_name_repo(tmp_path)
    written = _run(repo, "--write-baseline", "baseline.json")
    assert written.exit_code == 0, written.output
    json.loads((repo / "baseline.json").read_text(encoding="utf-8"))  # valid JSON, valid UTF-8
    assert _run(repo, "--baseline", "baseline.json").exit_code == 0


def test_a_name_that_is_not_utf_8_is_checked_with_the_cache_too(tmp_path: Path):
    """The whole-run key hashed the name strictly: an internal error on every cached run."""
    import subprocess
    import sys

    repo = _undecodable_name_repo(tmp_path)
    runs = [
        subprocess.run(
            [sys.executable, "-m", "driftlint", "check", "--output-format", "concise", "--cache-dir", str(tmp_path / "cache")],
            cwd=repo, capture_output=True, timeout=120,
        )
        for _ in range(3)  # cold, then answered by the stored result and the output snapshot
    ]
    assert {(run.returncode, run.stdout) for run in runs} == {(1, runs[0].stdout)}
    assert b"c\\xe9_broken.py:4:13: DL001" in runs[0].stdout, runs[0].stderr
