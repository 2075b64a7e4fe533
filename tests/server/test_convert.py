"""Positions and edits in the protocol's terms: code points, UTF-16 and UTF-8 columns, line ends, encodings."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from driftlint.diagnostics import Location
from driftlint.server.app import encoded
from driftlint.server.convert import Text, text_edits

from .conftest import apply_edits


@pytest.mark.parametrize(
    ("encoding", "character"),
    [(lsp.PositionEncodingKind.Utf16, 8), (lsp.PositionEncodingKind.Utf32, 7), (lsp.PositionEncodingKind.Utf8, 11)],
)
def test_a_column_after_an_astral_character_counts_in_the_negotiated_units(encoding, character):
    text = Text("first\nx = '😀é' + t\n", encoding)
    # Column 8 in code points is the `'` closing the string: x, space, =, space, ', 😀, é.
    assert text.position(Location(2, 8)) == lsp.Position(line=1, character=character)
    assert text.location(lsp.Position(line=1, character=character)) == Location(2, 8)


def test_rows_end_at_cr_lf_and_crlf_but_not_at_a_form_feed():
    text = Text("a\r\nb\rc\x0cd\ne")
    assert [line.rstrip("\r\n") for line in text.lines] == ["a", "b", "c\x0cd", "e"]
    assert text.position(Location(4, 1)) == lsp.Position(line=3, character=0)


def test_a_location_past_the_text_is_clamped():
    text = Text("abc\n")
    assert text.position(Location(1, 40)) == lsp.Position(line=0, character=3)
    assert text.position(Location(9, 1)) == lsp.Position(line=1, character=0)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("a = 1\nb = 2\n", "a = 1\nc = 3\nb = 2\n"),
        ("x\r\ny\r\n", "x\r\nz\r\ny\r\n"),
        ("x\r\ny\r\n", "x\r\ny\r\n# done\r\n"),
        ("emoji = '😀'\nz = 0\n", "emoji = '😀'  # driftlint: ignore[DL201]\nz = 0\n"),
        ("", "created\n"),
    ],
)
def test_one_minimal_edit_turns_the_old_text_into_the_new(before, after):
    edits = text_edits(Text(before), after)
    assert len(edits) == 1
    assert apply_edits(before, edits) == after
    assert len(edits[0].new_text) <= len(after) - len(before) + 2


def test_an_edit_never_splits_a_crlf():
    edits = text_edits(Text("a\r\nb\r\n"), "a\nb\r\n")
    assert edits[0].range.start.line == 0 and edits[0].range.end == lsp.Position(line=1, character=0)


def test_a_buffer_is_encoded_as_its_coding_cookie_says():
    assert encoded("# -*- coding: latin-1 -*-\nname = 'é'\n") == "# -*- coding: latin-1 -*-\nname = 'é'\n".encode("latin-1")
    assert encoded("name = 'é'\n") == "name = 'é'\n".encode("utf-8")
    assert encoded("# coding: ascii\nname = 'é'\n") == "# coding: ascii\nname = 'é'\n".encode("utf-8")  # cannot: UTF-8
