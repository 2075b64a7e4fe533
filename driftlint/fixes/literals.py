"""libcst edits of string collections (tuples, lists, sets) that keep the literal's layout and comments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import libcst as cst

Collection = Union[cst.Tuple, cst.List, cst.Set]


def string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal (implicit concatenation included), else None."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def quote_of(module: cst.Module, default: str = '"') -> str:
    """The quote character the file's first plain string uses, so added strings match it."""
    found: list[str] = []

    class Finder(cst.CSTVisitor):
        def visit_SimpleString(self, node: cst.SimpleString) -> bool:
            if not found and not node.prefix and not node.value.startswith(('"""', "'''")):
                found.append(node.quote)
            return False

    module.visit(Finder())
    return found[0] if found else default


def string_node(value: str, quote: str) -> cst.SimpleString:
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return cst.SimpleString(f"{quote}{escaped}{quote}")


def _opening(node: Collection) -> cst.BaseParenthesizableWhitespace | None:
    if isinstance(node, cst.List):
        return node.lbracket.whitespace_after
    if isinstance(node, cst.Set):
        return node.lbrace.whitespace_after
    return node.lpar[0].whitespace_after if node.lpar else None


def _closing(node: Collection) -> cst.BaseParenthesizableWhitespace | None:
    if isinstance(node, cst.List):
        return node.rbracket.whitespace_before
    if isinstance(node, cst.Set):
        return node.rbrace.whitespace_before
    return node.rpar[-1].whitespace_before if node.rpar else None


def _with_closing(node: Collection, whitespace: cst.BaseParenthesizableWhitespace) -> Collection:
    if isinstance(node, cst.List):
        return node.with_changes(rbracket=node.rbracket.with_changes(whitespace_before=whitespace))
    if isinstance(node, cst.Set):
        return node.with_changes(rbrace=node.rbrace.with_changes(whitespace_before=whitespace))
    rpar = list(node.rpar)
    rpar[-1] = rpar[-1].with_changes(whitespace_before=whitespace)
    return node.with_changes(rpar=rpar)


def _has_comma(element: cst.BaseElement) -> bool:
    return isinstance(element.comma, cst.Comma)


def append_strings(node: Collection, values: Sequence[str], quote: str) -> Collection:
    """Add string elements after the last one, laid out like the elements already there."""
    if not values:
        return node
    elements = list(node.elements)
    multiline = isinstance(_closing(node), cst.ParenthesizedWhitespace)
    if not elements:
        added = [cst.Element(string_node(v, quote), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for v in values]
        added[-1] = added[-1].with_changes(comma=cst.Comma() if isinstance(node, cst.Tuple) and len(values) == 1 else cst.MaybeSentinel.DEFAULT)
        return node.with_changes(elements=added)
    if len(elements) >= 2 and _has_comma(elements[-2]):
        separator = elements[-2].comma.whitespace_after  # type: ignore[union-attr]
    else:
        opening = _opening(node)
        separator = opening if isinstance(opening, cst.ParenthesizedWhitespace) else cst.SimpleWhitespace(" ")
    closing = _closing(node)
    last = elements[-1]
    trailing = _has_comma(last)
    if multiline and isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(separator, cst.ParenthesizedWhitespace):
        # The comment after the last element sits in the closing bracket's whitespace; it stays
        # on that element's line, and the bracket keeps its own indentation.
        separator = separator.with_changes(first_line=closing.first_line, empty_lines=closing.empty_lines)
        node = _with_closing(node, closing.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[]))
    elif isinstance(separator, cst.ParenthesizedWhitespace) and not multiline:
        separator = cst.SimpleWhitespace(" ")
    last_comma = last.comma if trailing else cst.Comma()
    elements[-1] = last.with_changes(comma=last_comma.with_changes(whitespace_after=separator))  # type: ignore[union-attr]
    between = separator
    if isinstance(separator, cst.ParenthesizedWhitespace):
        between = separator.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    for index, value in enumerate(values):
        final = index == len(values) - 1
        if final:
            # A trailing comma stays only where the layout had one (multi-line); `("a",)` needed it.
            comma: cst.Comma | cst.MaybeSentinel = cst.Comma() if trailing and multiline else cst.MaybeSentinel.DEFAULT
        else:
            comma = cst.Comma(whitespace_after=between)
        elements.append(cst.Element(string_node(value, quote), comma=comma))
    return node.with_changes(elements=elements)


def insert_string(node: Collection, value: str, quote: str) -> Collection:
    """Add one string element: in sorted position when the elements are sorted, else at the end."""
    elements = list(node.elements)
    values = [string_value(element.value) for element in elements]
    if not elements or None in values or values != sorted(values):  # type: ignore[type-var]
        return append_strings(node, [value], quote)
    position = next((i for i, existing in enumerate(values) if value < existing), len(values))  # type: ignore[operator]
    if position == len(elements):
        return append_strings(node, [value], quote)
    if position > 0:
        separator = elements[position - 1].comma.whitespace_after  # type: ignore[union-attr]
    elif len(elements) > 1 and _has_comma(elements[0]):
        separator = elements[0].comma.whitespace_after  # type: ignore[union-attr]
    else:
        opening = _opening(node)
        separator = opening if isinstance(opening, cst.ParenthesizedWhitespace) else cst.SimpleWhitespace(" ")
    if isinstance(separator, cst.ParenthesizedWhitespace):
        # The comment before the break belongs to the line above, not to the new element.
        separator = separator.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    new = cst.Element(string_node(value, quote), comma=cst.Comma(whitespace_after=separator))
    if isinstance(node, cst.Tuple) and len(elements) == 1 and not isinstance(_closing(node), cst.ParenthesizedWhitespace):
        elements[0] = elements[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)  # `("c",)` needed it, `("a", "c")` does not
    return node.with_changes(elements=[*elements[:position], new, *elements[position:]])


def last_assignment(
    module: cst.Module, name: str
) -> tuple[int, cst.SimpleStatementLine | None, cst.Assign | cst.AnnAssign | None]:
    """The module-level statement that last binds `name` (the one Python keeps): (index, line, assignment)."""
    found: tuple[int, cst.SimpleStatementLine | None, cst.Assign | cst.AnnAssign | None] = (-1, None, None)
    for index, statement in enumerate(module.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
                if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                    found = (index, statement, small) if len(targets) == 1 else (index, statement, None)
                elif any(_unpacks(t, name) for t in targets):
                    found = (index, statement, None)
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.target.value == name:
                found = (index, statement, small)
    return found


def replace_value(module: cst.Module, index: int, assignment: cst.Assign | cst.AnnAssign, value: cst.BaseExpression) -> cst.Module:
    statement = module.body[index]
    assert isinstance(statement, cst.SimpleStatementLine)
    new_statement = statement.with_changes(
        body=[assignment.with_changes(value=value) if small is assignment else small for small in statement.body]
    )
    return module.with_changes(body=[*module.body[:index], new_statement, *module.body[index + 1 :]])


def _unpacks(target: cst.BaseExpression, name: str) -> bool:
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_unpacks(element.value, name) for element in target.elements)
    return isinstance(target, cst.Name) and target.value == name


def remove_strings(node: Collection, values: set[str]) -> cst.BaseExpression:
    """Drop the string elements whose value is in `values`, with the comments on their lines."""
    elements = list(node.elements)
    keep = [e for e in elements if string_value(e.value) not in values]
    if len(keep) == len(elements):
        return node
    if not keep:
        if isinstance(node, cst.Set):
            return cst.Call(cst.Name("set"), lpar=node.lpar, rpar=node.rpar)  # `{}` would be a dict
        if isinstance(node, cst.Tuple) and not node.lpar:
            return cst.Tuple([], lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        opening = _opening(node)
        if isinstance(opening, cst.ParenthesizedWhitespace) and opening.first_line.comment is not None:
            # `[  # comment` keeps its comment: the closing bracket moves to the next line.
            node = _with_opening(node, opening.with_changes(empty_lines=[], indent=True, last_line=cst.SimpleWhitespace("")))
        elif opening is not None:
            node = _with_opening(node, cst.SimpleWhitespace(""))
        if _closing(node) is not None:
            node = _with_closing(node, cst.SimpleWhitespace(""))
        return node.with_changes(elements=[])
    result = list(keep)
    original_last = elements[-1]
    if string_value(original_last.value) in values:
        # The new last element takes over the removed last one's ending: its trailing comma (or
        # none), and the bracket's line break; its own line comment moves before that break.
        new_last = result[-1]
        own = new_last.comma.whitespace_after if _has_comma(new_last) else None  # type: ignore[union-attr]
        closing = _closing(node)
        if isinstance(own, cst.ParenthesizedWhitespace) and isinstance(closing, cst.ParenthesizedWhitespace):
            node = _with_closing(node, closing.with_changes(first_line=own.first_line))
        if _has_comma(original_last):
            result[-1] = new_last.with_changes(comma=cst.Comma())
        else:
            result[-1] = new_last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        if isinstance(node, cst.Tuple) and len(result) == 1 and not _has_comma(result[-1]):
            result[-1] = result[-1].with_changes(comma=cst.Comma())
    return node.with_changes(elements=result)



def _with_opening(node: Collection, whitespace: cst.BaseParenthesizableWhitespace) -> Collection:
    if isinstance(node, cst.List):
        return node.with_changes(lbracket=node.lbracket.with_changes(whitespace_after=whitespace))
    if isinstance(node, cst.Set):
        return node.with_changes(lbrace=node.lbrace.with_changes(whitespace_after=whitespace))
    lpar = list(node.lpar)
    lpar[0] = lpar[0].with_changes(whitespace_after=whitespace)
    return node.with_changes(lpar=lpar)
