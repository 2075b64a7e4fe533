"""The editor configurations the README shows start `driftlint server` and pass it an option it reads."""

from __future__ import annotations

import asyncio
import json
import re
import sys

from lsprotocol import types as lsp

from ..conftest import REPO
from .conftest import Editor, run_editor
from .test_server import BRANCHED, INVOICES, codes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SNIPPETS = REPO / "docs" / "integrations"


def test_each_client_runs_driftlint_server_with_a_debounce():
    vscode = json.loads((SNIPPETS / "vscode-lsp-settings.json").read_text())
    assert (vscode["glspc.server.command"], vscode["glspc.server.commandArguments"]) == ("driftlint", ["server"])
    assert vscode["glspc.server.initializationOptions"] == {"debounce": 100}
    helix = tomllib.loads((SNIPPETS / "helix-languages.toml").read_text())
    server = helix["language-server"]["driftlint"]
    assert (server["command"], server["args"], server["config"]) == ("driftlint", ["server"], {"debounce": 100})
    assert "driftlint" in helix["language"][0]["language-servers"]
    neovim = (SNIPPETS / "neovim-lsp.lua").read_text()
    assert 'cmd = { "driftlint", "server" }' in neovim and "init_options = { debounce = 100 }" in neovim
    assert 'vim.lsp.enable("driftlint")' in neovim
    eglot = (SNIPPETS / "emacs-eglot.el").read_text()
    assert re.search(r'\("driftlint" "server" :initializationOptions \(:debounce 100\)\)', eglot)


def test_the_debounce_option_delays_a_check_that_a_hover_does_not_wait_for(project):
    root = project(BRANCHED)
    y1 = root / "migrations/versions/y1.py"

    async def scenario(editor: Editor) -> None:
        editor.open(y1)
        await editor.diagnostics(y1, lambda found: "DL201" in codes(found))  # the first check runs at once
        editor.change(y1, INVOICES.replace('down_revision = "a0"', 'down_revision = "x1"'))
        await asyncio.sleep(3)
        assert "DL201" in codes(editor.published[y1.as_uri()])  # a minute's debounce: not checked yet
        # A hover answers about the buffer as it is: the pending check runs first.
        assert await editor.hover(y1, lsp.Position(line=0, character=0)) is None
        assert editor.published[y1.as_uri()] == []

    run_editor(root, scenario, initialization_options={"debounce": 60000})
