"""The mixin that makes a rule a live gate: silent in `check`, run by `driftlint verify` only."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Iterable, Iterator

from driftlint.diagnostics import Diagnostic

if TYPE_CHECKING:
    from driftlint.project import Project
    from driftlint.verify.context import VerifyContext


class LiveGate:
    """Put first in the bases (`class X(LiveGate, Rule)`): a static run never touches a database."""

    live: ClassVar[bool] = True
    reads: ClassVar[frozenset[str]] = frozenset()  # check finds nothing: see Rule.reads

    def check(self, project: "Project") -> Iterator[Diagnostic]:
        return iter(())

    def verify(self, ctx: "VerifyContext") -> Iterable[Diagnostic]:
        raise NotImplementedError
