"""import_invoice_xml with ``file_paths``: up to 100 files, each checked and uploaded in turn.

A file that cannot be imported does not stop the others; the result names each
file's outcome, in the order given:

- ``imported``: with the new invoice's id, series and number;
- ``already_imported``: the API refused it as a duplicate (409);
- ``invalid``: the file is not a usable e-invoice (not XML, over 5 MB, or
  refused by the API as invalid), with the reason;
- ``failed``: anything else (no such file, the API unreachable, no access),
  with the error code and the reason.

With ``preview`` nothing is uploaded: each file is read and looked up as a
single preview is, and its outcome is ``new`` (it would be imported),
``already_imported``, ``invalid`` (including an invoice that names neither
party as this entity) or ``failed``.

Progress is reported before each file. A cancelled call stops between (or
during) files: what was uploaded stays uploaded, nothing after it is touched.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from finizi_b4b.api.errors import ApiError
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools.imports import load_xml_file, parse, upload_ready

if TYPE_CHECKING:
    from finizi_b4b.einvoice_xml import ParsedInvoice
    from finizi_b4b.tools.base import Call
    from finizi_b4b.tools.imports import ImportTools

__all__ = ["IMPORT_OUTCOMES", "PREVIEW_OUTCOMES", "BatchImport"]

IMPORT_OUTCOMES = ("imported", "already_imported", "invalid", "failed")
PREVIEW_OUTCOMES = ("new", "already_imported", "invalid", "failed")
# What the file or the API said that makes a file invalid rather than failed.
_INVALID = frozenset(
    {
        ErrorCode.INVALID_XML,
        ErrorCode.FILE_TOO_LARGE,
        ErrorCode.VALIDATION_FAILED,
        ErrorCode.PAYLOAD_TOO_LARGE,
    }
)


def _path_problems(paths: list[str]) -> list[str]:
    problems = []
    for index, raw in enumerate(paths):
        if "\x00" in raw:
            problems.append(f"$.file_paths[{index}]: contains a NUL character")
        elif not Path(raw).expanduser().is_absolute():
            problems.append(f"$.file_paths[{index}]: must be an absolute path")
    return problems


def _refused(path: str, error: ToolError) -> dict[str, Any]:
    if error.code in _INVALID:
        return {"file": path, "outcome": "invalid", "reason": error.message}
    return {"file": path, "outcome": "failed", "code": error.code.value, "reason": error.message}


def _label(parsed: ParsedInvoice | None) -> dict[str, Any]:
    if parsed is None:
        return {}
    return {"invoice_series": parsed.series, "invoice_number": parsed.number}


class BatchImport:
    """One call's batch: the files of ``file_paths``, imported (or previewed) one after another."""

    def __init__(self, tools: ImportTools, call: Call) -> None:
        self.tools, self.call = tools, call
        self.entity_id: str = call["entity_id"]
        self.preview = bool(call.get("preview", False))
        self._entity_tax_id: str | None = None

    async def run(self, paths: list[str]) -> dict[str, Any]:
        from finizi_b4b.tools.messages import batch_paths_invalid

        problems = _path_problems(paths)
        if problems:
            raise ToolError(ErrorCode.INVALID_ARGUMENTS, batch_paths_invalid(problems))
        if self.preview:
            self._entity_tax_id = await self.tools.entity_tax_id(self.entity_id)
        files = []
        total = len(paths)
        for index, path in enumerate(paths):
            await self.call.progress(index, total, f"File {index + 1} of {total}: {PurePath(path).name}")
            files.append(await (self._preview_one(path) if self.preview else self._import_one(path)))
        await self.call.progress(total, total, "Previewed; nothing was uploaded" if self.preview else "Done")
        return self._result(files)

    def _result(self, files: list[dict[str, Any]]) -> dict[str, Any]:
        kinds = PREVIEW_OUTCOMES if self.preview else IMPORT_OUTCOMES
        found = Counter(entry["outcome"] for entry in files)
        counts = {kind: found[kind] for kind in kinds}
        said = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items() if n)
        if self.preview:
            message = f"Previewed {len(files)} file(s): {said}. Nothing was uploaded."
        else:
            message = f"{len(files)} file(s): {said}."
        return {"message": message, "data": {"preview": self.preview, "counts": counts, "files": files}}

    async def _import_one(self, path: str) -> dict[str, Any]:
        try:
            filename, content = await load_xml_file(path)
            upload_ready(content)
        except ToolError as error:
            return _refused(path, error)
        try:
            created = await self.tools.upload(self.call, filename, content)
        except ApiError as exc:
            from finizi_b4b.tools.messages import tool_error

            error = tool_error(exc)
            if error.code is ErrorCode.CONFLICT:
                return {"file": path, "outcome": "already_imported", **await self._label_of(content)}
            return _refused(path, error)
        entry = {"file": path, "outcome": "imported", "invoice_id": created.get("id")}
        for key in ("invoice_series", "invoice_number"):
            if created.get(key) is not None:
                entry[key] = created[key]
        return entry

    async def _label_of(self, content: bytes) -> dict[str, Any]:
        """The series and number of a duplicate, when the XML can be read for them."""
        try:
            return _label(await parse(content))
        except ToolError:
            return {}

    async def _preview_one(self, path: str) -> dict[str, Any]:
        try:
            _, content = await load_xml_file(path)
            parsed = await parse(content)
            message, data = await self.tools.preview_parsed(self.entity_id, parsed, self._entity_tax_id)
        except ToolError as error:
            return _refused(path, error)
        except ApiError as exc:
            from finizi_b4b.tools.messages import tool_error

            return _refused(path, tool_error(exc))
        entry: dict[str, Any] = {"file": path, **_label(parsed), "direction": data["direction"]}
        if data["direction"] is None:
            return {**entry, "outcome": "invalid", "reason": message}
        if data["exists"]:
            existing = data["existing_invoice_id"]
            return {**entry, "outcome": "already_imported", "existing_invoice_id": existing}
        return {**entry, "outcome": "new", "total_amount": data["total_amount"], "currency": data["currency"]}
