"""The check: `run_check(options)` runs the pipeline of named stages (engine.check) with the reuse
tiers around it (engine.memory), and returns the findings."""

from driftlint.engine.check import run_check
from driftlint.engine.options import CheckOptions, CheckResult, InternalError
from driftlint.engine.setup import load_project_settings, selected_rules

__all__ = ["CheckOptions", "CheckResult", "InternalError", "load_project_settings", "run_check", "selected_rules"]
