"""DL303 unknown-beat-task: a beat entry names a task that no project module defines."""

from __future__ import annotations

import difflib
from typing import Iterator

from driftlint.celery.index import BUILTIN_TASKS, task_index
from driftlint.celery.values import Const
from driftlint.diagnostics import Diagnostic
from driftlint.facts import CELERY
from driftlint.project import Project
from driftlint.rule import Rule


class UnknownBeatTask(Rule):
    code = "DL303"
    name = "unknown-beat-task"
    summary = "A beat entry names a task that no module of the project defines"
    reads = frozenset({CELERY})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        index = task_index(project)
        if not index.uses_celery or index.custom_naming or index.dynamic_names:
            return
        for entry in index.entries:
            name = entry.task
            if name is None or entry.task_known or name in index.task_names or name in BUILTIN_TASKS:
                continue
            if entry.module.is_test:
                continue
            module_part = name.rpartition(".")[0]
            if not module_part or not index.symbols.is_project_module(module_part):
                continue
            if module_part in index.dynamic_task_modules or any(name.startswith(p) for p in index.dynamic_prefixes):
                continue
            module = index.symbols.module(module_part)
            short = name.rpartition(".")[2]
            if module is not None and (short in module.functions or short in module.classes):
                if (module.name, short) not in index.tasks_by_key:
                    # Defined, but registered in a way driftlint does not recognise: do not guess.
                    continue
            defined = sorted(
                n for t in index.tasks for n in t.names if t.module.name == module_part or n.startswith(module_part + ".")
            )
            close = difflib.get_close_matches(name, defined, n=1, cutoff=0.5)
            span = entry.task_value.span if isinstance(entry.task_value, Const) and entry.task_value.span else entry.span
            what = f"Beat entry '{entry.key}'" if entry.key else "A beat entry"
            if entry.source == "add_periodic_task":
                what = f"`add_periodic_task` ({entry.key})" if entry.key else "`add_periodic_task`"
            yield self.diagnostic(
                f"{what} names task '{name}', which no task in `{module_part}` is registered as: beat sends it "
                "anyway and workers discard it as unregistered",
                project.relpath(entry.path),
                span,
                fix_title=f"Name the task as registered (`{close[0]}`)" if close else "Name a task the project defines",
                context=[(f"Tasks defined in {module_part}", defined or ["(none)"])],
                subject=(entry.key or "", name),
            )
