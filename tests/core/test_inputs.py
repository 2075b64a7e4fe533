"""Reusing a whole result by stat signatures: what the recorder sees, and every change that must end the reuse."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

import driftlint.discovery as discovery
import driftlint.engine.read as reading
import driftlint.facts.extract as extraction
import driftlint.inputs as inputs
from driftlint.storage import read_entry
from driftlint.engine import CheckResult
from driftlint.inputs import Disk, InputRecorder

from ..conftest import TWO_HEADS_AND_A_MODULE, write_tree
from ..conftest import cached_check as check

@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "outer" / "repo", TWO_HEADS_AND_A_MODULE)


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each run that went past the stat comparison (discovered environments) appends here."""
    runs: list[str] = []
    original = discovery.discover

    def counting(*args: Any, **kwargs: Any) -> Any:
        runs.append("discover")
        return original(*args, **kwargs)

    monkeypatch.setattr(discovery, "discover", counting)
    return runs


def codes(result: CheckResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def stored_manifest(cache: Path) -> Any:
    (entry,) = cache.glob("run-*.pickle")
    return read_entry(entry)[3]


@pytest.mark.usefixtures("trusted")
def test_unchanged_tree_is_answered_by_stat_signatures_alone(repo: Path, tmp_path: Path, analysed: list[str]):
    first = check(repo, tmp_path / "cache")
    assert analysed == ["discover"] and first.project is not None
    second = check(repo, tmp_path / "cache")
    assert analysed == ["discover"], "the second run must not discover, list or read anything"
    assert second.project is None
    assert second.diagnostics == first.diagnostics
    assert (second.files_read, second.environments) == (first.files_read, first.environments)


def _same_size_edit_keeping_mtime(repo: Path) -> None:
    target = repo / "migrations/versions/c1.py"
    status = target.stat()
    target.write_text('revision = "c1"\ndown_revision = "b1"\n')
    os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns))


def _new_revision(repo: Path) -> None:
    (repo / "migrations/versions/d1.py").write_text('revision = "d1"\ndown_revision = ("b1", "c1")\n')


def _settings_in_a_parent_folder(repo: Path) -> None:
    (repo.parent / "driftlint.toml").write_text('ignore = ["DL101"]\n')


def _revision_replaced_by_a_symlink(repo: Path) -> None:
    target = repo / "migrations/versions/c1.py"
    elsewhere = repo / "elsewhere.py"
    elsewhere.write_text('revision = "c1"\ndown_revision = "b1"\n')
    target.unlink()
    target.symlink_to(elsewhere)


def _config_points_elsewhere(repo: Path) -> None:
    write_tree(repo, {"other/env.py": "", "other/versions/x1.py": 'revision = "x1"\ndown_revision = None\n'})
    (repo / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/other\n")


CONTENT_ONLY = [_same_size_edit_keeping_mtime]
STRUCTURAL = [_new_revision, _settings_in_a_parent_folder, _revision_replaced_by_a_symlink, _config_points_elsewhere]


@pytest.mark.usefixtures("trusted")
@pytest.mark.parametrize("change", CONTENT_ONLY + STRUCTURAL, ids=lambda f: f.__name__.strip("_"))
def test_each_change_ends_the_reuse(repo: Path, tmp_path: Path, analysed: list[str], change: Any):
    assert "DL101" in codes(check(repo, tmp_path / "cache"))
    change(repo)
    result = check(repo, tmp_path / "cache")
    assert result.project is not None, "recomputed, not answered from the stored result"
    assert "DL101" not in codes(result)
    assert codes(result) == codes(check(repo, tmp_path / "fresh-cache"))
    # Only an edit of file contents keeps the environments and file kinds of the last run.
    assert analysed == ["discover"] * (2 if change in CONTENT_ONLY else 3)


@pytest.mark.usefixtures("trusted")
def test_an_edited_file_is_the_only_one_read_again(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    check(repo, tmp_path / "cache")
    (repo / "migrations/versions/c1.py").write_text('revision = "c1"\ndown_revision = "b1"\n')
    reads: list[str] = []
    original = reading.read_regular

    def counting(path: str | Path, *args: Any) -> Any:
        reads.append(Path(path).name)
        return original(path, *args)

    monkeypatch.setattr(reading, "read_regular", counting)
    result = check(repo, tmp_path / "cache")
    assert reads == ["c1.py"]
    assert "DL101" not in codes(result)


@pytest.mark.usefixtures("trusted")
def test_a_reused_digest_whose_facts_are_gone_is_read_and_checked(repo: Path, tmp_path: Path):
    """The fact pack lost (or written by another invocation): unchanged files are read after all."""
    cache = tmp_path / "cache"
    first = check(repo, cache)
    for pack in cache.glob("facts-*.pickle"):
        pack.unlink()
    (repo / "app/tasks.py").write_text("def work():\n    return 2\n")
    result = check(repo, cache)
    assert result.project is not None
    assert codes(result) == codes(first)
    assert len(result.project.files) == len(first.project.files)


def test_racily_clean_files_are_never_trusted(repo: Path, tmp_path: Path, analysed: list[str]):
    """Files written a moment ago could change again within the same timestamp tick unseen."""
    check(repo, tmp_path / "cache")
    assert not stored_manifest(tmp_path / "cache").trustworthy()
    result = check(repo, tmp_path / "cache")
    assert analysed == ["discover", "discover"]
    assert "DL101" in codes(result)


@pytest.mark.usefixtures("trusted")
def test_the_cache_folder_inside_the_project_is_not_an_input(repo: Path, analysed: list[str]):
    """Created before anything is listed, and never recorded: the second run is already reused."""
    check(repo, repo / ".driftlint_cache")
    manifest = stored_manifest(repo / ".driftlint_cache")
    assert not any(".driftlint_cache" in path for path, _how, _sig in manifest.entries)
    check(repo, repo / ".driftlint_cache")
    assert analysed == ["discover"]


def test_creating_the_cache_folder_does_not_cost_the_next_run_its_reuse(
    repo: Path, analysed: list[str], monkeypatch: pytest.MonkeyPatch
):
    """The first run creates .driftlint_cache in the project, so the project folder changed just
    before it was listed and its timestamps cannot vouch for the listing: its names are recorded
    instead. The second run is answered by the stored result all the same, and a new file in that
    folder still ends the reuse."""
    monkeypatch.setattr(inputs, "RACY_WINDOW_NS", 300_000_000)
    time.sleep(0.4)  # every file is older than the window; only the folder the cache goes in changes
    check(repo, repo / ".driftlint_cache")
    manifest = stored_manifest(repo / ".driftlint_cache")
    assert manifest.trustworthy()
    assert (str(repo), "list", ("names", tuple(sorted(os.listdir(repo))))) in manifest.entries
    check(repo, repo / ".driftlint_cache")
    assert analysed == ["discover"]
    (repo / "new.py").write_text("x = 1\n")
    check(repo, repo / ".driftlint_cache")
    assert analysed == ["discover", "discover"]


def test_the_disk_notes_stats_listings_and_reads(tmp_path: Path):
    write_tree(tmp_path, {"a/b.txt": "x", "c.txt": "y"})
    recorder = InputRecorder()
    disk = Disk(recorder)
    disk.read_text(tmp_path / "a" / "b.txt")
    disk.listdir(tmp_path / "a")
    disk.is_file(tmp_path / "missing.toml")
    disk.is_symlink(tmp_path / "c.txt")
    seen = {(Path(path).relative_to(tmp_path).as_posix(), how): sig for path, how, sig in recorder.manifest().entries}
    assert seen[("a/b.txt", "read")][3] == 1  # a read file: its full signature, size included
    assert ("a", "list") in seen
    assert seen[("missing.toml", "stat")] == 2  # ENOENT: a file appearing there is a change
    assert ("c.txt", "lstat") in seen
    assert recorder.manifest().unchanged()
    (tmp_path / "missing.toml").write_text("")
    assert not recorder.manifest().unchanged()


def test_the_disk_records_what_resolving_a_path_depends_on(tmp_path: Path):
    """A folder replaced by a link (or a link pointed elsewhere) changes what a path resolves to."""
    write_tree(tmp_path, {"real/x.py": "", "other/x.py": ""})
    (tmp_path / "link").symlink_to(tmp_path / "real")
    recorder = InputRecorder()
    assert Disk(recorder).resolve(tmp_path / "link" / "x.py") == (tmp_path / "real" / "x.py").resolve()
    manifest = recorder.manifest()
    assert (str(tmp_path / "link"), "lstat") in {(path, how) for path, how, _sig in manifest.entries}
    assert manifest.unchanged()
    (tmp_path / "link").unlink()
    (tmp_path / "link").symlink_to(tmp_path / "other")
    assert not manifest.unchanged()


def test_the_disk_walks_as_os_walk_does(tmp_path: Path):
    write_tree(tmp_path, {"a/b/c.py": "", "a/d.py": "", "e/f.py": "", "g.py": ""})
    (tmp_path / "a" / "link").symlink_to(tmp_path / "e")
    for follow in (False, True):
        expected = [(root, sorted(dirs), sorted(files)) for root, dirs, files in os.walk(tmp_path, followlinks=follow)]
        walked = [(root, sorted(dirs), sorted(files)) for root, dirs, files in Disk().walk(tmp_path, followlinks=follow)]
        assert sorted(walked) == sorted(expected)


@pytest.mark.usefixtures("trusted")
def test_a_file_that_changed_unseen_by_its_signature_starts_the_run_over(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Should a signature miss an edit, bytes that disagree with the reused digest end the reuse
    (when the file must be read at all: here another file changed and the fact pack is gone)."""
    cache = tmp_path / "cache"
    check(repo, cache)
    target = repo / "migrations/versions/c1.py"
    original = target.read_text()
    before = inputs.signature(str(target), "read")
    for pack in cache.glob("facts-*.pickle"):
        pack.unlink()  # so that the file must be read, and its bytes compared with the digest
    target.write_text('revision = "c1"\ndown_revision = "b1"\n')
    (repo / "app/tasks.py").write_text("def work():\n    return 2\n")
    real_signature = reading.signature
    monkeypatch.setattr(reading, "signature", lambda path, how="stat": before if path == str(target) else real_signature(path, how))
    result = check(repo, cache)
    assert "DL101" not in codes(result)
    assert codes(result) == codes(check(repo, tmp_path / "fresh-cache"))
    # Nothing was stored under the digest the file no longer had: back to it, back to two heads.
    monkeypatch.undo()
    target.write_text(original)
    assert "DL101" in codes(check(repo, cache))


# -- early cutoff: an edit that leaves a file's facts as they were --------------------------------


@pytest.mark.usefixtures("trusted")
def test_an_edit_that_keeps_the_facts_reuses_the_result(repo: Path, tmp_path: Path, analysed: list[str], monkeypatch: pytest.MonkeyPatch):
    cache = tmp_path / "cache"
    first = check(repo, cache)
    extracted: list[str] = []
    original = extraction.extract_facts
    monkeypatch.setattr(extraction, "extract_facts", lambda path, *a: extracted.append(path.name) or original(path, *a))
    with (repo / "migrations/versions/c1.py").open("a") as handle:
        handle.write("# a comment, and nothing else\n")
    second = check(repo, cache)
    assert second.project is None, "the rules did not run again"
    assert second.diagnostics == first.diagnostics
    assert extracted == ["c1.py"]
    extracted.clear()
    with (repo / "migrations/versions/b1.py").open("a") as handle:  # another file: its facts change
        handle.write("branch_labels = ('side',)\n")
    third = check(repo, cache)
    assert third.project is not None
    assert extracted == ["b1.py"], "the commented file's new facts were cached"
    assert codes(third) == codes(first)


@pytest.mark.usefixtures("trusted")
def test_an_edit_that_changes_the_facts_runs_the_rules(repo: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    check(repo, cache)
    with (repo / "migrations/versions/c1.py").open("a") as handle:
        handle.write("branch_labels = ('side',)\n")
    result = check(repo, cache)
    assert result.project is not None
    assert codes(result) == codes(check(repo, tmp_path / "fresh-cache"))


@pytest.mark.usefixtures("trusted")
def test_an_edit_that_keeps_the_facts_still_sees_what_the_rules_looked_at(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A path only a rule stats (outside every walk) changed too: the rules must run again."""
    from driftlint.rule import all_rules

    marker = tmp_path / "elsewhere" / "marker"
    marker.parent.mkdir()
    rule = next(r for r in all_rules() if r.code == "DL101")
    original = rule.check

    def looking(self: Any, project: Any) -> Any:
        found = list(original(self, project))
        return found[:0] if project.disk.exists(marker) else found

    monkeypatch.setattr(rule, "check", looking)
    cache = tmp_path / "cache"
    assert "DL101" in codes(check(repo, cache))
    with (repo / "migrations/versions/c1.py").open("a") as handle:
        handle.write("# a comment\n")
    marker.write_text("")
    result = check(repo, cache)
    assert result.project is not None
    assert "DL101" not in codes(result)


@pytest.mark.usefixtures("trusted")
def test_a_touched_file_is_read_again_and_the_result_reused(repo: Path, tmp_path: Path, analysed: list[str], monkeypatch: pytest.MonkeyPatch):
    """New timestamps, same bytes (a checkout, `touch`): the digest matches, nothing is re-checked."""
    cache = tmp_path / "cache"
    first = check(repo, cache)
    target = repo / "migrations/versions/b1.py"
    status = target.stat()
    os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns + 5 * 10**9))
    extracted: list[str] = []
    original = extraction.extract_facts
    monkeypatch.setattr(extraction, "extract_facts", lambda path, *a: extracted.append(path.name) or original(path, *a))
    second = check(repo, cache)
    assert (second.project, extracted, analysed) == (None, [], ["discover"])
    assert second.diagnostics == first.diagnostics
    assert check(repo, cache).project is None


# -- what rules looked at, by content --------------------------------------------------------------


def test_looked_describes_paths_by_content(tmp_path: Path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "b").write_text("")
    (tmp_path / "folder" / "a").write_text("x")
    file = str(tmp_path / "folder" / "a")
    assert inputs.looked(str(tmp_path / "folder"), "list") == ("names", ("a", "b"))
    assert inputs.looked(file, "read")[0] == "sha256"
    assert inputs.looked(file, "stat")[0] == "mode"
    assert inputs.looked(str(tmp_path / "missing"), "stat") == ("errno", 2)
    os.mkfifo(tmp_path / "fifo")
    assert inputs.looked(str(tmp_path / "fifo"), "read") == ("special",)


@pytest.mark.usefixtures("trusted")
def test_seen_content_vouches_only_for_what_still_has_its_signature(tmp_path: Path):
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\n")
    recorder = InputRecorder()
    Disk(recorder).read_text(path)
    seen = inputs.SeenContent.of(recorder.manifest())
    assert seen is not None and seen.unchanged()
    path.write_text("[project]\nrequires-python = '>=3.12'\n")
    assert not seen.unchanged()
    assert inputs.SeenContent.of(recorder.manifest()) is None, "changed since it was recorded"


def test_seen_content_never_vouches_for_a_racily_clean_entry(tmp_path: Path):
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\n")
    recorder = InputRecorder()
    Disk(recorder).read_text(path)
    assert inputs.SeenContent.of(recorder.manifest()) is None


def test_a_folder_listed_right_after_a_change_is_vouched_for_by_its_names(tmp_path: Path):
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "a1.py").write_text("")
    recorder = InputRecorder()
    Disk(recorder).listdir(folder)
    ((path, how, sig),) = [entry for entry in recorder.manifest().entries if entry[1] == "list"]
    assert (path, how, sig) == (str(folder), "list", ("names", ("a1.py",)))
    assert recorder.manifest().trustworthy() and recorder.manifest().unchanged()
    seen = inputs.SeenContent.of(recorder.manifest())
    assert seen is not None and seen.unchanged()
    (folder / "b1.py").write_text("")
    assert not recorder.manifest().unchanged() and not seen.unchanged()
    assert inputs.SeenContent.of(recorder.manifest()) is None
