"""Module names from import roots: src layouts, the top of the __init__.py chain, configured roots."""

from __future__ import annotations

from pathlib import Path

from driftlint.celery.modules import ModuleNamer, import_roots, resolve_relative

from ..conftest import write_tree


def test_top_of_init_chain_is_the_import_root(tmp_path: Path):
    write_tree(tmp_path, {"backend/app/__init__.py": "", "backend/app/tasks/__init__.py": "", "backend/app/tasks/m.py": ""})
    name = ModuleNamer(tmp_path, []).name(tmp_path / "backend/app/tasks/m.py")
    assert name is not None and name.name == "app.tasks.m"


def test_package_init_is_named_after_its_package(tmp_path: Path):
    write_tree(tmp_path, {"app/__init__.py": "", "app/tasks/__init__.py": ""})
    name = ModuleNamer(tmp_path, []).name(tmp_path / "app/tasks/__init__.py")
    assert name is not None and (name.name, name.is_package) == ("app.tasks", True)


def test_src_layout_is_detected(tmp_path: Path):
    write_tree(tmp_path, {"src/pkg/__init__.py": "", "src/pkg/jobs.py": ""})
    roots = import_roots(tmp_path, ())
    name = ModuleNamer(tmp_path, roots).name(tmp_path / "src/pkg/jobs.py")
    assert name is not None and name.name == "pkg.jobs"


def test_configured_src_roots_win_over_the_init_chain(tmp_path: Path):
    write_tree(tmp_path, {"service/__init__.py": "", "service/worker/tasks.py": ""})
    roots = import_roots(tmp_path, ("service",))
    name = ModuleNamer(tmp_path, roots).name(tmp_path / "service/worker/tasks.py")
    assert name is not None and name.name == "worker.tasks"


def test_a_root_package_keeps_shorter_aliases(tmp_path: Path):
    write_tree(tmp_path, {"backend/__init__.py": "", "backend/app/__init__.py": "", "backend/app/m.py": ""})
    name = ModuleNamer(tmp_path, []).name(tmp_path / "backend/app/m.py")
    assert name is not None and name.name == "backend.app.m"
    assert "app.m" in name.aliases


def test_a_path_that_is_not_an_identifier_has_no_module_name(tmp_path: Path):
    write_tree(tmp_path, {"my-scripts/run.py": ""})
    assert ModuleNamer(tmp_path, [(tmp_path).resolve()]).name(tmp_path / "my-scripts/run.py") is None


def test_relative_imports_resolve_against_the_package():
    assert resolve_relative("app.tasks.m", False, "core", 2) == "app.core"
    assert resolve_relative("app.tasks", True, "", 1) == "app.tasks"
    assert resolve_relative("app.m", False, "x", 3) is None
