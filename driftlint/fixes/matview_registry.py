"""DL401 fix: add the views the migrations leave to the registry literal, remove the ones they do not."""

from __future__ import annotations

import ast

import libcst as cst

from driftlint.diagnostics import Diagnostic
from driftlint.fixes import FixError, Workspace
from driftlint.fixes.literals import (
    insert_string,
    last_assignment,
    quote_of,
    remove_strings,
    replace_value,
    string_value,
)
from driftlint.project import Project


def fix_registry_drift(diagnostic: Diagnostic, project: Project, files: Workspace) -> str:
    if len(diagnostic.subject) != 4 or diagnostic.subject[2] not in ("missing", "stale"):
        raise FixError("the finding does not name the registry entry")
    _module, variable, kind, view = diagnostic.subject
    path = files.absolute(diagnostic.path)
    data = files.read(path)
    if data is None:
        raise FixError(f"{diagnostic.path} no longer exists")
    new_data = edit_registry(data, variable, add=[view] if kind == "missing" else [], remove=[view] if kind == "stale" else [])
    if new_data == data:
        raise FixError(f"`{variable}` already {'lists' if kind == 'missing' else 'omits'} `{view}`")
    files.write(path, new_data)
    action = f"added `{view}` to" if kind == "missing" else f"removed `{view}` from"
    return f"{action} `{variable}` ({diagnostic.path})"


def edit_registry(data: bytes, variable: str, add: list[str], remove: list[str]) -> bytes:
    """The module with `variable`'s list/tuple/set literal gaining `add` and losing `remove`,
    everything else (the literal's layout and comments included) as it was."""
    try:
        module = cst.parse_module(data)
    except cst.ParserSyntaxError as exc:
        raise FixError(f"the file does not parse: {exc.message}") from None
    index, statement, assignment = last_assignment(module, variable)
    if statement is None or assignment is None or assignment.value is None:
        raise FixError(f"`{variable}` is not bound by a plain module-level assignment; edit it by hand")
    value = assignment.value
    if not isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        raise FixError(f"`{variable}` is not a list, tuple or set literal; edit it by hand")
    if any(isinstance(e, cst.StarredElement) or string_value(e.value) is None for e in value.elements):
        raise FixError(f"`{variable}` holds something other than string literals; edit it by hand")
    present = {string_value(e.value) for e in value.elements}
    new_value: cst.BaseExpression = value
    if remove:
        new_value = remove_strings(value, set(remove))
    quote = quote_of(module)
    for name in add:
        if name in present:
            continue
        if not isinstance(new_value, (cst.List, cst.Tuple, cst.Set)):  # a set emptied into `set()`
            raise FixError(f"`{variable}` would have to be rebuilt; edit it by hand")
        new_value = insert_string(new_value, name, quote)
    if new_value is value:
        return data
    result = replace_value(module, index, assignment, new_value).bytes
    _verify(result, variable, add, remove)
    return result


def _verify(result: bytes, variable: str, add: list[str], remove: list[str]) -> None:
    tree = ast.parse(result)
    values: list[object] = []
    for statement in tree.body:
        target = statement.targets[0] if isinstance(statement, ast.Assign) else getattr(statement, "target", None)
        if isinstance(target, ast.Name) and target.id == variable and getattr(statement, "value", None) is not None:
            values = list(ast.literal_eval(statement.value))  # type: ignore[attr-defined]
    if not all(name in values for name in add) or any(name in values for name in remove):
        raise FixError(f"`{variable}` could not be edited statically")
