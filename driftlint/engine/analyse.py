"""Stage `analyse`: the project the rules see (every file's facts, each environment's revision graph)
and each selected rule's findings."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from driftlint.config import ConfigError
from driftlint.engine.options import InternalError
from driftlint.facts.extractors import CELERY
from driftlint.facts.model import REVISION
from driftlint.facts.store import UnreadableCachedFacts
from driftlint.inputs import UNRECORDED, Disk
from driftlint.project import EnvironmentAnalysis, Project
from driftlint.workers import Child

if TYPE_CHECKING:
    from driftlint.engine.setup import SettingsTree
    from driftlint.diagnostics import Diagnostic
    from driftlint.engine.discover import Structure
    from driftlint.facts.model import FileFacts
    from driftlint.inputs import InputRecorder
    from driftlint.rule import Rule

Findings = dict[str, list["Diagnostic"]]


def build_project(
    cwd: Path,
    tree: SettingsTree,
    structure: Structure,
    facts: dict[Path, FileFacts],
    disk: Disk = UNRECORDED,
    base_files: frozenset[Path] | None = None,
    same_graphs: Project | None = None,
) -> Project:
    """Every file's facts and each environment with its revision graph. The graphs read every
    revision's header: those facts are loaded here (before any rules child is forked, which
    inherits them). `base_files`: check --base's (Project.base_files).

    `same_graphs`: a project built earlier over the same structure, holding these same facts
    objects, with no revision header changed since; its environments' revision lists and graphs
    (with their derived orders, the costly part) are kept. driftlint server edits facts in place
    between keystrokes."""
    from driftlint.graph import RevisionGraph

    project = Project(
        cwd=disk.resolve(cwd), root=tree.root.root, settings=tree.root, files=facts, disk=disk, settings_of=tree.for_file,
        base_files=base_files,
    )
    if same_graphs is not None:
        # New EnvironmentAnalysis objects all the same: the analyses built on them (the schema
        # history) are per object, and must be built again from the edited facts.
        project.environments = [EnvironmentAnalysis(a.environment, a.scripts, a.graph) for a in same_graphs.environments]
        return project
    for env, revision_files in zip(structure.environments, structure.revision_lists):
        scripts = [facts[path] for path in map(Path, revision_files) if path in facts]
        project.environments.append(EnvironmentAnalysis(env, scripts, RevisionGraph(scripts)))
    return project


# Below this many revision files, the rules left in the parent are too little work to pay for the
# child: forking a process holding every file's facts, and the child's copying of the pages it
# touches while it builds the task index, cost more than they would overlap (on Saleor, no
# revisions and 4,338 modules, the rules took 1.45 s in a child against 0.90 s here).
OFFLOAD_MIN_REVISIONS = 1000


def in_child(rule: type[Rule]) -> bool:
    """Rules that run in a child process when a second CPU is there: those of the Celery task
    index, which costs about what all the other rules cost together."""
    return rule.reads is not None and CELERY in rule.reads


def run_rules(
    rules: Sequence[type[Rule]],
    project: Project,
    recorder: InputRecorder | None,
    parallel: bool,
    standing: Mapping[str, list[Diagnostic]] | None = None,
) -> Findings:
    """Every rule's findings, by code: those in `standing` (the last run's, for the rules an edit
    cannot concern) as they are, the others' checked now. With `parallel`, the rules `in_child`
    run in a forked child meanwhile; what the child looked at on disk joins this run's recording.
    A child that fails costs only time: its rules run here, and a rule's own error is raised here."""
    found: Findings = {r.code: list(standing[r.code]) for r in rules if standing and r.code in standing}
    todo = [r for r in rules if r.code not in found]
    offloaded = [r for r in todo if in_child(r)] if parallel and _revision_count(project) >= OFFLOAD_MIN_REVISIONS else []
    child = Child.start(partial(_rules_in_child, offloaded, project, recorder)) if offloaded else None
    if child is None:
        offloaded = []
    try:
        found.update(_check([r for r in todo if r not in offloaded], project))
        if child is not None:
            outcome = child.collect()
            if outcome is None:
                found.update(_check(offloaded, project))
            else:
                from_child, seen = outcome
                found.update(from_child)
                if recorder is not None:
                    for (path, how), sig in seen:
                        recorder.note(path, how, sig)
    finally:
        if child is not None:
            child.abandon()
    return found


def _revision_count(project: Project) -> int:
    return sum(1 for facts in project.files.values() if facts.kind == REVISION)


def _rules_in_child(
    rules: list[type[Rule]], project: Project, recorder: InputRecorder | None
) -> tuple[Findings, list[tuple[tuple[str, str], Any]]]:
    before = set(recorder.seen) if recorder is not None else set()
    found = _check(rules, project)
    seen = [(key, sig) for key, sig in recorder.seen.items() if key not in before] if recorder is not None else []
    return found, seen


def _check(rules: Sequence[type[Rule]], project: Project) -> Findings:
    found: Findings = {}
    for rule_class in rules:
        rule = rule_class()
        try:
            found[rule.code] = list(rule.check(project))
        except (UnreadableCachedFacts, ConfigError):
            # Not the rule's fault: the engine checks again without lazy facts; or a rule option
            # names something the project lacks, which is exit 2 with that one line.
            raise
        except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
            raise InternalError(f"rule {rule.code} ({rule.name}) failed: {type(exc).__name__}: {exc}") from exc
    return found
