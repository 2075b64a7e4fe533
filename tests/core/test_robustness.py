"""driftlint never runs user code, never hangs, and turns broken files and paths into findings or exit 2."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftlint.cli import cli
from driftlint.config import Settings
from driftlint.discovery import walk_project

from .conftest import alembic_tree, check, found, revision

# Generous: a hang is what these tests catch, not speed.
HANG_TIMEOUT = 120


def run_cli(root: Path, *args: str):
    previous = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, ["check", "--no-cache", "--output-format", "concise", *args])
    finally:
        os.chdir(previous)


def run_subprocess(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line in its own process: a hang fails the test instead of the suite."""
    return subprocess.run(
        [sys.executable, "-m", "driftlint", "check", "--no-cache", "--output-format", "concise", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=HANG_TIMEOUT,
    )


# -- user code is read, never run ------------------------------------------------------------------


def test_revision_with_side_effects_is_never_executed(fixture_copy):
    root = fixture_copy("side-effects-on-import")
    revision_file = root / "migrations/versions/1100_create_invoices.py"
    result = check(root)  # in-process: a SystemExit from the file would end this test here
    assert not (revision_file.parent / "EXECUTED").exists()
    assert found(result) == []
    assert [n.revision for n in result.project.environments[0].graph.load_order()] == ["1000", "1100"]
    completed = run_subprocess(root)
    assert completed.returncode == 0, completed.stderr
    assert not (revision_file.parent / "EXECUTED").exists()


def test_side_effect_fixture_really_has_side_effects_when_imported(fixture_copy):
    """The test above only means something if importing the file does what it says."""
    root = fixture_copy("side-effects-on-import")
    revision_file = root / "migrations/versions/1100_create_invoices.py"
    completed = subprocess.run([sys.executable, str(revision_file)], capture_output=True, text=True, timeout=HANG_TIMEOUT)
    assert completed.returncode == 1 and "revision module executed" in completed.stderr
    assert (revision_file.parent / "EXECUTED").exists()


def test_env_py_and_packages_named_by_pkg_locations_are_never_imported(fixture_copy):
    root = fixture_copy("pkg-resource-location")
    marker = root / "IMPORTED"
    trap = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('imported')\nraise SystemExit('imported')\n"
    (root / "shop_pkgres" / "__init__.py").write_text(trap)
    (root / "shop_pkgres" / "migrations" / "env.py").write_text(trap)
    assert found(check(root)) == []
    assert run_subprocess(root).returncode == 0
    assert not marker.exists()


# -- paths that are not plain files ----------------------------------------------------------------


def test_missing_path_is_a_usage_error(tree):
    root = tree(alembic_tree(("1000", None)))
    result = run_cli(root, "does-not-exist")
    assert result.exit_code == 2
    assert result.stderr == "driftlint: error: does-not-exist: no such file or directory\n"


def test_directory_symlink_loop_in_a_recursive_version_location_ends(tree):
    ini = "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\nrecursive_version_locations = true\n"
    root = tree({**alembic_tree(("1000", None), ("1100", "1000")), "alembic.ini": ini})
    (root / "migrations/versions/loop").symlink_to("..")
    (root / "migrations/versions/self").symlink_to(".")
    completed = run_subprocess(root)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = check(root)
    assert [n.revision for n in result.project.environments[0].graph.load_order()] == ["1000", "1100"]
    assert [f.name for f in alembic_revision_files(root)] == ["1000_step.py", "1100_step.py"]


def test_revisions_in_a_symlinked_folder_are_unscanned_like_alembic(tree):
    ini = "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\nrecursive_version_locations = true\n"
    root = tree({**alembic_tree(("1000", None)), "alembic.ini": ini, "shared/1100_step.py": revision("1100", "1000")})
    (root / "migrations/versions/shared").symlink_to(root / "shared", target_is_directory=True)
    assert [f.name for f in alembic_revision_files(root)] == ["1000_step.py"]
    assert found(check(root)) == [
        "migrations/versions/shared/1100_step.py:7:1 DL106 Revision 1100 is never loaded: it is in a symlinked folder "
        "below version location migrations/versions, and Alembic does not follow symlinked folders, so Alembic does not see it"
    ]


def alembic_revision_files(root: Path) -> list[Path]:
    from alembic.config import Config
    from alembic.script import Script, ScriptDirectory

    script = ScriptDirectory.from_config(Config(str(root / "alembic.ini")))
    return [Path(p) for location in script._version_locations for p in Script._list_py_dir(script, Path(location))]


def test_directory_symlink_loop_elsewhere_in_the_project_ends(tree):
    root = tree({**alembic_tree(("1000", None)), "app/models/__init__.py": ""})
    (root / "app/models/again").symlink_to("../..")
    completed = run_subprocess(root)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_folder_symlink_out_of_the_project_is_not_followed(tree, tmp_path_factory):
    """As git does not: a link to `/` inside the project made check walk the whole file system."""
    outside = tmp_path_factory.mktemp("outside")
    (outside / "tasks.py").write_text("from celery import shared_task\n")
    root = tree({**alembic_tree(("1000", None)), "app/__init__.py": "", "shared/helpers.py": ""})
    (root / "app/elsewhere").symlink_to(outside, target_is_directory=True)
    (root / "app/inside").symlink_to(root / "shared", target_is_directory=True)
    walked = [root_path for root_path, _dirs, _files in walk_project([root], Settings(root=root))]
    assert root / "app/elsewhere" not in walked
    assert root / "app/inside" in walked or root / "shared" in walked


def test_symlink_to_the_file_system_root_does_not_walk_it(tree):
    root = tree(alembic_tree(("1000", None)))
    (root / "rootfs").symlink_to("/", target_is_directory=True)
    completed = run_subprocess(root, "--output-format", "json")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert json.loads(completed.stdout) == []


def _without_file_permission_override() -> None:
    """In the child, before exec: root loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its
    bounding set, so permissions stop root as they stop anyone (prctl PR_CAPBSET_DROP)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_folder_another_user_owns_is_skipped(tree):
    """A Docker `pgdata/` (mode 0700, owned by the postgres user) inside the project."""
    root = tree({**alembic_tree(("1000", None), ("1100", "1000")), "pgdata/base/PG_VERSION": "15\n"})
    pgdata = root / "pgdata"
    pgdata.chmod(0o700)
    as_root = os.geteuid() == 0
    if as_root:
        for path in (pgdata, pgdata / "base", pgdata / "base/PG_VERSION"):
            os.chown(path, 65534, 65534)  # nobody
    else:
        pgdata.chmod(0)
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "driftlint", "check", "--output-format", "concise", "--cache-dir", str(root / ".cache")],
            cwd=root, capture_output=True, text=True, timeout=HANG_TIMEOUT,
            preexec_fn=_without_file_permission_override if as_root else None,
        )
        if as_root and "prctl" in completed.stderr:
            pytest.skip("cannot drop CAP_DAC_OVERRIDE here (no CAP_SETPCAP), so root reads every folder")
        probe = subprocess.run(["ls", str(pgdata)], capture_output=True, preexec_fn=_without_file_permission_override if as_root else None)
        assert probe.returncode != 0, "the folder must really be unreadable for the test to mean anything"
    finally:
        pgdata.chmod(0o700)
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "All checks passed! (3 files)\n")


def test_dangling_symlink_revision_is_a_finding_like_alembic_fails(tree):
    root = tree(alembic_tree(("1000", None)))
    (root / "migrations/versions/1100_moved.py").symlink_to("elsewhere/1100_moved.py")
    assert found(check(root)) == [
        "migrations/versions/1100_moved.py:1:1 DL001 Cannot read revision file: No such file or directory"
    ]


def test_file_symlink_loop_is_a_finding(tree):
    root = tree(alembic_tree(("1000", None)))
    versions = root / "migrations/versions"
    (versions / "2000_a.py").symlink_to("2001_b.py")
    (versions / "2001_b.py").symlink_to("2000_a.py")
    assert [line.split(" ")[:2] for line in found(check(root))] == [
        ["migrations/versions/2000_a.py:1:1", "DL001"],
        ["migrations/versions/2001_b.py:1:1", "DL001"],
    ]


@pytest.mark.parametrize(
    "name",
    ["migrations/versions/2000_pipe.py", "alembic.ini", "legacy.ini", "pyproject.toml", "app/tasks.py"],
)
def test_fifo_never_blocks(name, tree):
    files = alembic_tree(("1000", None))
    if name == "alembic.ini":
        files["deploy/alembic.ini"] = files.pop("alembic.ini").replace("%(here)s/migrations", "%(here)s/../migrations")
    root = tree(files)
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(root / name)
    completed = run_subprocess(root)
    assert completed.returncode in (0, 1), completed.stderr
    assert "Traceback" not in completed.stderr


def test_unreadable_revision_file_is_a_finding(tree):
    root = tree(alembic_tree(("1000", None), ("1100", "1000")))
    target = root / "migrations/versions/1100_step.py"
    if os.geteuid() != 0:
        target.chmod(0)
        expected = "Permission denied"
    else:
        # Root reads every file, but not the unmapped first page of its own memory: the same
        # failed read() a permission error gives a normal user.
        if not Path("/proc/self/mem").exists():
            pytest.skip("needs /proc/self/mem to make a read fail as root")
        target.unlink()
        target.symlink_to("/proc/self/mem")
        expected = "Input/output error"
    try:
        result = check(root)
    finally:
        if target.exists() and not target.is_symlink():
            target.chmod(0o644)
    assert found(result) == [f"migrations/versions/1100_step.py:1:1 DL001 Cannot read revision file: {expected}"]
    assert result.diagnostics[0].fix_title == "Make the file readable (or remove a broken symlink)"


def test_directory_named_like_a_revision_is_skipped_like_alembic(tree):
    root = tree({**alembic_tree(("1000", None)), "migrations/versions/2000_folder.py/placeholder.txt": ""})
    assert found(check(root)) == []


# -- files that do not parse -------------------------------------------------------------------------


def test_syntax_error_is_reported_where_it_is_and_the_run_goes_on(tree):
    root = tree(
        {
            **alembic_tree(("1000", None), ("a100", "1000"), ("b100", "1000")),
            "migrations/versions/c100_broken.py": 'revision = "c100"\ndown_revision = "b100"\n\ndef upgrade(:\n    pass\n',
        }
    )
    # The broken file's header is still read, so its parent b100 is not taken for a head.
    assert found(check(root)) == [
        "migrations/versions/c100_broken.py:1:1 DL101 2 heads (a100, c100): `alembic upgrade head` fails with "
        '"Multiple head revisions are present", and `upgrade heads` runs the branches in no defined order',
        "migrations/versions/c100_broken.py:4:13 DL001 Cannot parse revision file: SyntaxError: invalid syntax",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'revision = "a100"\x00\ndown_revision = "1000"\n', "source code string cannot contain null bytes"),
        (b'# -*- coding: utf-8 -*-\nrevision = "\xff\xfe"\ndown_revision = "1000"\n', "(unicode error)"),
        (b'# -*- coding: klingon -*-\nrevision = "a100"\n', "unknown encoding"),
    ],
    ids=["null-byte", "not-utf-8", "unknown-encoding"],
)
def test_undecodable_revision_is_a_parse_error(content, message, tree):
    root = tree({**alembic_tree(("1000", None)), "migrations/versions/a100_step.py": content})
    [line] = found(check(root))
    assert line.startswith("migrations/versions/a100_step.py:") and " DL001 Cannot parse revision file: " in line
    assert message in line


def test_bom_and_crlf_revision_reads_like_any_other(tree):
    source = revision("a100", "1000").replace("\n", "\r\n").encode("utf-8")
    root = tree({**alembic_tree(("1000", None)), "migrations/versions/a100_step.py": b"\xef\xbb\xbf" + source})
    result = check(root)
    assert found(result) == []
    assert [n.revision for n in result.project.environments[0].graph.heads] == ["a100"]


def test_output_is_identical_on_every_run(fixture_copy):
    root = fixture_copy("three-heads")
    (root / "migrations/versions/d100_broken.py").write_text("revision = \n")
    first = run_cli(root, "--output-format", "json")
    second = run_cli(root, "--output-format", "json")
    assert first.exit_code == second.exit_code == 1
    assert first.stdout == second.stdout


def test_pyproject_whose_tool_key_is_not_a_table_is_a_finding_not_a_crash(tree):
    """Alembic fails on it (AttributeError): see test_discovery's Alembic-oracle tests."""
    root = tree({**alembic_tree(("1000", None)), "pyproject.toml": 'tool = 3\n# [tool.alembic] in a comment\n'})
    result = run_cli(root)
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("pyproject.toml:1:1: DL111 `tool` in pyproject.toml is not a table")


def test_settings_file_whose_tool_key_is_not_a_table_is_a_usage_error(tree):
    root = tree({**alembic_tree(("1000", None)), "driftlint.toml": "tool = 3\n"})
    result = run_cli(root)
    assert result.exit_code == 2
    assert result.stderr.endswith("driftlint.toml: [tool.driftlint] must be a table\n")


def test_expression_nested_deeper_than_an_analysis_walks_is_not_an_internal_error(tree):
    deep = "z = " + " + ".join(['"a"'] * 2000) + "\n"
    root = tree({**alembic_tree(("1000", None)), "migrations/env.py": deep, "app/settings.py": deep})
    result = run_cli(root)
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output


def test_a_nul_in_script_location_is_a_finding_not_an_internal_error(tree, monkeypatch):
    """Found by the fuzz test: resolving a configured path with a NUL raised ValueError."""
    root = tree({**alembic_tree(("1000", None)), "alembic.ini": "[alembic]\nscript_location =\x00 %(here)s/migrations\n"})
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["check", "--no-cache", "--output-format", "concise"])
    assert result.exit_code == 1, result.output
    assert "DL111" in result.stdout and "internal error" not in result.output


# -- settings that cannot be used: one line, exit 2 ------------------------------------------------


def one_line_error(completed: subprocess.CompletedProcess[str]) -> str:
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert completed.stdout == "" and completed.stderr.count("\n") == 1, completed.stderr
    assert completed.stderr.startswith("driftlint: error: ") and "internal error" not in completed.stderr
    return completed.stderr


def test_unknown_output_format_in_the_settings_is_a_settings_error(tree):
    root = tree({**alembic_tree(("1000", None)), "pyproject.toml": '[tool.driftlint]\noutput-format = "xml"\n'})
    completed = subprocess.run(
        [sys.executable, "-m", "driftlint", "check", "--no-cache"], cwd=root, capture_output=True, text=True, timeout=HANG_TIMEOUT
    )
    assert one_line_error(completed).endswith(
        "pyproject.toml: `output-format` must be one of full, concise, json, github, sarif, gitlab, junit, not 'xml'\n"
    )


@pytest.mark.parametrize("nesting", ["x = " + "[" * 5000 + "]" * 5000, "x = " + "{a = " * 5000 + "1" + "}" * 5000])
def test_deeply_nested_settings_file_is_invalid_toml(nesting, tree):
    root = tree({**alembic_tree(("1000", None)), "pyproject.toml": "[tool.driftlint]\n" + nesting + "\n"})
    assert one_line_error(run_subprocess(root)).endswith(
        "pyproject.toml: invalid TOML: arrays or tables nested too deeply to read\n"
    )


# -- a standard output that cannot take the report -------------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, a device that is always full")
@pytest.mark.parametrize("cache", ["--no-cache", "cold", "stored result", "snapshot"])
def test_stdout_on_a_full_disk_is_one_line_and_exit_2(cache, tree, tmp_path_factory):
    root = tree(alembic_tree(("1000", None), ("a100", "1000"), ("b100", "1000")))
    past = time.time() - 60  # older than the racy window: the warm tiers trust what they recorded
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past))
    args = [sys.executable, "-m", "driftlint", "check", "--output-format", "concise"]
    if cache == "--no-cache":
        args.append("--no-cache")
    else:
        args += ["--cache-dir", str(tmp_path_factory.mktemp("cache"))]
        for _ in range({"cold": 0, "stored result": 1, "snapshot": 2}[cache]):
            warm = subprocess.run(args, cwd=root, capture_output=True, timeout=HANG_TIMEOUT)
            assert warm.returncode == 1, warm.stderr
    with open("/dev/full", "w") as full:
        completed = subprocess.run(args, cwd=root, stdout=full, stderr=subprocess.PIPE, text=True, timeout=HANG_TIMEOUT)
    assert (completed.returncode, completed.stderr) == (2, "driftlint: error: cannot write to standard output: No space left on device\n")


def test_unreadable_pyproject_toml_is_a_finding_not_an_internal_error(tree):
    """Looking for settings read it twice, the second time outside the error handling."""
    root = tree({**alembic_tree(("1000", None)), "pyproject.toml": '[project]\nname = "app"\n'})
    (root / "pyproject.toml").chmod(0)
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "driftlint", "check", "--no-cache", "--output-format", "concise"],
            cwd=root, capture_output=True, text=True, timeout=HANG_TIMEOUT,
            preexec_fn=_without_file_permission_override if os.geteuid() == 0 else None,
        )
    finally:
        (root / "pyproject.toml").chmod(0o644)
    if "prctl" in completed.stderr:
        pytest.skip("cannot drop CAP_DAC_OVERRIDE here (no CAP_SETPCAP), so root reads every file")
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout == "pyproject.toml:1:1: DL001 Cannot parse Alembic configuration: cannot read pyproject.toml: Permission denied\n"


def test_a_file_nested_near_the_limit_gets_the_same_facts_however_deep_the_caller_is(tmp_path):
    """The fast path calls the extractors a dozen frames above the click command: a Celery module
    nested just so failed in one and not the other, and the cache carried whichever ran first."""
    from driftlint.facts import CELERY
    from driftlint.facts.extract import extract_facts
    from driftlint.facts.model import MODULE

    settings = Settings(root=tmp_path)

    def parse_error_at(depth: int, nesting: int) -> object:
        if depth:
            return parse_error_at(depth - 1, nesting)
        data = ("from celery import shared_task\nz = " + " + ".join(['"a"'] * nesting) + "\n").encode()
        return extract_facts(tmp_path / "tasks.py", MODULE, data, settings, {CELERY}).parse_error

    low, high = 10, 3000  # the deepest nesting that extracts here, by bisection
    while low + 1 < high:
        middle = (low + high) // 2
        low, high = (middle, high) if parse_error_at(0, middle) is None else (low, middle)
    assert parse_error_at(0, high) is not None
    assert parse_error_at(200, low) is None
    assert parse_error_at(200, high) is not None
