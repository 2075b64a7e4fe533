"""The cache: keyed by content, code version and settings; safe when shared, corrupt or unwritable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

import driftlint
import driftlint.facts.extract as extraction
import driftlint.inputs as inputs
from driftlint.storage import code_fingerprint, read_entry, write_entry
from driftlint.cli import cli
from driftlint.engine import CheckOptions, CheckResult, run_check

from .conftest import FIXTURES, TWO_HEADS_AND_A_MODULE, write_tree

INI = "[alembic]\nscript_location = %(here)s/migrations\n"



@pytest.fixture(autouse=True)
def _isolated_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """This module tests where the cache goes: start from an environment without DRIFTLINT_CACHE_DIR."""
    monkeypatch.delenv("DRIFTLINT_CACHE_DIR", raising=False)


@pytest.fixture(autouse=True)
def fresh_fingerprint() -> Iterator[None]:
    """Tests that change driftlint's version must not leak the changed fingerprint."""
    code_fingerprint.cache_clear()
    yield
    code_fingerprint.cache_clear()


@pytest.fixture(params=["racy", "stat-trusted"])
def stat_trust(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test twice: once as files written a moment ago are (never answered by stat
    signatures, see driftlint.inputs), once with every stat signature trusted, so that each
    change below must also be caught by the stat comparison alone."""
    if request.param == "stat-trusted":
        monkeypatch.setattr(inputs, "RACY_WINDOW_NS", -(10**18))
    return str(request.param)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", TWO_HEADS_AND_A_MODULE)


def check(root: Path, cache: Path | None, reuse: bool = False, paths: tuple[str, ...] = (".",), **options: Any) -> CheckResult:
    """`driftlint check PATHS` from inside root, with the cache in `cache` (None: --no-cache)."""
    previous = Path.cwd()
    os.chdir(root)
    try:
        return run_check(
            CheckOptions(
                paths=[Path(p) for p in paths],
                cwd=root,
                cache_dir=cache,
                use_cache=cache is not None,
                reuse_result=reuse,
                **{"jobs": 1, **options},
            )
        )
    finally:
        os.chdir(previous)


def findings(result: CheckResult) -> list[tuple[str, str, int, str]]:
    return [(d.code, d.path, d.location.row, d.message) for d in result.diagnostics]


@pytest.fixture
def extractions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose facts are extracted (cache misses) during the test."""
    calls: list[str] = []
    original = extraction.extract_facts

    def counting(path: Path, *args: Any) -> Any:
        calls.append(path.name)
        return original(path, *args)

    monkeypatch.setattr(extraction, "extract_facts", counting)
    return calls


def invoke(root: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    previous = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    finally:
        os.chdir(previous)


def cache_files(cache: Path, prefix: str) -> list[Path]:
    return sorted(cache.glob(f"{prefix}-*.pickle"))


# -- what the cache is keyed by -----------------------------------------------------------------


@pytest.mark.usefixtures("stat_trust")
def test_warm_run_reads_every_file_from_the_fact_cache(repo: Path, tmp_path: Path, extractions: list[str]):
    cold = check(repo, tmp_path / "cache")
    assert sorted(extractions) == ["a1.py", "b1.py", "c1.py", "env.py", "tasks.py"]
    extractions.clear()
    warm = check(repo, tmp_path / "cache")
    assert extractions == []
    assert findings(warm) == findings(cold)
    assert any(d.code == "DL101" for d in warm.diagnostics)


@pytest.mark.usefixtures("stat_trust")
def test_reused_result_answers_without_resolving_rules(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cold = check(repo, tmp_path / "cache", reuse=True)

    def no_rules(*_args: Any) -> Any:
        raise AssertionError("a reused result must not need the rule classes")

    monkeypatch.setattr("driftlint.engine.check.selected_rules", no_rules)
    warm = check(repo, tmp_path / "cache", reuse=True)
    assert warm.project is None
    assert warm.diagnostics == cold.diagnostics
    assert warm.files_read == cold.files_read


@pytest.mark.usefixtures("stat_trust")
def test_content_change_with_same_size_and_mtime_is_seen(repo: Path, tmp_path: Path, extractions: list[str]):
    """Keyed by content hash: size and mtime alone would miss this edit."""
    check(repo, tmp_path / "cache", reuse=True)
    target = repo / "migrations/versions/c1.py"
    status = target.stat()
    target.write_text('revision = "c1"\ndown_revision = "b1"\n')  # same length: "a1" -> "b1"
    os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert target.stat().st_size == status.st_size
    expected = findings(check(repo, None))
    extractions.clear()
    for reuse in (True, False):
        result = check(repo, tmp_path / "cache", reuse=reuse)
        assert findings(result) == expected
        assert not any(d.code == "DL101" for d in result.diagnostics)
    assert extractions == ["c1.py"]


@pytest.mark.usefixtures("stat_trust")
def test_another_driftlint_version_does_not_reuse_the_cache(
    repo: Path, tmp_path: Path, extractions: list[str], monkeypatch: pytest.MonkeyPatch
):
    check(repo, tmp_path / "cache", reuse=True)
    monkeypatch.setattr(driftlint, "__version__", "999.0")
    code_fingerprint.cache_clear()
    extractions.clear()
    result = check(repo, tmp_path / "cache", reuse=True)
    assert result.project is not None  # recomputed, not reused
    assert len(extractions) == 5


@pytest.mark.usefixtures("stat_trust")
def test_changed_driftlint_code_does_not_reuse_the_cache(
    repo: Path, tmp_path: Path, extractions: list[str], monkeypatch: pytest.MonkeyPatch
):
    """An editable install changes the code, not the version: the source fingerprint catches it."""
    check(repo, tmp_path / "cache", reuse=True)
    monkeypatch.setattr("driftlint.engine.memory.code_fingerprint", lambda: "edited")
    monkeypatch.setattr("driftlint.facts.store.code_fingerprint", lambda: "edited")
    extractions.clear()
    result = check(repo, tmp_path / "cache", reuse=True)
    assert result.project is not None
    assert len(extractions) == 5


@pytest.mark.usefixtures("stat_trust")
def test_settings_change_is_not_answered_from_the_cache(repo: Path, tmp_path: Path):
    assert any(d.code == "DL101" for d in check(repo, tmp_path / "cache", reuse=True).diagnostics)
    (repo / "pyproject.toml").write_text('[tool.driftlint]\nignore = ["multiple-heads"]\n')
    for reuse in (True, False):
        result = check(repo, tmp_path / "cache", reuse=reuse)
        assert not any(d.code == "DL101" for d in result.diagnostics)
        assert findings(result) == findings(check(repo, None))


def test_settings_that_shape_facts_reextract_every_file(repo: Path, tmp_path: Path, extractions: list[str]):
    check(repo, tmp_path / "cache")
    (repo / "pyproject.toml").write_text('[tool.driftlint]\ndefault-schema = "app"\n')
    extractions.clear()
    check(repo, tmp_path / "cache")
    assert len(extractions) == 5


@pytest.mark.usefixtures("stat_trust")
def test_command_line_selection_is_part_of_the_key(repo: Path, tmp_path: Path):
    everything = check(repo, tmp_path / "cache", reuse=True)
    ignored = check(repo, tmp_path / "cache", reuse=True, ignore=("DL101",))
    assert any(d.code == "DL101" for d in everything.diagnostics)
    assert not any(d.code == "DL101" for d in ignored.diagnostics)
    again = check(repo, tmp_path / "cache", reuse=True)
    assert again.diagnostics == everything.diagnostics


@pytest.mark.usefixtures("stat_trust")
def test_file_arguments_narrow_one_shared_whole_run_result(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """pre-commit passes the staged files: each set of them filters the same cached result."""
    names = ("migrations/versions/b1.py", "migrations/versions/c1.py", "app/tasks.py")
    expected = {name: findings(check(repo, None, paths=(name,))) for name in names}
    assert [code for code, *_ in expected["migrations/versions/c1.py"]] == ["DL101"]
    assert expected["migrations/versions/b1.py"] == expected["migrations/versions/c1.py"], "b1 is the other head"
    assert expected["app/tasks.py"] == []
    check(repo, tmp_path / "cache", reuse=True, paths=(names[0],))

    def no_rules(*_args: Any) -> Any:
        raise AssertionError("another file argument must reuse the whole-run result")

    monkeypatch.setattr("driftlint.engine.check.selected_rules", no_rules)
    for name, wanted in expected.items():
        result = check(repo, tmp_path / "cache", reuse=True, paths=(name,))
        assert result.project is None
        assert findings(result) == wanted
    assert len(cache_files(tmp_path / "cache", "run")) == 1


@pytest.mark.usefixtures("stat_trust")
def test_added_and_deleted_revision_files_are_seen(repo: Path, tmp_path: Path):
    check(repo, tmp_path / "cache", reuse=True)
    (repo / "migrations/versions/d1.py").write_text('revision = "d1"\ndown_revision = ("b1", "c1")\n')
    merged = check(repo, tmp_path / "cache", reuse=True)
    assert not any(d.code == "DL101" for d in merged.diagnostics)
    (repo / "migrations/versions/d1.py").unlink()
    assert any(d.code == "DL101" for d in check(repo, tmp_path / "cache", reuse=True).diagnostics)


@pytest.mark.usefixtures("stat_trust")
def test_alembic_config_change_is_seen(repo: Path, tmp_path: Path):
    check(repo, tmp_path / "cache", reuse=True)
    write_tree(repo, {
        "other/env.py": "",
        "other/versions/x1.py": 'revision = "x1"\ndown_revision = None\n',
        "alembic.ini": "[alembic]\nscript_location = %(here)s/other\n",
    })
    result = check(repo, tmp_path / "cache", reuse=True)
    assert findings(result) == findings(check(repo, None))
    assert not any(d.code == "DL101" for d in result.diagnostics)


# -- robustness ---------------------------------------------------------------------------------


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))


def _foreign(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _wrong_shape(path: Path) -> None:
    """A well-formed, checksummed entry that holds something else entirely."""
    write_entry(path.parent, path.name, ["not", "a", "cache", "entry"])


def _directory(path: Path) -> None:
    """Not even a file: reading fails, and so does writing a new entry in its place."""
    path.unlink()
    path.mkdir()
    (path / "junk").write_text("x")


def _fifo(path: Path) -> None:
    """A FIFO in place of the entry: opening it to read would wait for a writer forever."""
    path.unlink()
    os.mkfifo(path)


def _endless(path: Path) -> None:
    """A link to /dev/zero: reading it to the end would fill the memory."""
    path.unlink()
    path.symlink_to("/dev/zero")


CORRUPTIONS = [_truncate, _empty, _garble, _foreign, _wrong_shape, _directory, _fifo, _endless]


class _Planted:
    """What an attacker would store: a pickle that runs a shell command when loaded."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> Any:
        return (os.system, (f"touch {self.marker}",))


def _plant(path: Path, value: Any) -> None:
    """A well-formed entry: the magic, the SHA-256 of the payload (anyone can compute it), the payload."""
    import hashlib
    import pickle

    from driftlint.storage import MAGIC

    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    path.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("entry", ["facts", "run"])
@pytest.mark.usefixtures("stat_trust")
def test_corrupt_cache_entry_is_ignored_and_rewritten(repo: Path, tmp_path: Path, entry: str, corrupt: Any):
    cache = tmp_path / "cache"
    expected = findings(check(repo, None))
    check(repo, cache, reuse=True)
    (target,) = cache_files(cache, entry)
    corrupt(target)
    # A run entry is only consulted when nothing changed; a fact entry when a file did.
    if entry == "facts":
        (repo / "app/tasks.py").write_text("def work():\n    return 2\n")
        expected = findings(check(repo, None))
    result = check(repo, cache, reuse=True)
    assert findings(result) == expected
    assert result.project is not None  # recomputed, not answered from the damaged entry
    if corrupt not in (_directory, _fifo, _endless):
        assert read_entry(target) is not None, "the damaged entry is written again"
        assert findings(check(repo, cache, reuse=True)) == expected


@pytest.mark.parametrize("name", ["b1.py", "tasks.py"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_garbage_inside_an_intact_pack_is_a_miss_for_that_file(
    repo: Path, tmp_path: Path, extractions: list[str], monkeypatch: pytest.MonkeyPatch, name: str, jobs: int
):
    """Cached facts are unpickled when first used (a revision's by its graph, a module's by the
    Celery rules, in the rules child with jobs=2): garbage found then is still a miss."""
    monkeypatch.setattr("driftlint.facts.extract.PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr("driftlint.engine.check.PARALLEL_THRESHOLD", 1)
    cache = tmp_path / "cache"
    expected = findings(check(repo, cache, jobs=jobs))
    (pack,) = cache_files(cache, "facts")
    salt, entries = read_entry(pack)
    victim = next(p for p in entries if p.endswith(name))
    kind, digest, _blob, suppressions, parse_error = entries[victim]
    entries[victim] = (kind, digest, b"\x80\x05garbage", suppressions, parse_error)
    write_entry(cache, pack.name, (salt, entries))
    extractions.clear()
    assert findings(check(repo, cache, jobs=jobs)) == expected
    if jobs == 1:
        assert extractions == [name]
    # Extracted again (by the parent or, with two jobs, maybe by a child) and stored again: the
    # next run extracts nothing.
    extractions.clear()
    assert findings(check(repo, cache, jobs=jobs)) == expected
    assert extractions == []


@pytest.mark.parametrize("entry", ["facts", "delta", "run", "layout", "findings"])
def test_a_planted_entry_cannot_run_code(repo: Path, tmp_path: Path, entry: str):
    """A pull request can add the cache folder, and CI restores caches others wrote: an entry that
    names anything but driftlint's own data types is a miss, whatever its checksum."""
    cache = tmp_path / "cache"
    expected = findings(check(repo, None))
    check(repo, cache, reuse=True)
    (repo / "app/tasks.py").write_text("def work():\n    return 2\n")  # so that every entry is consulted
    expected = findings(check(repo, None))
    marker = tmp_path / "planted-code-ran"
    names = {p.name.split("-")[0]: p for p in cache.glob("*.pickle")}
    # The delta is written by an edit; it shares the pack's name but for its prefix.
    target = names.get(entry) or cache / names["facts"].name.replace("facts-", f"{entry}-")
    for value in (_Planted(marker), ("salt", {"x": _Planted(marker)}), [_Planted(marker)]):
        _plant(target, value)
        assert findings(check(repo, cache, reuse=True)) == expected
        assert findings(check(repo, cache)) == expected
        assert not marker.exists(), f"a planted {entry} entry ran a command"


def test_a_planted_blob_inside_an_intact_pack_cannot_run_code(repo: Path, tmp_path: Path):
    """Facts are loaded from the pack when a rule first uses them: that load is data-only too."""
    import pickle

    cache = tmp_path / "cache"
    expected = findings(check(repo, cache))
    (pack,) = cache_files(cache, "facts")
    key, entries = read_entry(pack)
    marker = tmp_path / "planted-code-ran"
    for victim in list(entries):
        kind, digest, _blob, suppressions, parse_error = entries[victim]
        entries[victim] = (kind, digest, pickle.dumps(_Planted(marker)), suppressions, parse_error)
    write_entry(cache, pack.name, (key, entries))
    assert findings(check(repo, cache)) == expected
    assert not marker.exists()


def test_an_edit_after_a_check_with_another_selection_costs_an_edit(
    repo: Path, tmp_path: Path, extractions: list[str], monkeypatch: pytest.MonkeyPatch
):
    """`check --select DL1` (a pre-commit hook, an IDE task) keeps its entries beside the plain
    check's: the next plain check after an edit extracts the edited file alone and discovers nothing."""
    import driftlint.discovery as discovery

    monkeypatch.setattr(inputs, "RACY_WINDOW_NS", -(10**18))
    cache = tmp_path / "cache"
    check(repo, cache, reuse=True)
    check(repo, cache, reuse=True, select=("DL1",))
    (repo / "migrations/versions/c1.py").write_text('revision = "c1"\ndown_revision = "a1"\n# edited\n')
    discovered: list[str] = []
    original = discovery.discover
    monkeypatch.setattr(discovery, "discover", lambda *a, **k: discovered.append("discover") or original(*a, **k))
    extractions.clear()
    result = check(repo, cache, reuse=True)
    assert (extractions, discovered) == (["c1.py"], [])
    assert findings(result) == findings(check(repo, None))


def test_an_edit_to_a_revisions_sql_loads_no_modules_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The facts every run reads of every file (suppressions, whether it parses) are kept beside
    the stored facts: an edit that reruns the schema rules unpickles no task module's facts, and a
    module that does not parse is still found without them."""
    from driftlint.facts.store import LazyFileFacts

    monkeypatch.setattr(inputs, "RACY_WINDOW_NS", -(10**18))
    repo = write_tree(tmp_path / "repo", {
        **TWO_HEADS_AND_A_MODULE,
        "migrations/versions/c1.py": 'revision = "c1"\ndown_revision = "b1"\nfrom alembic import op\n\n\n'
        'def upgrade():\n    op.execute("CREATE TABLE t (id int)")\n',
        "app/broken.py": "def broken(:\n",
    })
    cache = tmp_path / "cache"
    expected = findings(check(repo, cache, reuse=True))
    assert any(found[:2] == ("DL001", "app/broken.py") for found in expected)
    revision = repo / "migrations/versions/c1.py"
    revision.write_text(revision.read_text().replace("id int", "id bigint"))
    loaded: list[str] = []
    original = LazyFileFacts.load

    def load(self: LazyFileFacts) -> Any:
        loaded.append(self.path.name)
        return original(self)

    monkeypatch.setattr(LazyFileFacts, "load", load)
    result = check(repo, cache, reuse=True)
    assert findings(result) == expected
    assert not {"tasks.py", "broken.py"} & set(loaded), loaded


def test_a_cache_folder_whose_gitignore_cannot_be_written_is_not_left_behind(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A full disk while the folder is created: no folder without its .gitignore is left for git to see."""
    import errno

    import driftlint.storage as storage

    real = storage._replace

    def full_disk(directory: Path, name: str, data: bytes) -> bool:
        if name == ".gitignore":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(directory, name, data)

    monkeypatch.setattr(storage, "_replace", full_disk)
    expected = findings(check(repo, None))
    assert findings(check(repo, repo / ".driftlint_cache", reuse=True)) == expected
    assert not (repo / ".driftlint_cache").exists()
    monkeypatch.undo()
    check(repo, repo / ".driftlint_cache", reuse=True)
    assert (repo / ".driftlint_cache" / ".gitignore").read_text() == storage.GITIGNORE


def test_unwritable_cache_location_still_checks(repo: Path, tmp_path: Path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    expected = findings(check(repo, None))
    for _ in range(2):
        assert findings(check(repo, blocked, reuse=True)) == expected
    assert blocked.read_text() == "a file where the cache folder should be"


SYNTH_REVISIONS = 120


def synthetic_repo(root: Path) -> Path:
    """A history big enough that two runs overlap: a line with a branch that is never merged."""
    files: dict[str, str] = {"alembic.ini": INI, "migrations/env.py": ""}
    previous = None
    for number in range(SYNTH_REVISIONS):
        revision = f"r{number:04d}"
        down = f'"{previous}"' if previous else "None"
        files[f"migrations/versions/{revision}_step.py"] = (
            f'"""step {number}"""\nfrom alembic import op\n\nrevision = "{revision}"\ndown_revision = {down}\n\n\n'
            f'def upgrade():\n    op.execute("CREATE TABLE t_{number} (id int)")\n'
        )
        previous = revision if number != SYNTH_REVISIONS // 2 else previous
    for number in range(30):
        files[f"app/tasks/t{number}.py"] = "".join(f"def helper_{h}(x):\n    return x * {h}\n" for h in range(30))
    return write_tree(root, files)


def test_two_runs_at_once_on_one_cache_dir_agree(tmp_path: Path):
    root = synthetic_repo(tmp_path / "synth")
    cache = tmp_path / "shared-cache"
    command = [sys.executable, "-m", "driftlint", "check", ".", "--output-format", "json", "--exit-zero"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(driftlint.__file__).parent.parent), os.environ.get("PYTHONPATH", "")])}
    reference = subprocess.run([*command, "--no-cache"], cwd=root, env=env, capture_output=True, text=True, check=True).stdout
    assert '"code": "DL101"' in reference
    for round_number in range(4):
        if round_number % 2 == 0:
            shutil.rmtree(cache, ignore_errors=True)  # both cold, both writing at once
        runs = [
            subprocess.Popen([*command, "--cache-dir", str(cache)], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        for run in runs:
            out, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
            assert out == reference
    assert not list(cache.glob(".tmp-*")), "every write was renamed into place"
    assert read_entry(cache_files(cache, "facts")[0]) is not None
    assert read_entry(cache_files(cache, "run")[0]) is not None


# -- where the cache lives ------------------------------------------------------------------------


def test_default_cache_dir_is_at_the_project_root_and_ignores_itself(repo: Path):
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    result = invoke(repo, "check", "--output-format", "concise")
    assert result.exit_code == 1
    cache = repo / ".driftlint_cache"
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert cache_files(cache, "facts") and cache_files(cache, "run")
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"], capture_output=True, text=True, check=True
    ).stdout
    assert status and ".driftlint_cache" not in status


def test_no_cache_writes_nothing(repo: Path):
    result = invoke(repo, "check", "--no-cache", "--output-format", "concise")
    assert result.exit_code == 1
    assert not (repo / ".driftlint_cache").exists()


def test_cache_dir_option_wins_over_environment(repo: Path, tmp_path: Path):
    result = invoke(repo, "check", "--cache-dir", str(tmp_path / "flag"), env={"DRIFTLINT_CACHE_DIR": str(tmp_path / "env")})
    assert result.exit_code == 1
    assert cache_files(tmp_path / "flag", "facts")
    assert not (tmp_path / "env").exists()
    assert not (repo / ".driftlint_cache").exists()


def test_environment_variable_sets_the_cache_dir(repo: Path, tmp_path: Path):
    result = invoke(repo, "check", env={"DRIFTLINT_CACHE_DIR": str(tmp_path / "env")})
    assert result.exit_code == 1
    assert cache_files(tmp_path / "env", "facts")
    assert (tmp_path / "env" / ".gitignore").is_file()
    assert not (repo / ".driftlint_cache").exists()


def test_settings_cache_dir_is_relative_to_the_project_root(repo: Path):
    (repo / "pyproject.toml").write_text('[tool.driftlint]\ncache-dir = "build-cache/driftlint"\n')
    assert invoke(repo, "check").exit_code == 1
    assert cache_files(repo / "build-cache" / "driftlint", "facts")
    assert not (repo / ".driftlint_cache").exists()


def test_existing_folder_given_as_cache_dir_gets_no_gitignore(repo: Path, tmp_path: Path):
    """Only a folder driftlint creates is marked ignored: an existing one may hold the user's files."""
    existing = tmp_path / "existing"
    existing.mkdir()
    assert invoke(repo, "check", "--cache-dir", str(existing)).exit_code == 1
    assert cache_files(existing, "facts")
    assert not (existing / ".gitignore").exists()


@pytest.mark.parametrize("fmt", ["concise", "json", "full", "sarif"])
def test_warm_output_is_identical_to_cold_output(repo: Path, tmp_path: Path, fmt: str):
    args = ("check", "--cache-dir", str(tmp_path / "cache"), "--output-format", fmt, "--color", "never")
    cold = invoke(repo, *args)
    warm = invoke(repo, *args)
    uncached = invoke(repo, "check", "--no-cache", "--output-format", fmt, "--color", "never")
    assert cold.exit_code == warm.exit_code == uncached.exit_code == 1
    assert cold.output == warm.output == uncached.output


def test_editing_a_source_file_of_driftlint_changes_the_code_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An editable install: the version stays, a module changes (size, mtime or inode)."""
    package = write_tree(tmp_path / "driftlint", {"__init__.py": "", "rules/a.py": "x = 1\n"})
    monkeypatch.setattr(driftlint, "__file__", str(package / "__init__.py"))
    fingerprints = [code_fingerprint()]
    module = package / "rules" / "a.py"
    status = module.stat()
    module.write_text("x = 2\n")  # same size
    os.utime(module, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
    code_fingerprint.cache_clear()
    fingerprints.append(code_fingerprint())
    (package / "rules" / "b.py").write_text("")
    code_fingerprint.cache_clear()
    fingerprints.append(code_fingerprint())
    assert len(set(fingerprints)) == 3


@pytest.mark.usefixtures("stat_trust")
def test_a_file_only_a_rule_reads_is_an_input_of_the_stored_result(tmp_path: Path):
    """DL001 reads pyproject.toml's requires-python, which neither discovery nor any file digest
    covers: changing it must not let the result stored for the same file contents answer."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "newer-python-syntax", repo)
    cache = tmp_path / "cache"
    first = check(repo, cache, reuse=True)
    assert first.diagnostics == [] and "targets Python >=3.14" in first.notices[0]
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(">=3.14", ">=3.10"))
    [second] = check(repo, cache, reuse=True).diagnostics
    assert (second.code, second.path) == ("DL001", "shop/tasks.py")
    assert findings(check(repo, cache, reuse=True)) == findings(check(repo, None))


@pytest.mark.usefixtures("trusted")
def test_a_fresh_checkout_of_the_same_tree_reuses_the_result_by_content(tmp_path: Path):
    """New inodes and timestamps everywhere (CI restoring the cache onto a new clone): what the
    rules looked at is compared by content, so the stored result still answers."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "seed-celery-drift", repo)
    cache = tmp_path / "cache"
    first = check(repo, cache, reuse=True)
    assert first.project is not None
    shutil.copytree(repo, tmp_path / "clone")
    shutil.rmtree(repo)
    (tmp_path / "clone").rename(repo)
    second = check(repo, cache, reuse=True)
    assert second.project is None, "the result was reused by content"
    assert findings(second) == findings(first)


def test_the_same_wheel_installed_again_keeps_the_code_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A regular install is known by its wheel's RECORD (each file's hash), not by inodes and
    timestamps, which every new virtualenv or CI job changes: a restored cache still answers."""
    files = {
        "driftlint/__init__.py": "",
        "driftlint/storage.py": "x = 1\n",
        "driftlint-0.1.0.dist-info/RECORD": "driftlint/__init__.py,sha256=47DEQpj8,0\ndriftlint/storage.py,sha256=ZRTc3wLx,6\n",
    }

    def fingerprint(site: Path) -> str:
        monkeypatch.setattr(driftlint, "__file__", str(site / "driftlint" / "__init__.py"))
        code_fingerprint.cache_clear()
        return code_fingerprint()

    first = fingerprint(write_tree(tmp_path / "one" / "site-packages", files))
    # Another virtualenv: the console script (its shebang names the interpreter) hashes otherwise.
    script = "../../bin/driftlint,sha256=venv2,244\n"
    elsewhere = {**files, "driftlint-0.1.0.dist-info/RECORD": script + files["driftlint-0.1.0.dist-info/RECORD"]}
    assert fingerprint(write_tree(tmp_path / "two" / "site-packages", elsewhere)) == first
    rebuilt = {**files, "driftlint-0.1.0.dist-info/RECORD": files["driftlint-0.1.0.dist-info/RECORD"].replace("ZRTc3wLx", "other")}
    assert fingerprint(write_tree(tmp_path / "three" / "site-packages", rebuilt)) != first
    edited = {**files, "driftlint/storage.py": "x = 10\n"}
    assert fingerprint(write_tree(tmp_path / "four" / "site-packages", edited)) != first, "a module edited by hand"
    editable = {k: v for k, v in files.items() if not k.endswith("RECORD")}
    assert fingerprint(write_tree(tmp_path / "five" / "site-packages", editable)) != fingerprint(
        write_tree(tmp_path / "six" / "site-packages", editable)
    ), "without a RECORD, inodes count"


# -- the pack's delta -------------------------------------------------------------------------------


def test_an_edit_writes_its_facts_to_the_delta_and_leaves_the_pack(repo: Path, tmp_path: Path, extractions: list[str]):
    cache = tmp_path / "cache"
    check(repo, cache)
    (pack,) = cache_files(cache, "facts")
    before = pack.stat()
    (repo / "app/tasks.py").write_text("def work():\n    return 2\n")
    expected = findings(check(repo, None))
    extractions.clear()
    assert findings(check(repo, cache)) == expected
    assert extractions == ["tasks.py"]
    after = pack.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "the pack was not rewritten"
    assert len(cache_files(cache, "delta")) == 1
    extractions.clear()
    assert findings(check(repo, cache)) == expected
    assert extractions == [], "the edited file's facts came from the delta"


def test_a_delta_beside_another_pack_is_ignored(repo: Path, tmp_path: Path, extractions: list[str]):
    cache = tmp_path / "cache"
    check(repo, cache)
    (repo / "app/tasks.py").write_text("def work():\n    return 2\n")
    check(repo, cache)
    (delta,) = cache_files(cache, "delta")
    salt, _pack_digest, entries = read_entry(delta)
    write_entry(cache, delta.name, (salt, b"another pack" * 3, entries))
    extractions.clear()
    assert findings(check(repo, cache)) == findings(check(repo, None))
    assert "tasks.py" in extractions


def test_a_full_delta_is_folded_into_a_new_pack(repo: Path, tmp_path: Path, extractions: list[str], monkeypatch: pytest.MonkeyPatch):
    import driftlint.facts.store as store_module

    monkeypatch.setattr(store_module, "DELTA_LIMIT", 1)
    cache = tmp_path / "cache"
    check(repo, cache)
    (pack,) = cache_files(cache, "facts")
    first_pack = read_entry(pack)
    (repo / "app/tasks.py").write_text("def work():\n    return 2\n")
    check(repo, cache)
    assert read_entry(pack) == first_pack, "one entry: the delta"
    (repo / "migrations/versions/b1.py").write_text('revision = "b1"\ndown_revision = "a1"\n# edited\n')
    check(repo, cache)
    _salt, entries = read_entry(pack)
    assert any(p.endswith("tasks.py") and e[0] == "module" for p, e in entries.items())
    assert read_entry(pack) != first_pack, "two entries: folded into a new pack"
    expected = findings(check(repo, None))
    extractions.clear()
    assert findings(check(repo, cache)) == expected
    assert extractions == []
