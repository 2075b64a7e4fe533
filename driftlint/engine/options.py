"""What a check is asked (CheckOptions) and what it answers (CheckResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from driftlint.arguments import split_codes

if TYPE_CHECKING:
    from driftlint.config import Settings
    from driftlint.diagnostics import Diagnostic
    from driftlint.inputs import InputManifest
    from driftlint.project import Project


class InternalError(Exception):
    """A bug in driftlint or a rule: exit 2 with one line (traceback only with --debug)."""


@dataclass
class CheckOptions:
    paths: list[Path]
    cwd: Path
    settings_file: Path | None = None
    alembic_config: list[Path] = field(default_factory=list)
    alembic_section: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    cache_dir: Path | None = None
    use_cache: bool = True
    jobs: int | None = None
    # Answer from the whole-run cache when every input is unchanged; such a result has no
    # `project` (nothing was parsed), so only callers that just report diagnostics ask for it.
    reuse_result: bool = False
    # File contents that replace the disk (check --base); None: the file is absent from the merge result.
    overlay: dict[Path, bytes | None] | None = None
    # check --base: the Python files the base ref has (Project.base_files).
    base_files: frozenset[Path] | None = None
    # Extract every fact, also those no rule can use in this project (the Celery facts of a
    # project without Celery or materialized views): --show-unknown lists what each analysis
    # could not resolve.
    all_facts: bool = False

    @classmethod
    def from_arguments(
        cls,
        paths: Iterable[str | Path] = (),
        *,
        alembic_config: Iterable[str | Path] = (),
        alembic_section: str | None = None,
        settings_file: str | Path | None = None,
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        extend_select: Sequence[str] = (),
        cache_dir: str | Path | None = None,
        no_cache: bool = False,
        jobs: int | None = None,
        reuse_result: bool = False,
        all_facts: bool = False,
    ) -> CheckOptions:
        """The options of a check from its command-line arguments, the one way they are built (the
        click commands and the fast path alike): paths default to the working directory, rule
        selectors are split at commas."""
        return cls(
            paths=[Path(p) for p in paths] or [Path(".")],
            cwd=Path.cwd(),
            settings_file=Path(settings_file) if settings_file else None,
            alembic_config=[Path(p) for p in alembic_config],
            alembic_section=alembic_section,
            select=split_codes(select),
            ignore=split_codes(ignore),
            extend_select=split_codes(extend_select),
            cache_dir=Path(cache_dir) if cache_dir else None,
            use_cache=not no_cache,
            jobs=jobs,
            reuse_result=reuse_result,
            all_facts=all_facts,
        )


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic]
    project: Project | None
    files_read: int = 0
    environments: int = 0
    settings: Settings | None = None
    # Whether some module could hold Celery work (mentions celery, or a revision a materialized
    # view): with no environment either, the check had nothing to check.
    tasks: bool = False
    # Lines for stderr about what the check could not do that are not findings about the project
    # (modules only a newer Python than driftlint's parses).
    notices: tuple[str, ...] = ()
    # When the result is stored in (or came from) the whole-run cache under a trustworthy
    # manifest: that manifest and the cache folder (driftlint.snapshot keeps a first tier there).
    manifest: InputManifest | None = None
    cache_dir: Path | None = None

    @property
    def checked_nothing(self) -> bool:
        return self.environments == 0 and not self.tasks
