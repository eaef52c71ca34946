"""import_invoice_xml: read (or take) an e-invoice XML, bring it to UTF-8, check it, preview or upload it.

Reading a file never blocks and never follows a link swapped in for it: the path
is opened with ``O_NONBLOCK | O_NOFOLLOW`` and the opened descriptor itself is
checked to be a regular file of at most 5 MB before anything is read. A path
whose last component is a symbolic link is refused (give the file's own path);
links in the directories above it are followed as usual.
"""

from __future__ import annotations

import errno
import os
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio

from finizi_b4b.einvoice_xml import (
    InvoiceXMLError,
    ParsedInvoice,
    Party,
    check_well_formed,
    document_as_utf8,
    parse_einvoice,
    text_as_utf8,
)
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.paths import sendable_errors
from finizi_b4b.tools.base import Call, Handler, direction_label

__all__ = ["MAX_XML_BYTES", "ImportTools", "load_xml_file", "parse", "read_xml_file", "upload_ready"]

MAX_XML_BYTES = 5 * 1024 * 1024
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1024 * 1024
# How many invoices with the same series and number the duplicate look-up reads at most.
_LOOKUP_PAGE = 100


def _too_large(what: str) -> ToolError:
    return ToolError(ErrorCode.FILE_TOO_LARGE, f"{what} is over 5 MB; e-invoice XML is limited to 5 MB.")


def _open(path: Path) -> int:
    try:
        return os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise ToolError(
            ErrorCode.FILE_NOT_FOUND, f"No file at {path}. Check the path and try again."
        ) from None
    except OSError as exc:
        # O_NOFOLLOW on a final symbolic link: ELOOP (Linux, macOS), EMLINK (FreeBSD)
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise ToolError(
                ErrorCode.FILE_NOT_FOUND,
                f"{path} is a symbolic link; links are not followed. Give the path of the XML file itself.",
            ) from None
        raise ToolError(ErrorCode.FILE_NOT_FOUND, f"Cannot read {path}: {exc.strerror}.") from None


def _read_capped(fd: int, path: Path) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_XML_BYTES:
        try:
            chunk = os.read(fd, min(_CHUNK, MAX_XML_BYTES + 1 - size))
        except BlockingIOError:  # not a regular file after all; never wait for it
            raise ToolError(ErrorCode.FILE_NOT_FOUND, f"{path} is not a regular file.") from None
        except OSError as exc:
            raise ToolError(ErrorCode.FILE_NOT_FOUND, f"Cannot read {path}: {exc.strerror}.") from None
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_XML_BYTES:  # grew since fstat
        raise _too_large(str(path))
    return b"".join(chunks)


def read_xml_file(raw_path: str) -> tuple[str, bytes]:
    """The file's name and bytes, after checking the opened file is a regular file of at most 5 MB.

    Blocking: run it in a worker thread.
    """
    if "\x00" in raw_path:
        raise ToolError.invalid_arguments("file_path contains a NUL character")
    path = Path(raw_path).expanduser()
    if not path.is_absolute():
        raise ToolError.invalid_arguments(f"file_path must be an absolute path, got {raw_path!r}")
    fd = _open(path)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ToolError(
                ErrorCode.FILE_NOT_FOUND, f"{path} is not a regular file. Give the path of an XML file."
            )
        if info.st_size > MAX_XML_BYTES:
            raise ToolError(
                ErrorCode.FILE_TOO_LARGE,
                f"{path} is {info.st_size / 1048576:.1f} MB; e-invoice XML files are limited to 5 MB.",
            )
        return path.name, _read_capped(fd, path)
    finally:
        os.close(fd)


def _unusable(exc: InvoiceXMLError) -> ToolError:
    return ToolError(ErrorCode.INVALID_XML, f"The XML is not usable: {exc} Nothing was uploaded.")


def _as_utf8(content: bytes | None, text: str | None) -> bytes:
    try:
        return text_as_utf8(text) if text is not None else document_as_utf8(content or b"")
    except InvoiceXMLError as exc:
        raise _unusable(exc) from None


async def load_xml_file(path: str) -> tuple[str, bytes]:
    """The file's name and its XML as UTF-8, at most 5 MB (read in a worker thread)."""
    filename, raw = await anyio.to_thread.run_sync(sendable_errors(read_xml_file), path)
    content = _as_utf8(raw, None)
    if len(content) > MAX_XML_BYTES:
        raise _too_large(f"{filename} (as UTF-8)")
    return filename, content


def upload_ready(content: bytes) -> None:
    """Refuse XML that is not well formed before anything is uploaded."""
    try:
        check_well_formed(content)
    except InvoiceXMLError as exc:
        raise _unusable(exc) from None


async def parse(content: bytes) -> ParsedInvoice:
    """The invoice read out of the XML (in a worker thread); unusable XML is ``invalid_xml``."""
    try:
        return await anyio.to_thread.run_sync(parse_einvoice, content)
    except InvoiceXMLError as exc:
        raise _unusable(exc) from None


def _invoice(raw: dict[str, Any]) -> dict[str, Any]:
    if "direction" in raw:
        raw["direction"] = direction_label(raw["direction"])
    return raw


# -- preview ----------------------------------------------------------------------


def _field(obj: Any, name: str) -> Any:
    """``name`` of an API answer, whether it came as a mapping or as an object."""
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return value if isinstance(value, str | int | float | bool) else None


def _is_entity(tax_id: str | None, entity_tax_id: str | None) -> bool:
    """Whether ``tax_id`` names the entity: its own tax id or one of its branches (``<tax id>-NNN``)."""
    if not tax_id or not entity_tax_id:
        return False
    if tax_id == entity_tax_id:
        return True
    parent, _, branch = tax_id.partition("-")
    return parent == entity_tax_id and len(branch) == 3 and branch.isdigit()


def _amount(value: Decimal) -> int | float | str:
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    return number if abs(number) < 1e15 else str(value)


def _party(party: Party) -> dict[str, Any]:
    return {"name": party.name, "tax_id": party.tax_id, "address": party.address}


def _same_number(a: Any, b: str) -> bool:
    return (str(a).lstrip("0") or "0") == (b.lstrip("0") or "0")


class ImportTools(Handler):
    async def import_invoice_xml(self, call: Call) -> dict[str, Any]:
        given = [name for name in ("file_path", "file_paths", "xml_content") if call.get(name) is not None]
        if len(given) != 1:
            raise ToolError.invalid_arguments("give exactly one of file_path, file_paths and xml_content")
        if given == ["file_paths"]:
            from finizi_b4b.tools.import_batch import BatchImport

            return await BatchImport(self, call).run(call["file_paths"])
        file_path, text = call.get("file_path"), call.get("xml_content")
        await call.progress(0, 3, "Reading the XML")
        if file_path is not None:
            filename, content = await load_xml_file(file_path)
        else:
            filename, content = "invoice.xml", _as_utf8(None, text)
            if len(content) > MAX_XML_BYTES:
                raise _too_large("xml_content")
        if call.get("preview", False):
            return await self._preview(call, content)
        await call.progress(1, 3, "Checking the XML is well formed")
        upload_ready(content)
        await call.progress(2, 3, f"Uploading {filename} ({len(content)} bytes)")
        created = await self.upload(call, filename, content)
        await call.progress(3, 3, "Imported")
        label = "/".join(str(created.get(k, "?")) for k in ("invoice_series", "invoice_number"))
        return {"message": f"Invoice {label} imported.", "data": _invoice(created)}

    async def upload(self, call: Call, filename: str, content: bytes) -> dict[str, Any]:
        return await self.client.import_invoice_xml(
            call["entity_id"], filename=filename, content=content, auto_classify=call["auto_classify"]
        )

    async def _preview(self, call: Call, content: bytes) -> dict[str, Any]:
        await call.progress(1, 3, "Reading the invoice out of the XML")
        parsed = await parse(content)
        await call.progress(2, 3, "Looking for the entity and an existing copy")
        entity_tax_id = await self.entity_tax_id(call["entity_id"])
        message, data = await self.preview_parsed(call["entity_id"], parsed, entity_tax_id)
        await call.progress(3, 3, "Previewed; nothing was uploaded")
        return {"message": message, "data": data}

    async def entity_tax_id(self, entity_id: str) -> str | None:
        found = _field(await self.client.get_entity(entity_id), "tax_id")
        return str(found) if found is not None else None

    async def preview_parsed(
        self, entity_id: str, parsed: ParsedInvoice, entity_tax_id: str | None
    ) -> tuple[str, dict[str, Any]]:
        """What importing ``parsed`` would do: a sentence, and the preview data."""
        if _is_entity(parsed.buyer.tax_id, entity_tax_id):
            direction = "purchase"
        elif _is_entity(parsed.seller.tax_id, entity_tax_id):
            direction = "sales"
        else:
            direction = None
        existing = await self._existing(entity_id, parsed)
        label = f"{parsed.series}/{parsed.number}"
        if direction is None:
            message = (
                f"Invoice {label} names neither seller ({parsed.seller.tax_id}) nor buyer "
                f"({parsed.buyer.tax_id or 'no tax id'}) as this entity (tax id {entity_tax_id}); "
                "importing it would be refused. Nothing was uploaded."
            )
        elif existing is not None:
            message = f"Invoice {label} is already imported (id {existing}); importing it again is refused."
        else:
            message = f"Invoice {label} can be imported as a {direction} invoice. Nothing was uploaded."
        return message, self._preview_data(parsed, direction, existing)

    @staticmethod
    def _preview_data(parsed: ParsedInvoice, direction: str | None, existing: str | None) -> dict[str, Any]:
        return {
            "preview": True,
            "invoice_series": parsed.series,
            "invoice_number": parsed.number,
            "issue_date": parsed.issue_date.isoformat(),
            "direction": direction,
            "seller": _party(parsed.seller),
            "buyer": _party(parsed.buyer),
            "currency": parsed.currency,
            "total_amount_before_tax": _amount(parsed.total_before_tax),
            "total_tax_amount": _amount(parsed.total_tax),
            "total_amount": _amount(parsed.total),
            "line_count": len(parsed.lines),
            "exists": existing is not None,
            "existing_invoice_id": existing,
        }

    async def _existing(self, entity_id: str, parsed: ParsedInvoice) -> str | None:
        """The id of an invoice of this entity with the same seller, series and number, if any.

        Numbers compare without their leading zeros, as the backend's duplicate check does.
        """
        numbers = [parsed.number]
        if parsed.number.lstrip("0") not in ("", parsed.number):
            numbers.append(parsed.number.lstrip("0"))
        for number in numbers:
            page = await self.client.list_invoices(
                entity_id,
                page=1,
                page_size=_LOOKUP_PAGE,
                invoice_series=parsed.series,
                invoice_number=number,
            )
            items = page.get("items") if isinstance(page, dict) else getattr(page, "items", None)
            for item in items if isinstance(items, list) else ():
                if (
                    _field(item, "seller_tax_id") == parsed.seller.tax_id
                    and str(_field(item, "invoice_series") or "").upper() == parsed.series
                    and _same_number(_field(item, "invoice_number"), parsed.number)
                ):
                    found = _field(item, "id")
                    return str(found) if found is not None else "unknown"
        return None
