"""`check --base REF`: the revision graph of the merge result, built from git and the working tree."""

from __future__ import annotations

from pathlib import Path

from driftlint.discovery import Environment

from .helpers import invoke, project, revision


def codes_of(output: str) -> list[str]:
    return sorted(line.split(": ")[1].split(" ")[0] for line in output.splitlines() if ": DL" in line)


def branch_off(make_repo, base: dict[str, str]):
    repo = make_repo()
    repo.write(project(base))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def test_base_reports_two_children_of_one_parent_that_pass_on_each_branch(make_repo):
    repo = branch_off(make_repo, {"a1_base.py": revision("a1", None)})
    repo.write(project({"c1_index.py": revision("c1", "a1")}))
    repo.commit("feature adds c1")
    repo.git("checkout", "-q", "main")
    repo.write(project({"b1_email.py": revision("b1", "a1")}))
    repo.commit("main adds b1")
    assert invoke(repo.root, "check", "--no-cache").exit_code == 0
    repo.git("checkout", "-q", "feature")
    assert invoke(repo.root, "check", "--no-cache").exit_code == 0

    merged = invoke(repo.root, "check", "--no-cache", "--base", "main", "--output-format", "concise")

    assert merged.exit_code == 1
    assert "DL101 2 heads (b1, c1)" in merged.stdout
    assert not (repo.root / "migrations/versions/b1_email.py").exists()


def test_base_takes_upstream_edits_of_revisions_the_branch_left_alone(make_repo):
    repo = branch_off(make_repo, {
        "a1_base.py": revision("a1", None),
        "b1_email.py": revision("b1", "a1"),
        "c1_index.py": revision("c1", "a1"),
    })
    repo.write(project({"d1_more.py": revision("d1", "c1")}))
    repo.commit("feature builds on c1")
    repo.git("checkout", "-q", "main")
    repo.write(project({"c1_index.py": revision("c1", "b1")}))
    repo.commit("main makes the history linear")
    repo.git("checkout", "-q", "feature")
    assert "DL101" in invoke(repo.root, "check", "--no-cache", "--output-format", "concise").stdout

    merged = invoke(repo.root, "check", "--no-cache", "--base", "main", "--output-format", "concise")

    assert merged.exit_code == 0, merged.output


def test_base_keeps_the_working_tree_version_when_both_sides_edited_a_file(make_repo):
    repo = branch_off(make_repo, {"a1_base.py": revision("a1", None), "b1_email.py": revision("b1", "a1")})
    repo.write(project({"b1_email.py": revision("b1", "a1", doc="feature wording")}))
    repo.commit("feature edits b1")
    repo.git("checkout", "-q", "main")
    repo.write(project({"b1_email.py": revision("b1", "zz", doc="main wording")}))
    repo.commit("main edits b1 differently")
    repo.git("checkout", "-q", "feature")

    merged = invoke(repo.root, "check", "--no-cache", "--base", "main", "--output-format", "concise")

    assert merged.exit_code == 0, merged.output


def test_base_does_not_bring_back_a_file_the_branch_renamed(make_repo):
    repo = branch_off(make_repo, {"a1_base.py": revision("a1", None), "b1_old_name.py": revision("b1", "a1")})
    repo.git("mv", "migrations/versions/b1_old_name.py", "migrations/versions/b1_new_name.py")
    repo.commit("feature renames b1")
    repo.git("checkout", "-q", "main")
    repo.write(project({"c1_next.py": revision("c1", "b1")}))
    repo.commit("main adds c1")
    repo.git("checkout", "-q", "feature")

    merged = invoke(repo.root, "check", "--no-cache", "--base", "main", "--output-format", "concise")

    assert merged.exit_code == 0, merged.output


def test_base_drops_revisions_upstream_deleted(make_repo):
    repo = branch_off(make_repo, {
        "a1_base.py": revision("a1", None),
        "b1_email.py": revision("b1", "a1"),
        "x1_abandoned.py": revision("x1", "a1"),
    })
    repo.write(project({"c1_next.py": revision("c1", "b1")}))
    repo.commit("feature adds c1")
    repo.git("checkout", "-q", "main")
    repo.remove("migrations/versions/x1_abandoned.py")
    repo.commit("main deletes the abandoned head")
    repo.git("checkout", "-q", "feature")
    assert "DL101" in invoke(repo.root, "check", "--no-cache", "--output-format", "concise").stdout

    merged = invoke(repo.root, "check", "--no-cache", "--base", "main", "--output-format", "concise")

    assert merged.exit_code == 0, merged.output


def test_base_sees_uncommitted_working_tree_files(make_repo):
    repo = branch_off(make_repo, {"a1_base.py": revision("a1", None)})
    repo.git("checkout", "-q", "main")
    repo.write(project({"b1_email.py": revision("b1", "a1")}))
    repo.commit("main adds b1")
    repo.git("checkout", "-q", "feature")
    repo.write(project({"c1_wip.py": revision("c1", "a1")}))

    merged = invoke(repo.root, "check", "--no-cache", "--base", "main", "--output-format", "concise")

    assert "DL101 2 heads (b1, c1)" in merged.stdout


def test_base_reports_a_cross_branch_reference_the_merge_creates(make_repo):
    repo = branch_off(make_repo, {
        "a1_base.py": revision("a1", None, body='op.create_table("accounts", sa.Column("id", sa.Integer))'),
    })
    repo.write(project({"c1_index.py": revision("c1", "a1", body='op.create_index("ix_orders_id", "orders", ["id"])')}))
    repo.commit("feature indexes orders")
    repo.git("checkout", "-q", "main")
    repo.write(project({"b1_orders.py": revision("b1", "a1", body='op.create_table("orders", sa.Column("id", sa.Integer))')}))
    repo.commit("main creates orders")
    repo.git("checkout", "-q", "feature")
    alone = codes_of(invoke(repo.root, "check", "--no-cache", "--output-format", "concise").stdout)

    merged = codes_of(invoke(repo.root, "check", "--no-cache", "--base", "main", "--output-format", "concise").stdout)

    assert "DL201" not in alone
    assert "DL201" in merged and "DL101" in merged


def test_base_without_a_merge_base_adds_every_upstream_file_and_warns(make_repo):
    repo = make_repo()
    repo.write(project({"a1_base.py": revision("a1", None), "b1_email.py": revision("b1", "a1")}))
    repo.commit("main")
    repo.git("checkout", "-q", "--orphan", "unrelated")
    repo.git("rm", "-q", "-r", "--cached", ".")
    repo.remove("migrations/versions/b1_email.py")
    repo.write(project({"c1_index.py": revision("c1", "a1")}))
    repo.commit("unrelated history")

    merged = invoke(repo.root, "check", "--no-cache", "--base", "main", "--output-format", "concise")

    assert "DL101 2 heads (b1, c1)" in merged.stdout
    assert "no merge base" in merged.stderr


def test_base_with_an_unknown_ref_exits_2_with_one_line(make_repo):
    repo = make_repo()
    repo.write(project({"a1_base.py": revision("a1", None)}))
    repo.commit("base")

    result = invoke(repo.root, "check", "--no-cache", "--base", "origin/nope")

    assert result.exit_code == 2
    assert result.stderr == "driftlint: error: --base: unknown git revision `origin/nope`\n"


def test_base_refuses_an_option_looking_ref(make_repo):
    repo = make_repo()
    repo.write(project({"a1_base.py": revision("a1", None)}))
    repo.commit("base")

    result = invoke(repo.root, "check", "--no-cache", "--base=--output=x")

    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert not (repo.root / "x").exists()


def test_base_outside_a_git_repository_exits_2_with_one_line(tmp_path, make_repo):
    root = tmp_path / "plain"
    from ..conftest import write_tree

    write_tree(root, project({"a1_base.py": revision("a1", None)}))

    result = invoke(root, "check", "--no-cache", "--base", "main", env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})

    assert result.exit_code == 2
    assert result.stderr.startswith("driftlint: error: --base: ") and "not inside a git repository" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_base_without_git_installed_exits_2_with_one_line(make_repo, tmp_path):
    repo = make_repo()
    repo.write(project({"a1_base.py": revision("a1", None)}))
    repo.commit("base")
    empty = tmp_path / "no-git-here"
    empty.mkdir()

    result = invoke(repo.root, "check", "--no-cache", "--base", "main", env={"PATH": str(empty)})

    assert result.exit_code == 2
    assert result.stderr == "driftlint: error: --base needs git, and no `git` executable is on PATH\n"


def test_base_cannot_be_combined_with_fixes(make_repo):
    repo = make_repo()
    repo.write(project({"a1_base.py": revision("a1", None)}))
    repo.commit("base")

    result = invoke(repo.root, "check", "--no-cache", "--base", "main", "--fix")

    assert result.exit_code == 2
    assert "cannot be combined with --fix" in result.stderr


def test_overlay_files_join_the_load_order_where_alembic_would_walk_them(tmp_path):
    location = tmp_path / "versions"
    (location / "sub").mkdir(parents=True)
    for name in ("b.py", "sub/a.py"):
        (location / name).write_text("")
    env = Environment("test", None, None, tmp_path, version_locations=[location], recursive=True)
    overlay: dict[Path, bytes | None] = {
        location / "a.py": b"",  # a folder's files come before its sub-folders
        location / "sub" / "b.py": b"",
        location / "zz" / "c.py": b"",  # a folder only the merge result has
        location / "__init__.py": b"",  # Alembic never loads it
        location / "b.py": None,  # the merge deletes it
    }

    files = [p.relative_to(location).as_posix() for p in env.revision_files(overlay)]

    assert files == ["a.py", "sub/a.py", "sub/b.py", "zz/c.py"]


def test_graph_base_draws_the_merge_result(make_repo):
    repo = branch_off(make_repo, {"a1_base.py": revision("a1", None)})
    repo.write(project({"c1_index.py": revision("c1", "a1")}))
    repo.commit("feature adds c1")
    repo.git("checkout", "-q", "main")
    repo.write(project({"b1_email.py": revision("b1", "a1")}))
    repo.commit("main adds b1")
    repo.git("checkout", "-q", "feature")

    drawn = invoke(repo.root, "graph", "--no-cache", "--base", "main")

    assert drawn.stdout.splitlines() == [
        "alembic.ini: 3 revisions, 2 heads",
        "● a1  a1  (base)",
        "├─● b1  b1  (head)  ✗ DL101",
        "└─● c1  c1  (head)  ✗ DL101",
    ]


def test_base_reads_names_that_are_not_utf_8_or_hold_a_newline(make_repo):
    """git gives such names byte for byte (-z); they went back to it as text, and crashed."""
    import os

    repo = branch_off(make_repo, {"a1_base.py": revision("a1", None)})
    versions = os.fsencode(repo.root / "migrations/versions")
    odd = [os.path.join(versions, name) for name in (b"c\xe9_latin1.py", b"d1_new\nline.py")]
    for path, rid in zip(odd, ("c1", "d1")):
        with open(path, "w") as handle:
            handle.write(revision(rid, "a1"))
    repo.commit("feature adds c1 and d1")
    repo.git("checkout", "-q", "main")
    repo.write(project({"b1_email.py": revision("b1", "a1")}))
    repo.commit("main adds b1")
    repo.git("checkout", "-q", "feature")
    with open(odd[0], "a") as handle:
        handle.write("# edited on the branch\n")

    merged = invoke(repo.root, "check", "--no-cache", "--base", "main", "--output-format", "concise")

    assert merged.exit_code == 1, merged.output
    # Alembic's file pattern (.*\.py)$ stops at a newline: d1 is never loaded (DL106), as on disk.
    assert codes_of(merged.stdout) == ["DL101", "DL106"]
    assert "DL101 2 heads (b1, c1)" in merged.stdout


def test_base_lists_the_python_files_the_ref_has_so_new_revisions_can_be_told_apart(make_repo):
    from driftlint.merge_base import merge_overlay

    repo = branch_off(make_repo, {"a1_base.py": revision("a1", None)})
    repo.write(project({"b1_new.py": revision("b1", "a1")}))
    (repo.root / "notes.txt").write_text("not python\n")
    repo.commit("feature adds b1")

    merged = merge_overlay("main", repo.root)

    versions = repo.root.resolve() / "migrations" / "versions"
    assert versions / "a1_base.py" in merged.ref_files
    assert versions / "b1_new.py" not in merged.ref_files
    assert all(path.suffix == ".py" for path in merged.ref_files)
