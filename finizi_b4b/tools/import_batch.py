"""import_invoice_xml with ``file_paths``: up to 100 files, each checked and uploaded in turn.

A file that cannot be imported does not stop the others; whatever goes wrong
with one file (a bad path, a file that is not an e-invoice, an amount out of
range, a refusal of the API) is that file's outcome. The result names each
file's outcome, in the order given:

- ``imported``: with the new invoice's id, series and number;
- ``in_finizi``: the upload's answer was lost, and its retry was refused as a
  duplicate: the first upload most likely imported it (named when found);
- ``already_imported``: the API refused it as a duplicate (409);
- ``invalid``: the file is not a usable e-invoice (not XML, not an e-invoice,
  over 5 MB, or refused by the API as invalid), with the reason;
- ``failed``: anything else (no such file, the API unreachable, no access),
  with the error code and the reason;
- ``not_reached``: the call's deadline came before the file's turn.

With ``preview`` nothing is uploaded: each file is read and looked up as a
single preview is, and its outcome is ``new`` (it would be imported),
``already_imported``, ``possibly_imported`` (an invoice with the same series
and number whose seller the API did not say), ``invalid`` (including an
invoice that names neither party as this entity), ``failed`` or
``not_reached``.

Reasons and file names are cut short, so that 100 files make a small result.
Progress is reported before each file. A cancelled call stops between (or
during) files: what was uploaded stays uploaded, nothing after it is touched.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import PurePath
from typing import Any

from finizi_b4b.api.errors import ApiError
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools.base import Call
from finizi_b4b.tools.import_checks import entity_tax_id
from finizi_b4b.tools.import_files import identify, load_xml_file, parse

__all__ = ["IMPORT_OUTCOMES", "PREVIEW_OUTCOMES", "BatchImport", "Previewer", "Uploader"]

log = logging.getLogger("finizi_b4b.tools.import")

IMPORT_OUTCOMES = ("imported", "in_finizi", "already_imported", "invalid", "failed", "not_reached")
PREVIEW_OUTCOMES = ("new", "already_imported", "possibly_imported", "invalid", "failed", "not_reached")
# What the file or the API said that makes a file invalid rather than failed.
_INVALID = frozenset(
    {
        ErrorCode.INVALID_XML,
        ErrorCode.FILE_TOO_LARGE,
        ErrorCode.VALIDATION_FAILED,
        ErrorCode.PAYLOAD_TOO_LARGE,
    }
)
_REASON_CHARS = 240
_PATH_CHARS = 200
# A file is not started with less time than this left before the call's deadline.
_MARGIN_S = 2.0

Uploader = Callable[[str, bytes, Any], Awaitable[dict[str, Any]]]
Previewer = Callable[[Any, str | None], Awaitable[tuple[str, dict[str, Any]]]]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_path(path: str) -> str:
    """A path as a result shows it: whole when short, else its start and end around an ellipsis."""
    if len(path) <= _PATH_CHARS:
        return path
    keep = (_PATH_CHARS - 1) // 2
    return path[:keep] + "…" + path[-keep:]


def _refused(entry: dict[str, Any], error: ToolError) -> dict[str, Any]:
    reason = _cut(error.message, _REASON_CHARS)
    quoted = {"api_detail": error.api_detail} if error.api_detail else {}
    if error.code in _INVALID:
        return {**entry, "outcome": "invalid", "reason": reason, **quoted}
    return {**entry, "outcome": "failed", "code": error.code.value, "reason": reason, **quoted}


class BatchImport:
    """One call's batch: the files of ``file_paths``, imported (or previewed) one after another."""

    def __init__(self, client: Any, call: Call, upload: Uploader, preview_one: Previewer) -> None:
        self.client, self.call = client, call
        self.upload, self.preview_one = upload, preview_one
        self.entity_id: str = call["entity_id"]
        self.preview = bool(call.get("preview", False))
        self._entity_tax_id: str | None = None

    async def run(self, paths: list[str]) -> dict[str, Any]:
        if self.preview:
            self._entity_tax_id = await entity_tax_id(self.client, self.entity_id)
        files = []
        total = len(paths)
        for index, path in enumerate(paths):
            entry = {"file": shown_path(path)}
            if self.call.out_of_time(_MARGIN_S):
                files.append({**entry, "outcome": "not_reached"})
                continue
            await self.call.progress(index, total, f"File {index + 1} of {total}: {PurePath(path).name}")
            files.append(await self._one(path, entry, index))
        await self.call.progress(total, total, "Previewed; nothing was uploaded" if self.preview else "Done")
        return self._result(files)

    async def _one(self, path: str, entry: dict[str, Any], index: int) -> dict[str, Any]:
        try:
            return await (self._preview_file(path, entry) if self.preview else self._import_file(path, entry))
        except ToolError as error:
            return _refused(entry, error)
        except ApiError as exc:
            from finizi_b4b.tools.messages import tool_error

            return _refused(entry, tool_error(exc))
        except Exception:  # one file never ends the batch; the details go to the log only
            from finizi_b4b.tools.messages import FILE_FAILED_UNEXPECTEDLY

            log.exception("file %d of a batch failed unexpectedly", index + 1)
            return _refused(entry, ToolError(ErrorCode.INTERNAL_ERROR, FILE_FAILED_UNEXPECTEDLY))

    def _result(self, files: list[dict[str, Any]]) -> dict[str, Any]:
        from finizi_b4b.tools.messages import batch_summary

        kinds = PREVIEW_OUTCOMES if self.preview else IMPORT_OUTCOMES
        found = Counter(entry["outcome"] for entry in files)
        counts = {kind: found[kind] for kind in kinds}
        message = batch_summary(len(files), counts, self.preview)
        return {"message": message, "data": {"preview": self.preview, "counts": counts, "files": files}}

    async def _import_file(self, path: str, entry: dict[str, Any]) -> dict[str, Any]:
        filename, content = await load_xml_file(path)
        identity = await identify(content)
        label = {"invoice_series": identity.series, "invoice_number": identity.number}
        outcome = await self.upload(filename, content, identity)
        return {**entry, **label, **outcome}

    async def _preview_file(self, path: str, entry: dict[str, Any]) -> dict[str, Any]:
        _, content = await load_xml_file(path)
        parsed = await parse(content)
        message, data = await self.preview_one(parsed, self._entity_tax_id)
        entry = {**entry, "invoice_series": parsed.series, "invoice_number": parsed.number}
        entry["direction"] = data["direction"]
        if data["direction"] is None:
            return {**entry, "outcome": "invalid", "reason": _cut(message, _REASON_CHARS)}
        if data["exists"] is None:
            return {
                **entry,
                "outcome": "possibly_imported",
                "existing_invoice_id": data["existing_invoice_id"],
            }
        if data["exists"]:
            return {
                **entry,
                "outcome": "already_imported",
                "existing_invoice_id": data["existing_invoice_id"],
            }
        return {**entry, "outcome": "new", "total_amount": data["total_amount"], "currency": data["currency"]}
