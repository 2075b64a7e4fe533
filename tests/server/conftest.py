"""An editor for the server's tests: pygls' own LanguageClient driving `python -m driftlint server` over stdio."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from ..conftest import FIXTURES, write_tree

T = TypeVar("T")
# Generous: the suite shares two CPUs with other work; a hang is what a timeout catches.
TIMEOUT = 90.0

# The capabilities of an editor such as VS Code: watched files, resource operations, UTF-16.
FULL_CAPABILITIES = lsp.ClientCapabilities(
    workspace=lsp.WorkspaceClientCapabilities(
        did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
        workspace_edit=lsp.WorkspaceEditClientCapabilities(
            document_changes=True, resource_operations=[lsp.ResourceOperationKind.Create]
        ),
        workspace_folders=True,
    ),
    text_document=lsp.TextDocumentClientCapabilities(
        publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(related_information=True, version_support=True),
        code_action=lsp.CodeActionClientCapabilities(disabled_support=True),
    ),
)


class Editor:
    """What an editor does over the protocol: open, edit and close documents, ask for code
    actions and hovers, and see what the server publishes."""

    def __init__(self, root: Path, folders: list[Path] | None = None, capabilities: lsp.ClientCapabilities = FULL_CAPABILITIES,
                 initialization_options: Any = None):
        self.root = root
        self.folders = folders if folders is not None else [root]
        self.capabilities = capabilities
        self.initialization_options = initialization_options
        self.client = LanguageClient("driftlint-tests", "1")
        self.published: dict[str, list[lsp.Diagnostic]] = {}
        self.versions: dict[str, int] = {}
        self.messages: list[str] = []
        self.registrations: list[lsp.Registration] = []
        self.stderr = bytearray()
        self._news = asyncio.Event()
        self._drain: asyncio.Task[None] | None = None

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(_client: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = list(params.diagnostics)
            self._news.set()

        @self.client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def message(_client: LanguageClient, params: lsp.ShowMessageParams) -> None:
            self.messages.append(params.message)
            self._news.set()

        @self.client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
        def register(_client: LanguageClient, params: lsp.RegistrationParams) -> None:
            self.registrations.extend(params.registrations)

    @property
    def process(self) -> asyncio.subprocess.Process:
        assert self.client._server is not None
        return self.client._server

    async def start(self) -> lsp.InitializeResult:
        await self.client.start_io(sys.executable, "-m", "driftlint", "server", cwd=str(self.root), env=_environment())
        assert self.process.stderr is not None
        self._drain = asyncio.create_task(self._read_stderr(self.process.stderr))
        result = await self.within(
            self.client.initialize_async(
                lsp.InitializeParams(
                    capabilities=self.capabilities,
                    process_id=os.getpid(),
                    root_uri=self.folders[0].as_uri() if self.folders else None,
                    workspace_folders=[lsp.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in self.folders],
                    initialization_options=self.initialization_options,
                )
            )
        )
        self.client.initialized(lsp.InitializedParams())
        return result

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.stderr += chunk

    async def within(self, work: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(work, TIMEOUT)
        except asyncio.TimeoutError:
            raise AssertionError(f"the server did not answer in {TIMEOUT:.0f} s; its stderr:\n{self.stderr.decode()}") from None

    # -- documents -----------------------------------------------------------------------------

    def open(self, path: Path, text: str | None = None) -> None:
        uri = path.as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=path.read_text(encoding="utf-8") if text is None else text
                )
            )
        )

    def change(self, path: Path, text: str) -> None:
        uri = path.as_uri()
        self.versions[uri] += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def close(self, path: Path) -> None:
        self.versions.pop(path.as_uri(), None)
        self.client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=path.as_uri())))

    def files_changed(self, *changes: tuple[Path, lsp.FileChangeType]) -> None:
        self.client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(uri=p.as_uri(), type=kind) for p, kind in changes])
        )

    # -- what the server says ----------------------------------------------------------------------

    async def diagnostics(self, path: Path, until: Callable[[list[lsp.Diagnostic]], bool] = lambda found: True) -> list[lsp.Diagnostic]:
        """The diagnostics last published for `path`, once they satisfy `until`."""

        async def wait() -> list[lsp.Diagnostic]:
            while True:
                found = self.published.get(path.as_uri())
                if found is not None and until(found):
                    return found
                self._news.clear()
                await self._news.wait()

        return await self.within(wait())

    async def message(self, until: Callable[[str], bool]) -> str:
        async def wait() -> str:
            while True:
                for message in self.messages:
                    if until(message):
                        return message
                self._news.clear()
                await self._news.wait()

        return await self.within(wait())

    async def code_actions(self, path: Path, diagnostic: lsp.Diagnostic) -> list[lsp.CodeAction]:
        found = await self.within(
            self.client.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=path.as_uri()),
                    range=diagnostic.range,
                    context=lsp.CodeActionContext(diagnostics=[diagnostic]),
                )
            )
        )
        return [action for action in found or [] if isinstance(action, lsp.CodeAction)]

    async def hover(self, path: Path, position: lsp.Position) -> lsp.Hover | None:
        return await self.within(
            self.client.text_document_hover_async(
                lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=path.as_uri()), position=position)
            )
        )

    async def shutdown(self) -> int:
        """shutdown, then exit: the server's exit code."""
        await self.within(self.client.shutdown_async(None))
        self.client.exit(None)
        return await self.within(self.process.wait())

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self._drain is not None:
            await self._drain
        await self.client.stop()


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("DRIFTLINT_CACHE_DIR", None)
    return environment


def run_editor(root: Path, scenario: Callable[[Editor], Awaitable[None]], **options: Any) -> Editor:
    """Start the server in `root` under an editor, play `scenario`, and stop it whatever happens."""

    async def play() -> Editor:
        editor = Editor(root, **options)
        await editor.start()
        try:
            await scenario(editor)
        finally:
            await editor.stop()
        return editor

    return asyncio.run(play())


def apply_edits(text: str, edits: list[lsp.TextEdit]) -> str:
    """The text once an editor applied `edits` (UTF-16 positions, as negotiated by default)."""
    lines = text.splitlines(keepends=True) or [""]

    def offset(position: lsp.Position) -> int:
        before = sum(len(line) for line in lines[: position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return before + index
            units += 2 if ord(char) > 0xFFFF else 1
        return before + len(line)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def edits_for(action: lsp.CodeAction, path: Path) -> list[lsp.TextEdit]:
    """The text edits a code action makes to one file."""
    assert action.edit is not None
    found: list[lsp.TextEdit] = []
    for change in action.edit.document_changes or []:
        if isinstance(change, lsp.TextDocumentEdit) and change.text_document.uri == path.as_uri():
            found.extend(e for e in change.edits if isinstance(e, lsp.TextEdit))
    for uri, edits in (action.edit.changes or {}).items():
        if uri == path.as_uri():
            found.extend(edits)
    return found


@pytest.fixture
def project(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """A little project written to a fresh folder."""

    def make(files: dict[str, str | bytes]) -> Path:
        return write_tree(tmp_path / "project", files)

    return make


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Callable[[str], Path]:
    """A copy of `fixtures/repos/<name>`, so nothing the test does lands in the repository."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target, symlinks=True)
        return target

    return copy
