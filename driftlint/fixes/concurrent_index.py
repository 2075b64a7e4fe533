"""DL501-DL503 fix: a revision that only builds and drops indexes does it CONCURRENTLY, in an autocommit block."""

from __future__ import annotations

import ast

import libcst as cst

from driftlint.diagnostics import Diagnostic
from driftlint.facts import SCHEMA
from driftlint.fixes import FixError, Workspace
from driftlint.project import Project
from driftlint.schema.model import RevisionEffects
from driftlint.schema.safety import only_index_operations

_INDEX_CALLS = ("create_index", "drop_index")
_KEYWORD = "postgresql_concurrently"


def fix_concurrent_index(diagnostic: Diagnostic, project: Project, files: Workspace) -> str:
    path = files.absolute(diagnostic.path)
    facts = project.files.get(path)
    effects = facts.extra.get(SCHEMA.key) if facts is not None else None
    if not isinstance(effects, RevisionEffects) or not only_index_operations(effects):
        raise FixError(
            "upgrade() does more than build or drop indexes with op.* calls: moving part of it out of the "
            "transaction would commit that part on its own; rewrite it by hand"
        )
    data = files.read(path)
    if data is None:
        raise FixError(f"{diagnostic.path} no longer exists")
    new_data = concurrent_indexes(data)
    if new_data == data:
        raise FixError("its indexes are already built CONCURRENTLY in an autocommit block")
    files.write(path, new_data)
    return f"built and dropped the indexes of {diagnostic.path} CONCURRENTLY in an autocommit block"


def concurrent_indexes(data: bytes) -> bytes:
    """upgrade()'s op.create_index/op.drop_index calls gain `postgresql_concurrently=True`, and its
    body moves into `with op.get_context().autocommit_block():`. Anything else in upgrade() (other
    than its docstring and `pass`) makes this a FixError: the fix is only equivalent when the
    revision does nothing but these calls."""
    try:
        module = cst.parse_module(data)
    except cst.ParserSyntaxError as exc:
        raise FixError(f"the file does not parse: {exc.message}") from None
    index = next(
        (i for i, s in enumerate(module.body) if isinstance(s, cst.FunctionDef) and s.name.value == "upgrade"), None
    )
    if index is None:
        raise FixError("the file has no module-level upgrade()")
    function = module.body[index]
    assert isinstance(function, cst.FunctionDef)
    body = function.body
    if not isinstance(body, cst.IndentedBlock):
        raise FixError("upgrade() is written on one line; edit it by hand")
    statements = list(body.body)
    docstring = 1 if statements and _is_docstring(statements[0]) else 0
    calls = statements[docstring:]
    if len(calls) == 1 and isinstance(calls[0], cst.With) and _is_autocommit_block(calls[0]):
        inner = calls[0].body
        if not isinstance(inner, cst.IndentedBlock):
            raise FixError("the autocommit block is written on one line; edit it by hand")
        new_inner = [_concurrent(statement) for statement in inner.body]
        if new_inner == list(inner.body):
            return data
        new_calls: list[cst.BaseStatement] = [calls[0].with_changes(body=inner.with_changes(body=new_inner))]
    else:
        if not calls or not all(_is_index_call(statement) for statement in calls):
            raise FixError("upgrade() does more than call op.create_index/op.drop_index; edit it by hand")
        block = cst.With(
            items=[cst.WithItem(cst.parse_expression("op.get_context().autocommit_block()"))],
            body=cst.IndentedBlock(body=[_concurrent(statement) for statement in calls]),
        )
        new_calls = [block]
    new_body = body.with_changes(body=[*statements[:docstring], *new_calls])
    result = module.with_changes(
        body=[*module.body[:index], function.with_changes(body=new_body), *module.body[index + 1:]]
    ).bytes
    try:
        ast.parse(result)
    except SyntaxError as exc:
        raise FixError(f"the edit would not parse: {exc.msg}") from None
    return result


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _op_call(statement: cst.BaseStatement) -> cst.Call | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    expression = statement.body[0]
    if not isinstance(expression, cst.Expr) or not isinstance(expression.value, cst.Call):
        return None
    call = expression.value
    function = call.func
    if isinstance(function, cst.Attribute) and isinstance(function.value, cst.Name) and function.value.value == "op":
        return call if function.attr.value in _INDEX_CALLS else None
    return None


def _is_index_call(statement: cst.BaseStatement) -> bool:
    return _op_call(statement) is not None


def _is_autocommit_block(statement: cst.With) -> bool:
    return len(statement.items) == 1 and "autocommit_block" in cst.Module([]).code_for_node(statement.items[0].item)


def _concurrent(statement: cst.BaseStatement) -> cst.BaseStatement:
    call = _op_call(statement)
    if call is None:
        return statement
    arguments = list(call.args)
    for position, argument in enumerate(arguments):
        if argument.keyword is not None and argument.keyword.value == _KEYWORD:
            if isinstance(argument.value, cst.Name) and argument.value.value == "True":
                return statement
            arguments[position] = argument.with_changes(value=cst.Name("True"))
            break
    else:
        if any(a.star for a in arguments):
            raise FixError("an index call passes **kwargs; edit it by hand")
        last = arguments[-1]
        multiline = isinstance(last.comma, cst.Comma) and isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace)
        added = cst.Arg(
            value=cst.Name("True"),
            keyword=cst.Name(_KEYWORD),
            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
        )
        if multiline:
            # The new argument takes the line layout of the ones before it; the closing
            # parenthesis keeps its own.
            previous = arguments[-2].comma if len(arguments) >= 2 else last.comma
            between = previous.whitespace_after if isinstance(previous, cst.Comma) else cst.SimpleWhitespace(" ")
            arguments[-1] = last.with_changes(comma=cst.Comma(whitespace_after=between))
            arguments.append(added.with_changes(comma=last.comma))
        else:
            arguments[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            arguments.append(added)
    assert isinstance(statement, cst.SimpleStatementLine)
    expression = statement.body[0]
    assert isinstance(expression, cst.Expr)
    return statement.with_changes(body=[expression.with_changes(value=call.with_changes(args=arguments))])
