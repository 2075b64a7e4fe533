"""Code actions (the fixes `driftlint fix` makes, a suppression comment) and hover text for findings."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from lsprotocol import types as lsp

from driftlint.diagnostics import Diagnostic
from driftlint.project import Project
from driftlint.server.convert import Text, text_edits
from driftlint.source import decode

logger = logging.getLogger(__name__)

# The text of a file as the session checked it: its open buffer, else the disk (None: unreadable).
TextOf = Callable[[Path], "Text | None"]
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n+", re.S)


@dataclass(frozen=True)
class EditSupport:
    """What the client can apply (WorkspaceEditClientCapabilities, CodeActionClientCapabilities)."""

    document_changes: bool = False
    create_files: bool = False
    disabled: bool = False  # shows an action it cannot apply, with the reason

    @classmethod
    def of(cls, capabilities: lsp.ClientCapabilities) -> EditSupport:
        workspace_edit = capabilities.workspace.workspace_edit if capabilities.workspace else None
        code_action = capabilities.text_document.code_action if capabilities.text_document else None
        operations = (workspace_edit.resource_operations or []) if workspace_edit else []
        return cls(
            document_changes=bool(workspace_edit and workspace_edit.document_changes),
            create_files=lsp.ResourceOperationKind.Create in operations,
            disabled=bool(code_action and code_action.disabled_support),
        )


@dataclass(frozen=True)
class Context:
    """What building an action needs besides the finding."""

    folder: Path
    project: Project
    buffers: Mapping[Path, bytes]  # open documents, by absolute path
    versions: Mapping[Path, int]  # their versions, as the client numbered them
    text_of: TextOf
    uri_of: Callable[[Path], str]
    support: EditSupport


def fix_action(diagnostic: Diagnostic, lsp_diagnostic: lsp.Diagnostic, context: Context) -> lsp.CodeAction | None:
    """The edit `driftlint fix` makes for this finding, on the open buffers; None when its rule
    has no fix. A fix that cannot be made here is a disabled action saying why (where the client
    shows those)."""
    from driftlint.fixes import FIXERS, Workspace, applicability, plan

    if diagnostic.code not in FIXERS:
        return None
    files = Workspace(context.folder)
    files.pending.update(context.buffers)
    before = dict(files.pending)
    try:
        fixed, skipped = plan([diagnostic], context.project, files)
    except Exception:  # noqa: BLE001 - a fixer's bug costs its action, not the server
        logger.exception("the fix of %s failed", diagnostic.code)
        return None
    title = f"{diagnostic.code}: Fix {diagnostic.name}"
    if skipped or not fixed:
        reason = skipped[0].reason if skipped else "nothing to change"
        return _disabled(title, reason, context) if context.support.disabled else None
    changed = {path: data for path, data in files.pending.items() if before.get(path) != data}
    edit = _workspace_edit(changed, context)
    if isinstance(edit, str):
        return _disabled(title, edit, context) if context.support.disabled else None
    # An unsafe fix (`driftlint fix` waits for --unsafe-fixes) is offered, said so, and never
    # the preferred action an editor applies on its own.
    safe = applicability(diagnostic.code) == "safe"
    return lsp.CodeAction(
        title=f"{diagnostic.code}: {imperative(fixed[0].done)}" + ("" if safe else " (unsafe fix)"),
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[lsp_diagnostic],
        is_preferred=safe,
        edit=edit,
    )


def ignore_action(diagnostic: Diagnostic, lsp_diagnostic: lsp.Diagnostic, context: Context, path: Path) -> lsp.CodeAction | None:
    """The suppression comment `check --add-ignore` writes for this finding, in the open buffer."""
    from driftlint.fixes.ignore_comments import NOT_SUPPRESSIBLE, CommentError, comment_rows

    if diagnostic.code in NOT_SUPPRESSIBLE or path.suffix not in (".py", ".pyi"):
        return None
    data = context.buffers.get(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
    title = f"{diagnostic.code}: Ignore {diagnostic.name} on this line"
    try:
        after, added, refused = comment_rows(data, {diagnostic.location.row: {diagnostic.code}})
    except CommentError as exc:
        return _disabled(title, str(exc), context) if context.support.disabled else None
    if refused or not added:
        reason = next(iter(refused.values()), "already ignored")
        return _disabled(title, reason, context) if context.support.disabled else None
    edit = _workspace_edit({path: after}, context)
    if isinstance(edit, str):
        return None
    return lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[lsp_diagnostic], edit=edit)


# Fixers say what they did ("added `x` to depends_on..."); an action says what it will do.
IMPERATIVES = {"added": "add", "removed": "remove", "wrote": "write", "built": "build", "dropped": "drop", "made": "make"}


def imperative(done: str) -> str:
    """A fixer's account of its edit as an action's title: "built and dropped ..." -> "Build and drop ..."."""
    words = done.split(" ")
    if words[0] not in IMPERATIVES:
        return f"Fix: {done}"
    index = 0
    while index < len(words) and (words[index] in IMPERATIVES or (words[index] == "and" and index > 0)):
        words[index] = IMPERATIVES.get(words[index], words[index])
        index += 1
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _workspace_edit(changed: Mapping[Path, bytes], context: Context) -> lsp.WorkspaceEdit | str:
    """The edits that give each file its new bytes, or why the client cannot apply them."""
    operations: list[lsp.TextDocumentEdit | lsp.CreateFile | lsp.RenameFile | lsp.DeleteFile] = []
    changes: dict[str, list[lsp.TextEdit]] = {}
    for path in sorted(changed):
        uri = context.uri_of(path)
        after = decode(changed[path])
        before = context.text_of(path) if path in context.buffers or path.exists() else None
        if before is None:
            if not (context.support.document_changes and context.support.create_files):
                return f"your editor cannot create {path.name} from a code action: run `driftlint fix`"
            operations.append(lsp.CreateFile(uri=uri, options=lsp.CreateFileOptions(overwrite=False, ignore_if_exists=False)))
            edits = [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)), new_text=after)]
        else:
            edits = text_edits(before, after)
        changes[uri] = edits
        identifier = lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=context.versions.get(path))
        operations.append(lsp.TextDocumentEdit(text_document=identifier, edits=list(edits)))
    if context.support.document_changes:
        return lsp.WorkspaceEdit(document_changes=operations)
    return lsp.WorkspaceEdit(changes=changes)


def _disabled(title: str, reason: str, context: Context) -> lsp.CodeAction:
    return lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, disabled=lsp.CodeActionDisabled(reason=reason))


def hover_text(findings: list[Diagnostic]) -> str:
    """Markdown for the findings under the cursor: each one's code, name and message, then its
    rule's documentation (rules/<name>.md, as `driftlint explain` prints it, without its front matter)."""
    parts = []
    for name in dict.fromkeys(d.name for d in findings):
        ours = [d for d in findings if d.name == name]
        heading = f"**{ours[0].code} {name}**"
        messages = "\n".join(f"- {d.message}" for d in ours)
        parts.append(f"{heading}\n\n{messages}\n\n{rule_doc(name) or ''}".rstrip() + f"\n\n[{ours[0].code} documentation]({ours[0].url})")
    return "\n\n---\n\n".join(parts)


def rule_doc(name: str) -> str | None:
    from driftlint.cli.rules import rule_doc_path

    path = rule_doc_path(name)
    if path is None:
        return None
    try:
        return FRONT_MATTER.sub("", path.read_text(encoding="utf-8"), count=1).strip()
    except OSError:
        return None
