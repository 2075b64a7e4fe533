"""The CI and editor snippets in docs/integrations/ (included verbatim in the README) really work."""

from __future__ import annotations

import json
import re
import shlex

import pytest
import yaml

from ..conftest import FIXTURES, REPO
from .helpers import copy_fixture, invoke, project, revision

DOCS = REPO / "docs" / "integrations"


def driftlint_commands(script: str) -> list[list[str]]:
    """The driftlint invocations of a shell step, as argument lists (without the program name)."""
    commands = []
    for line in script.splitlines():
        words = shlex.split(line)
        if words and words[0] == "driftlint":
            commands.append(words[1:])
    return commands


def github_steps() -> list[dict]:
    workflow = yaml.safe_load((DOCS / "github-actions.yml").read_text())
    [job] = workflow["jobs"].values()
    return job["steps"]


def test_github_workflow_annotates_the_pull_request(tmp_path):
    root = copy_fixture("three-heads", tmp_path)
    [annotate] = [step for step in github_steps() if step.get("name", "").startswith("driftlint (annotations")]
    [command] = driftlint_commands(annotate["run"])

    result = invoke(root, *command, "--no-cache")

    assert result.exit_code == 1
    assert re.fullmatch(
        r"::error file=migrations/versions/c100_create_payments\.py,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,"
        r"title=driftlint \(DL101 multiple-heads\)::DL101 3 heads .*\n",
        result.stdout,
    )


def test_github_workflow_checks_the_merge_with_the_target_branch(make_repo):
    repo = make_repo()
    repo.write(project({"a1_base.py": revision("a1", None)}))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(project({"c1_index.py": revision("c1", "a1")}))
    repo.commit("feature")
    repo.git("checkout", "-q", "main")
    repo.write(project({"b1_email.py": revision("b1", "a1")}))
    repo.commit("main")
    repo.git("update-ref", "refs/remotes/origin/main", "main")
    repo.git("checkout", "-q", "feature")
    [merge_step] = [step for step in github_steps() if "--base" in step.get("run", "")]
    [command] = driftlint_commands(merge_step["run"].replace("${{ github.base_ref }}", "main"))
    checkout = next(step for step in github_steps() if step.get("uses", "").startswith("actions/checkout"))

    result = invoke(repo.root, *command, "--no-cache")

    assert checkout["with"]["fetch-depth"] == 0
    assert merge_step["if"] == "github.event_name == 'pull_request'"
    assert result.exit_code == 1
    assert result.stdout.startswith("::error ") and "DL101 2 heads (b1, c1)" in result.stdout


def test_github_workflow_uploads_the_sarif_file_it_writes(tmp_path):
    root = copy_fixture("three-heads", tmp_path)
    steps = github_steps()
    [sarif_step] = [step for step in steps if "sarif" in step.get("run", "")]
    [upload] = [step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    [command] = driftlint_commands(sarif_step["run"])

    result = invoke(root, *command, "--no-cache")

    assert result.exit_code == 0  # --exit-zero: the upload step must run and the annotations step fails the job
    assert sarif_step["if"] == upload["if"] == "always()"
    report = json.loads((root / upload["with"]["sarif_file"]).read_text())
    assert report["version"] == "2.1.0"
    [run] = report["runs"]
    assert run["tool"]["driver"]["name"] == "driftlint"
    assert [r["ruleId"] for r in run["results"]] == ["DL101"]


def test_gitlab_job_writes_the_code_quality_report_it_declares(tmp_path):
    root = copy_fixture("three-heads", tmp_path)
    job = yaml.safe_load((DOCS / "gitlab-ci.yml").read_text())["driftlint"]
    [command] = [c for line in job["script"] for c in driftlint_commands(line)]

    result = invoke(root, *command, "--no-cache")

    assert result.exit_code == 1
    assert job["artifacts"]["when"] == "always"
    issues = json.loads((root / job["artifacts"]["reports"]["codequality"]).read_text())
    [issue] = issues
    assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
    assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
    assert issue["location"]["path"] == "migrations/versions/c100_create_payments.py"
    assert isinstance(issue["location"]["lines"]["begin"], int)



def test_gitlab_merge_request_job_checks_the_merge_with_the_target_branch(make_repo):
    repo = make_repo()
    repo.write(project({"a1_base.py": revision("a1", None)}))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(project({"c1_index.py": revision("c1", "a1")}))
    repo.commit("feature")
    repo.git("checkout", "-q", "main")
    repo.write(project({"b1_email.py": revision("b1", "a1")}))
    repo.commit("main")
    repo.git("update-ref", "refs/remotes/origin/main", "main")  # what `git fetch origin main` leaves
    repo.git("checkout", "-q", "feature")
    job = yaml.safe_load((DOCS / "gitlab-ci.yml").read_text())["driftlint-merge-result"]
    script = "\n".join(job["script"]).replace("$CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")
    [command] = driftlint_commands(script)

    result = invoke(repo.root, *command, "--no-cache")

    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert "git fetch origin \"main\"" in script
    assert result.exit_code == 1
    assert "DL101 2 heads (b1, c1)" in result.stdout

def vscode_matcher() -> tuple[dict, re.Pattern[str]]:
    tasks = json.loads((DOCS / "vscode-tasks.json").read_text())
    [task] = tasks["tasks"]
    matcher = task["problemMatcher"]
    return task, re.compile(matcher["pattern"]["regexp"])


@pytest.mark.parametrize("scenario", ["three-heads", "dangling-parent", "long-history-with-branches"])
def test_vscode_problem_matcher_reads_every_line_of_real_concise_output(scenario):
    task, pattern = vscode_matcher()
    pattern_spec = task["problemMatcher"]["pattern"]
    command = shlex.split(task["command"])
    assert command[0] == "driftlint"

    result = invoke(FIXTURES / scenario, *command[1:], "--no-cache")

    lines = result.stdout.splitlines()
    assert lines, "the scenario must produce findings"
    for line in lines:
        match = pattern.match(line)
        assert match, line
        path, row, column, code, message = (
            match.group(pattern_spec[key]) for key in ("file", "line", "column", "code", "message")
        )
        assert (FIXTURES / scenario / path).is_file()
        assert int(row) >= 1 and int(column) >= 1
        assert re.fullmatch(r"DL\d{3}", code) and message
    assert not pattern.match(result.stderr.strip())  # the summary line is not a problem


def test_vscode_problem_matcher_keeps_windows_drive_letters_in_the_file():
    _task, pattern = vscode_matcher()

    match = pattern.match(r"C:\work\migrations\versions\a1.py:12:5: DL201 Revision `a1` reads table `x`")

    assert match and match.group(1) == r"C:\work\migrations\versions\a1.py"
    assert match.group(2, 3, 4) == ("12", "5", "DL201")


def test_vscode_problem_matcher_uses_paths_relative_to_the_workspace():
    task, _pattern = vscode_matcher()

    assert task["problemMatcher"]["fileLocation"] == ["relative", "${workspaceFolder}"]
    assert task["problemMatcher"]["owner"] == "driftlint"


def test_pre_commit_snippet_names_this_release_and_the_published_hook():
    import driftlint

    config = yaml.safe_load((DOCS / "pre-commit-config.yaml").read_text())
    [repo] = config["repos"]
    hook_ids = {hook["id"] for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}

    assert repo["rev"] == f"v{driftlint.__version__}"
    assert repo["repo"] == "https://github.com/driftlint/driftlint"
    assert [hook["id"] for hook in repo["hooks"]] == ["driftlint"]
    assert {hook["id"] for hook in repo["hooks"]} <= hook_ids



def test_github_workflow_keeps_the_cache_between_jobs():
    """The cached folder is where `driftlint check` keeps its cache by default, restored from the
    latest job of any commit (a new clone reuses results by content, see test_cache)."""
    steps = github_steps()
    [cache] = [step for step in steps if step.get("uses", "").startswith("actions/cache@")]
    first_check = next(index for index, step in enumerate(steps) if "driftlint check" in step.get("run", ""))
    assert steps.index(cache) < first_check
    assert cache["with"]["path"] == ".driftlint_cache"
    assert cache["with"]["restore-keys"] == "driftlint-${{ runner.os }}-"
    assert cache["with"]["key"].startswith(cache["with"]["restore-keys"]) and "github.sha" in cache["with"]["key"]
