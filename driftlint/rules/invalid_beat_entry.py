"""DL305 invalid-beat-entry: a schedule entry beat cannot run, rejects at start, or reads differently than written."""

from __future__ import annotations

from typing import Iterator, Optional

from driftlint.celery.index import ENTRY_KEYS, BeatEntry, TaskIndex, entry_keys, has_spread, task_index
from driftlint.celery.values import CallV, Const, Span, Value, dotted
from driftlint.diagnostics import Diagnostic
from driftlint.facts import CELERY
from driftlint.project import Project
from driftlint.rule import Rule

_CRONTAB_ORDER = "(minute, hour, day_of_week, day_of_month, month_of_year)"


class InvalidBeatEntry(Rule):
    code = "DL305"
    name = "invalid-beat-entry"
    summary = "A beat entry lacks `task` or `schedule`, has a key beat rejects, or calls crontab() positionally"
    reads = frozenset({CELERY})

    def check(self, project: Project) -> Iterator[Diagnostic]:
        index = task_index(project)
        if not index.uses_celery:
            return
        other_scheduler = index.uses_other_scheduler()
        for entry in index.entries:
            if entry.module.is_test:
                continue
            path = project.relpath(entry.path)
            label = f"Beat entry '{entry.key}'" if entry.key else "A beat entry"
            if entry.source == "add_periodic_task":
                yield from self._periodic(entry, index, path)
                continue
            assert entry.entry is not None
            keys = {key for key, _, _ in entry_keys(entry.entry)}
            if not has_spread(entry.entry):
                for missing in ("task", "schedule"):
                    if missing not in keys:
                        consequence = (
                            "beat schedules nothing (task=None)"
                            if missing == "task"
                            else "beat cannot compute its next run and retries it every tick"
                        )
                        yield self.diagnostic(
                            f"{label} has no `{missing}`: {consequence}",
                            path,
                            entry.span,
                            fix_title=f"Add `{missing}` to the entry",
                            subject=(entry.key or "", f"missing-{missing}"),
                        )
            if not other_scheduler:
                for key, _value, span in entry_keys(entry.entry):
                    if key not in ENTRY_KEYS:
                        yield self.diagnostic(
                            f"{label} has key '{key}', which beat rejects when it starts "
                            f"(TypeError: ScheduleEntry.__init__() got an unexpected keyword argument '{key}')",
                            path,
                            span or entry.span,
                            fix_title=f"Move '{key}' into the entry's `options`",
                            subject=(entry.key or "", key),
                        )
            schedule = next((v for k, v, _ in entry_keys(entry.entry) if k == "schedule"), None)
            if schedule is not None:
                yield from self._crontab(schedule, entry, index, path, label)

    def _periodic(self, entry: BeatEntry, index: TaskIndex, path: str) -> Iterator[Diagnostic]:
        call = entry.call
        assert call is not None
        signature = call.args[1] if len(call.args) > 1 else call.kwarg("sig")
        if signature is not None and index.symbols.string(signature, entry.module) is not None:
            text = index.symbols.string(signature, entry.module)
            yield self.diagnostic(
                f"`add_periodic_task` is given the string '{text}' instead of a signature: configuration fails "
                "with AttributeError: 'str' object has no attribute 'name'",
                path,
                entry.span,
                fix_title=f"Pass a signature: `signature('{text}')` or `<task>.s()`",
                subject=(entry.key or "", "string-signature"),
            )
        schedule = call.args[0] if call.args else call.kwarg("schedule")
        if schedule is not None:
            yield from self._crontab(schedule, entry, index, path, "`add_periodic_task`")

    def _crontab(
        self, schedule: Value, entry: BeatEntry, index: TaskIndex, path: str, label: str
    ) -> Iterator[Diagnostic]:
        call = self._crontab_call(schedule, entry, index)
        # The first two fields are minute and hour in both orders; from the third on they differ.
        if call is None or len(call.args) < 3 or _named_in_crontab_order(call.args):
            return
        span: Optional[Span] = call.span
        shown = ", ".join(repr(a.value) if isinstance(a, Const) else (dotted(a) or "…") for a in call.args)
        yield self.diagnostic(
            f"{label} calls `crontab({shown})` with positional arguments: crontab reads them as "
            f"{_CRONTAB_ORDER}, not in cron's order",
            path,
            span or entry.span,
            fix_title="Name the fields: `crontab(minute=..., hour=...)`",
            subject=(entry.key or "", "crontab-positional"),
        )

    @staticmethod
    def _crontab_call(schedule: Value, entry: BeatEntry, index: TaskIndex) -> Optional[CallV]:
        for ref in index.symbols.deref(schedule, entry.module):
            if ref.kind == "value" and isinstance(ref.value, CallV) and ref.module is not None:
                for target in index.symbols.resolve(ref.value.func, ref.module):
                    if target.kind == "external" and target.name.endswith(".crontab") and target.name.startswith("celery"):
                        return ref.value
        return None


_FIELD_WORDS = (("minute", "min", "m"), ("hour", "h"), ("week", "dow", "wday"), ("day", "dom", "mday"), ("month", "moy", "mon"))


def _named_in_crontab_order(arguments: tuple[Value, ...]) -> bool:
    """Variables whose names already say crontab's field order (`crontab(minute, hour, day_week, ...)`)."""
    for position, argument in enumerate(arguments):
        name = (dotted(argument) or "").rpartition(".")[2].lower()
        if not name or not any(word in name for word in _FIELD_WORDS[position]):
            return False
        if position == 2 and ("month" in name or "dom" in name):
            return False
    return True

