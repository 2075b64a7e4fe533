"""A plain `driftlint check` on an unchanged project is answered before the command line loads,
with exactly the output, streams and exit code the command line gives."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import driftlint
from driftlint import snapshot
from driftlint.__main__ import main
from driftlint.arguments import parse
from driftlint.fastpath import answer
from driftlint.signatures import signature

from .conftest import TWO_HEADS_AND_A_MODULE, write_tree

@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trusted: None) -> Path:
    root = write_tree(tmp_path / "repo", TWO_HEADS_AND_A_MODULE)
    monkeypatch.chdir(root)
    monkeypatch.delenv("DRIFTLINT_CACHE_DIR", raising=False)
    monkeypatch.delenv("DRIFTLINT_OUTPUT_FORMAT", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return root


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["driftlint", *argv])
    # main() ends a check with os._exit (no teardown), which would end pytest itself.
    monkeypatch.setattr("driftlint.__main__._hard_exit", sys.exit)
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), out, err


@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["check", ".", "--output-format", "concise"],
        ["check", "--output-format=json", "--exit-zero"],
        ["check", "-q", "--select", "DL1", "--select", "DL2,DL3", "--ignore=DL102"],
        ["check", "migrations/versions/c1.py", "--output-format", "github"],
        ["check", "--output-format", "sarif", "--color", "never"],
        ["check", "--output-format", "junit", "--quiet"],
        ["check", "--output-format", "gitlab", "--extend-select", "DL001"],
        ["check", "--output-format", "full", "--color", "never"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_a_second_run_is_answered_before_the_command_line_with_the_same_output(
    repo: Path, argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    first = run_main(argv, capsys, monkeypatch)
    assert first[0] == (0 if "--exit-zero" in argv else 1)
    # The command line is out of reach now, and no snapshot is stored: only the fast path can answer.
    monkeypatch.setitem(sys.modules, "driftlint.cli", None)
    stored = repo / ".driftlint_cache" / snapshot.FILE_NAME
    stored.unlink(missing_ok=True)
    second = run_main(argv, capsys, monkeypatch)
    assert second == first
    assert stored.is_file(), "the fast path leaves a snapshot for next time"


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--color", "always"],
        ["check", "--statistics"],
        ["check", "-o", "report.txt"],
        ["check", "--no-cache"],
        ["check", "--show-unknown"],
        ["check", "--output-format", "yaml"],
        ["check", "--fix"],
        ["graph"],
        ["check", "--select"],
        ["check", "--cache-dir", "a", "--cache-dir", "b"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_everything_else_goes_to_the_command_line(
    repo: Path, argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    run_main(["check"], capsys, monkeypatch)
    assert answer(argv) is None


def test_a_changed_project_is_checked_without_the_command_line_too(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    first = run_main(["check"], capsys, monkeypatch)
    (repo / "migrations/versions/d1.py").write_text('revision = "d1"\ndown_revision = ("b1", "c1")\n')
    monkeypatch.setitem(sys.modules, "driftlint.cli", None)
    merged = run_main(["check"], capsys, monkeypatch)
    assert (first[0], merged[0], merged[1]) == (1, 0, "")
    assert merged[2] == "All checks passed! (6 files)\n"


def test_an_error_goes_to_the_command_line(repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Errors are the command line's to report, in its one-line form: the fast path steps aside."""
    (repo / "driftlint.toml").write_text("no-such-setting = 1\n")
    assert answer(["check"]) is None
    code, out, err = run_main(["check"], capsys, monkeypatch)
    assert (code, out) == (2, "")
    assert err.startswith("driftlint: error: ") and "no-such-setting" in err


def test_the_environment_chooses_the_format_and_the_cache_like_the_options_do(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DRIFTLINT_OUTPUT_FORMAT", "json")
    monkeypatch.setenv("DRIFTLINT_CACHE_DIR", str(tmp_path / "env-cache"))
    first = run_main(["check"], capsys, monkeypatch)
    assert first[1].startswith("[")
    assert list((tmp_path / "env-cache").glob("run-*.pickle"))
    (tmp_path / "env-cache" / snapshot.FILE_NAME).unlink()
    monkeypatch.setitem(sys.modules, "driftlint.cli", None)
    assert run_main(["check"], capsys, monkeypatch) == first


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["check"], {"paths": []}),
        (["check", "a", "b", "-q", "--exit-zero"], {"paths": ["a", "b"], "quiet": True, "exit_zero": True}),
        (["check", "--output-format=json", "--select", "DL1"], {"output_format": "json", "select": ["DL1"]}),
        (["check", "--settings", "x.toml", "--baseline=b.json"], {"settings_file": "x.toml", "baseline": "b.json"}),
        (["check", "-"], {"paths": ["-"]}),
    ],
)
def test_parse_reads_the_plain_forms(argv: list[str], expected: dict[str, Any]):
    parsed = parse(argv)
    assert parsed is not None
    assert {k: v for k, v in vars(parsed).items() if v not in ([], None, False, "auto")} == {
        k: v for k, v in expected.items() if v != []
    }


def test_the_installed_program_answers_a_second_run_identically(tmp_path: Path):
    """End to end, as pre-commit runs it: two processes, the second one from the cache."""
    root = write_tree(tmp_path / "repo", TWO_HEADS_AND_A_MODULE)
    time.sleep(2.1)  # past the racy window of the files just written
    env = {**os.environ, "PYTHONPATH": str(Path(driftlint.__file__).parent.parent)}
    env.pop("DRIFTLINT_CACHE_DIR", None)
    command = [sys.executable, "-m", "driftlint", "check", "--output-format", "concise"]
    runs = [subprocess.run(command, cwd=root, env=env, capture_output=True, text=True) for _ in range(3)]
    assert runs[0].returncode == 1 and "DL101" in runs[0].stdout
    assert [(r.returncode, r.stdout, r.stderr) for r in runs[1:]] == [(runs[0].returncode, runs[0].stdout, runs[0].stderr)] * 2


# -- the first tier: a stored snapshot of the output ------------------------------------------------


def unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only driftlint.snapshot can answer now: the second tier and the command line are gone."""
    monkeypatch.setitem(sys.modules, "driftlint.fastpath", None)
    monkeypatch.setitem(sys.modules, "driftlint.cli", None)


@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["check", "--output-format", "json", "--exit-zero"],
        ["check", "--output-format", "full", "--color", "never"],
        ["check", "-q", "--select", "DL1"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_a_third_identical_run_is_answered_by_the_snapshot_alone(
    repo: Path, argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    first = run_main(argv, capsys, monkeypatch)  # the command line: stores the result and a snapshot
    assert (repo / ".driftlint_cache" / snapshot.FILE_NAME).is_file()
    unreachable(monkeypatch)
    assert run_main(argv, capsys, monkeypatch) == first


def test_the_snapshot_is_keyed_by_the_invocation(repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    run_main(["check"], capsys, monkeypatch)
    assert snapshot.answer(["check", "--output-format", "json"]) is None
    monkeypatch.setenv("NO_COLOR", "1")
    assert snapshot.answer(["check"]) is None
    monkeypatch.delenv("NO_COLOR")
    assert snapshot.answer(["check"]) == 1
    capsys.readouterr()
    # The same version installed elsewhere (another clone, another virtualenv) may be other code.
    prefix, module = sys.prefix, driftlint.__file__
    monkeypatch.setattr(sys, "prefix", "/elsewhere/venv")
    assert snapshot.answer(["check"]) is None
    monkeypatch.setattr(sys, "prefix", prefix)
    monkeypatch.setattr(driftlint, "__file__", "/another/clone/driftlint/__init__.py")
    assert snapshot.answer(["check"]) is None
    monkeypatch.setattr(driftlint, "__file__", module)
    assert snapshot.answer(["check"]) == 1
    capsys.readouterr()


@pytest.mark.parametrize(
    "change",
    [
        lambda repo: (repo / "migrations/versions/d1.py").write_text('revision = "d1"\ndown_revision = ("b1", "c1")\n'),
        lambda repo: (repo / "migrations/versions/c1.py").write_text('revision = "c1"\ndown_revision = "b1"\n'),
        lambda repo: (repo / "driftlint.toml").write_text('ignore = ["DL101"]\n'),
    ],
    ids=["new-revision", "edited-revision", "new-settings"],
)
def test_any_change_ends_the_snapshot(repo: Path, change: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    run_main(["check"], capsys, monkeypatch)
    change(repo)
    assert snapshot.answer(["check"]) is None
    code, out, _err = run_main(["check"], capsys, monkeypatch)
    assert (code, out) == (0, "")


def test_a_change_to_driftlint_itself_ends_the_snapshot(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    module = write_tree(tmp_path / "code", {"rule.py": "x = 1\n"}) / "rule.py"
    real = snapshot._code_entries
    monkeypatch.setattr(snapshot, "_code_entries", lambda: [*real(), (str(module), "read", signature(str(module), "read"))])
    run_main(["check"], capsys, monkeypatch)
    assert snapshot.answer(["check"]) == 1
    capsys.readouterr()
    module.write_text("x = 22\n")
    assert snapshot.answer(["check"]) is None


def test_no_snapshot_under_a_baseline_a_terminal_or_an_in_process_run(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    from click.testing import CliRunner

    from driftlint.cli import cli

    stored = repo / ".driftlint_cache" / snapshot.FILE_NAME
    assert CliRunner().invoke(cli, ["check"]).exit_code == 1
    assert not stored.exists(), "tests invoking the command in-process leave no snapshot"
    run_main(["check", "--write-baseline", "baseline.json"], capsys, monkeypatch)
    run_main(["check", "--baseline", "baseline.json"], capsys, monkeypatch)
    assert not stored.exists(), "a baseline is read after the check: no manifest covers it"
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert snapshot.answer(["check"]) is None


@pytest.mark.parametrize("garbage", [b"", b"\x00garbage", b"\xe3" * 50])
def test_a_damaged_snapshot_file_is_a_miss(repo: Path, garbage: bytes, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    first = run_main(["check"], capsys, monkeypatch)
    (repo / ".driftlint_cache" / snapshot.FILE_NAME).write_bytes(garbage)
    assert snapshot.answer(["check"]) is None
    assert run_main(["check"], capsys, monkeypatch) == first


def test_a_damaged_byte_inside_a_stored_snapshot_is_never_printed(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    """The snapshot is checksummed: a byte flipped in the stored output (here a finding's code)
    makes the whole snapshot a miss instead of printing the damaged text back."""
    first = run_main(["check"], capsys, monkeypatch)
    stored = repo / ".driftlint_cache" / snapshot.FILE_NAME
    data = stored.read_bytes()
    position = data.index(b"DL101", len(snapshot.MAGIC) + 4)
    stored.write_bytes(data[:position] + b"DL1O1" + data[position + 5 :])
    assert snapshot.answer(["check"]) is None
    assert run_main(["check"], capsys, monkeypatch) == first


@pytest.mark.parametrize("special", ["fifo", "endless"])
def test_a_special_file_in_place_of_the_snapshot_is_a_miss(
    repo: Path, special: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    first = run_main(["check"], capsys, monkeypatch)
    stored = repo / ".driftlint_cache" / snapshot.FILE_NAME
    stored.unlink()
    if special == "fifo":
        os.mkfifo(stored)
    else:
        stored.symlink_to("/dev/zero")
    assert snapshot.answer(["check"]) is None
    assert run_main(["check"], capsys, monkeypatch) == first


@pytest.mark.parametrize(
    ("argv", "teardown"),
    [(["check", "--output-format", "concise"], False), (["check", "--no-cache", "--output-format", "concise"], False),
     (["verify", "--help"], True)],
    ids=["fast-path", "command-line", "verify"],
)
def test_a_check_ends_without_the_interpreters_teardown_and_with_all_its_output(
    repo: Path, argv: list[str], teardown: bool
):
    """A check's project outlives it (the cycle collector is off), and the teardown's last
    collection would walk all of it: the process ends once its output is flushed. verify, whose
    embedded server is stopped at exit, ends as usual."""
    marker = repo.parent / "teardown-ran"
    program = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').close())\n"
        f"sys.argv = ['driftlint', *{argv!r}]\n"
        "from driftlint.__main__ import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=repo, capture_output=True, text=True, timeout=120)
    assert marker.exists() == teardown
    if not teardown:
        assert done.returncode == 1, done.stderr
        assert "DL101" in done.stdout and done.stdout.endswith("\n")
        assert "Found" in done.stderr


def test_a_check_under_cprofile_still_writes_its_profile(repo: Path):
    """The exit without teardown waits for a profiler (benchmarks/run.py --profile) or a tracer."""
    stats = repo.parent / "check.pstats"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "driftlint", "check", "--no-cache"],
        cwd=repo, capture_output=True, text=True, timeout=120,
    )
    assert "DL101" in done.stdout, done.stderr  # (cProfile swallows the exit code)
    assert stats.is_file() and stats.stat().st_size > 0


def test_the_notices_on_stderr_are_replayed_by_every_tier(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    """A notice (here: revisions that only code makes Alembic scan) is part of what a check says:
    the command line, the fast path and the stored snapshot print it alike, before the summary."""
    write_tree(repo, {
        "migrations/env.py": "from alembic import context\n\ncontext.script.version_locations = [pick()]\n",
        "migrations/versions/pg/d1_more.py": 'revision = "d1"\ndown_revision = "b1"\n',
    })
    argv = ["check", "--output-format", "concise"]
    first = run_main(argv, capsys, monkeypatch)
    assert "version_locations at run time" in first[2] and first[2].index("version_locations") < first[2].index("Found")
    stored = repo / ".driftlint_cache" / snapshot.FILE_NAME
    assert stored.is_file()
    assert run_main(argv, capsys, monkeypatch) == first  # the snapshot
    stored.unlink()
    monkeypatch.setitem(sys.modules, "driftlint.cli", None)
    assert run_main(argv, capsys, monkeypatch) == first  # the fast path
