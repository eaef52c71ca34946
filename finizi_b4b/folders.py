"""The folder import prompt's side of the disk: a folder's XML files, the plan to import them, sub-folders.

Both listings are bounded and say what they leave out, rather than drop it in
silence: a plan takes at most :data:`PLAN_FILES` files and says how many more
the folder holds; a completion shows at most :data:`MAX_VALUES` sub-folders
and says when there are more (or when it stopped looking). Names that are not
valid text (bytes that were not UTF-8, see :mod:`finizi_b4b.paths`) are left
out, and the plan counts them. Links are left out too (the import refuses
them). The listings block: run them in a worker thread.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import attrs

from finizi_b4b.api.untrusted import HIDDEN
from finizi_b4b.paths import BadPath, absolute, expand, is_text, shown

__all__ = [
    "BATCH",
    "MAX_VALUES",
    "PLAN_FILES",
    "SubFolders",
    "XmlFiles",
    "call_text",
    "folder_problem",
    "import_plan",
    "sub_folders",
    "xml_files",
]

BATCH = 100  # files per import_invoice_xml call
PLAN_FILES = 10_000  # files one plan lists, at most
MAX_VALUES = 100  # the most values one completion may carry
_PLAN_SCAN = 100_000  # directory entries looked at, at most, for a plan
_COMPLETION_SCAN = 10_000  # directory entries looked at, at most, for one completion


@attrs.frozen
class XmlFiles:
    """The ``.xml`` files of a folder that a plan lists, and what it leaves out."""

    paths: tuple[str, ...]  # the first PLAN_FILES in name order
    found: int  # .xml files whose names are text (more, when ``cut``)
    not_text: int  # .xml files left out because their names are not valid text
    cut: bool  # the folder has more entries than were looked at

    @property
    def left_out(self) -> int:
        return self.found - len(self.paths)


@attrs.frozen
class SubFolders:
    """The sub-folders a completion offers, at most MAX_VALUES, in name order."""

    paths: tuple[str, ...]
    total: int | None  # how many match; None when the folder was not looked at to its end
    has_more: bool


def xml_files(folder: str) -> XmlFiles:
    """The ``.xml`` files in ``folder`` itself (not its sub-folders). Raises OSError or BadPath."""
    found: list[str] = []
    not_text = 0
    cut = False
    with os.scandir(expand(folder)) as entries:
        for count, entry in enumerate(entries):
            if count >= _PLAN_SCAN:
                cut = True
                break
            if not entry.name.lower().endswith(".xml") or not entry.is_file(follow_symlinks=False):
                continue
            if is_text(entry.path):
                found.append(entry.path)
            else:
                not_text += 1
    found.sort()
    return XmlFiles(tuple(found[:PLAN_FILES]), len(found), not_text, cut)


def sub_folders(typed: str) -> SubFolders:
    """The sub-folders of the folder typed so far whose names start as typed (hidden ones left out)."""
    nothing = SubFolders((), 0, False)
    path = absolute(typed) if typed else None
    if path is None:
        return nothing
    parent, start = (path, "") if typed.endswith(os.sep) else (path.parent, path.name)
    found: list[str] = []
    cut = False
    with os.scandir(parent) as entries:
        for count, entry in enumerate(entries):
            if count >= _COMPLETION_SCAN:
                cut = True
                break
            name = entry.name
            if name.startswith(start) and not name.startswith(".") and is_text(entry.path) and entry.is_dir():
                found.append(entry.path)
    found.sort()
    shown_paths = tuple(found[:MAX_VALUES])
    return SubFolders(shown_paths, None if cut else len(found), cut or len(found) > len(shown_paths))


def _json_escape(match: re.Match[str]) -> str:
    return "".join(f"\\u{unit:04x}" for unit in _utf16(match.group()))


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def call_text(tool: str, arguments: dict[str, Any]) -> str:
    """A tool call as the prompts write it: the tool's name, then its arguments as JSON, with any
    invisible, bidi or control character of a file name written as a JSON escape (``\\u202e``): the
    same value, so the path is handed back exactly, but nothing in it can disguise how it reads."""
    text = json.dumps(arguments, ensure_ascii=False)
    return f"{tool} with {HIDDEN.sub(_json_escape, text)}"


def _not_text(count: int) -> str:
    if count == 1:
        return "1 file with a name that is not valid text was left out"
    return f"{count} files with names that are not valid text were left out"


def _names_note(count: int) -> str:
    return (
        f"{_not_text(count)} (names in another encoding than UTF-8, as unzip leaves them from an archive "
        "made on Windows): tell the user to rename them, or to unzip the archive again with its names "
        "converted from windows-1258."
    )


def import_plan(args: dict[str, str], files: XmlFiles) -> str:
    """The prompt text: preview the files in batches, ask the user, then import; what was left out."""
    folder, entity_id, company = shown(args["folder"], limit=None), args["entity_id"], args["company"]
    if not files.paths:
        if files.not_text:
            return (
                f"There are no .xml files in {folder} with names that can be read: "
                f"{_names_note(files.not_text)} Then ask for the folder that holds the e-invoice XML files "
                f"to import into {company}."
            )
        return (
            f"There are no .xml files in {folder}. Tell the user, and ask for the folder that holds the "
            f"e-invoice XML files to import into {company}."
        )
    paths = list(files.paths)
    batches = [paths[start : start + BATCH] for start in range(0, len(paths), BATCH)]
    if files.left_out or files.cut:
        holds = f"at least {files.found}" if files.cut else f"{files.found}"
        first = (
            f"Import the first {len(paths)} (in name order) of the {holds} e-invoice XML files of {folder} "
            f"into {company}."
        )
    else:
        first = f"Import the {len(paths)} e-invoice XML file(s) of {folder} into {company}."
    lines = [first]
    if files.left_out:
        lines.append(
            f"The other {files.left_out} .xml files of the folder were left out of this plan (one plan takes "
            f"at most {PLAN_FILES}): tell the user, and suggest moving them into another folder to import "
            "next."
        )
    if files.cut:
        lines.append(
            f"The folder has more than {_PLAN_SCAN} entries and was not read to its end: tell the user that "
            "it may hold more .xml files than these."
        )
    if files.not_text:
        lines.append(_names_note(files.not_text))
    lines += [
        "",
        "1. Check them first: call "
        + call_text("import_invoice_xml", {"entity_id": entity_id, "file_paths": batches[0], "preview": True})
        + ". It reads each file and uploads nothing.",
    ]
    if len(batches) > 1:
        lines.append(
            f"   The files make {len(batches)} batches of at most {BATCH}; do the same for each of these:"
        )
        lines += [f"   {json.dumps(batch, ensure_ascii=False)}" for batch in batches[1:]]
    lines += [
        "2. Show the user the outcome: the new invoices (with totals), those already imported, and the "
        "invalid or failed files with their reasons. Ask before importing.",
        "3. Once the user agrees, call import_invoice_xml with the same file_paths and without preview, "
        "and report the counts and each file that was not imported, with its reason.",
    ]
    return "\n".join(lines)


def folder_problem(value: str) -> str | None:
    """What is wrong with ``value`` as the folder argument, if anything."""
    try:
        absolute = expand(value).is_absolute()
    except BadPath as exc:
        return f"must be an absolute path of a folder: {exc}"
    return None if absolute else "must be an absolute path of a folder"
