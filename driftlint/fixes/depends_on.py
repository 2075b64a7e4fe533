"""DL201 fix: the referencing revision gains `depends_on` on the revision that creates the object."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst

from driftlint.diagnostics import Diagnostic
from driftlint.fixes import FixError, Workspace
from driftlint.fixes.literals import (
    append_strings,
    last_assignment,
    quote_of,
    replace_value,
    string_node,
    string_value,
)
from driftlint.project import Project
from driftlint.revisions import read_header

HEADER_ORDER = ("revision", "down_revision", "branch_labels")


def fix_cross_branch_reference(diagnostic: Diagnostic, project: Project, files: Workspace) -> str:
    if not diagnostic.subject or not diagnostic.related:
        raise FixError("the finding does not name the revisions")
    revision = diagnostic.subject[0]
    needed = _revision_at(files.absolute(diagnostic.related[0].path), project)
    path = files.absolute(diagnostic.path)
    data = files.read(path)
    if data is None:
        raise FixError(f"{diagnostic.path} no longer exists")
    new_data = add_depends_on(data, needed)
    if new_data == data:
        raise FixError(f"revision `{revision}` already depends on `{needed}`")
    files.write(path, new_data)
    return f"added `{needed}` to depends_on of revision `{revision}` ({diagnostic.path})"


def _revision_at(path: Path, project: Project) -> str:
    facts = project.files.get(path)
    if facts is None or facts.header is None or facts.header.revision is None:
        raise FixError(f"{project.relpath(path)} is not a revision file driftlint could read")
    return facts.header.revision


def add_depends_on(data: bytes, needed: str) -> bytes:
    """`depends_on` of the module gains `needed`: None becomes the id, one id becomes a tuple,
    a tuple or list gets one more element; a file without `depends_on` gets one after its header."""
    try:
        module = cst.parse_module(data)
    except cst.ParserSyntaxError as exc:
        raise FixError(f"the file does not parse: {exc.message}") from None
    quote = quote_of(module)
    if any(not isinstance(s, cst.SimpleStatementLine) and _binds_inside(s, "depends_on") for s in module.body):
        raise FixError("`depends_on` is assigned inside a block; edit it by hand")
    index, statement, assignment = last_assignment(module, "depends_on")
    if statement is None:
        new_module = _insert_after_header(module, needed, quote)
    else:
        if assignment is None:
            raise FixError("`depends_on` is assigned by unpacking or together with other names; edit it by hand")
        if assignment.value is None:
            raise FixError("`depends_on` is declared without a value")
        new_value = _extended(assignment.value, needed, quote)
        if new_value is None:
            return data
        new_module = replace_value(module, index, assignment, new_value)
    result = new_module.bytes
    _verify(result, needed)
    return result


def _binds_inside(statement: cst.CSTNode, name: str) -> bool:
    code = cst.Module([]).code_for_node(statement)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name for node in ast.walk(tree))


def _extended(value: cst.BaseExpression, needed: str, quote: str) -> cst.BaseExpression | None:
    """The new value, or None when `needed` is already listed."""
    if isinstance(value, cst.Name) and value.value == "None":
        return string_node(needed, quote).with_changes(lpar=value.lpar, rpar=value.rpar)
    single = string_value(value)
    if single is not None:
        if single == needed:
            return None
        return cst.Tuple(
            [
                cst.Element(value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                cst.Element(string_node(needed, quote)),
            ]
        )
    if isinstance(value, (cst.Tuple, cst.List)):
        items = [string_value(element.value) for element in value.elements]
        if any(item is None or isinstance(element, cst.StarredElement) for item, element in zip(items, value.elements)):
            raise FixError("`depends_on` holds something other than string literals; edit it by hand")
        if needed in items:
            return None
        return append_strings(value, [needed], quote)
    raise FixError("`depends_on` is not a literal (None, a string, a tuple or a list); edit it by hand")


def _insert_after_header(module: cst.Module, needed: str, quote: str) -> cst.Module:
    position = -1
    for index, statement in enumerate(module.body):
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                target = small.targets[0].target if isinstance(small, cst.Assign) and small.targets else getattr(small, "target", None)
                if isinstance(target, cst.Name) and target.value in HEADER_ORDER:
                    position = index
    if position < 0:
        raise FixError("the file has no `revision`/`down_revision` assignment to put `depends_on` after")
    line = cst.SimpleStatementLine(
        [cst.Assign([cst.AssignTarget(cst.Name("depends_on"))], string_node(needed, quote))]
    )
    body = list(module.body)
    body.insert(position + 1, line)
    return module.with_changes(body=body)


def _verify(result: bytes, needed: str) -> None:
    try:
        tree = ast.parse(result)
    except SyntaxError as exc:
        raise FixError(f"the edit would not parse: {exc.msg}") from None
    if needed not in read_header(tree, "revision.py").depends_on:
        raise FixError("`depends_on` could not be extended statically")
