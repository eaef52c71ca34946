"""list_invoices, get_invoice, import_invoice_xml, get_invoice_statistics."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import anyio

from finizi_b4b.api.models import unstructure
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools.base import Call, Handler, direction_label, page_result, project, tool

__all__ = ["MAX_XML_BYTES", "InvoiceTools"]

MAX_XML_BYTES = 5 * 1024 * 1024
COMPACT = (
    "invoice_series",
    "invoice_number",
    "issue_date",
    "direction",
    "status",
    "seller_name",
    "buyer_name",
    "total_amount",
    "currency",
)
_DIRECTION_CODES = {"purchase": 0, "sales": 1}
_FILTERS = ("status", "vendor_id", "date_from", "date_to", "q", "invoice_series", "invoice_number")


def _check_dates(call: Call) -> None:
    start, end = call.get("date_from"), call.get("date_to")
    if start and end and start > end:
        raise ToolError.invalid_arguments(f"date_from ({start}) is after date_to ({end})")


def _read_file(raw_path: str) -> tuple[str, bytes]:
    """The file's name and bytes, after checking it is a regular file of at most 5 MB."""
    path = Path(raw_path).expanduser()
    if not path.is_absolute():
        raise ToolError.invalid_arguments(f"file_path must be an absolute path, got {raw_path!r}")
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ToolError(
            ErrorCode.FILE_NOT_FOUND, f"No file at {path}. Check the path and try again."
        ) from None
    except OSError as exc:
        raise ToolError(ErrorCode.FILE_NOT_FOUND, f"Cannot read {path}: {exc.strerror}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise ToolError(
            ErrorCode.FILE_NOT_FOUND, f"{path} is not a regular file. Give the path of an XML file."
        )
    if info.st_size > MAX_XML_BYTES:
        raise ToolError(
            ErrorCode.FILE_TOO_LARGE,
            f"{path} is {info.st_size / 1048576:.1f} MB; e-invoice XML files are limited to 5 MB.",
        )
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_XML_BYTES + 1)
    except OSError as exc:
        raise ToolError(ErrorCode.FILE_NOT_FOUND, f"Cannot read {path}: {exc.strerror}.") from None
    if len(content) > MAX_XML_BYTES:  # grew since stat
        raise ToolError(
            ErrorCode.FILE_TOO_LARGE, f"{path} is over 5 MB; e-invoice XML files are limited to 5 MB."
        )
    return path.name, content


def _check_xml(content: bytes) -> None:
    from finizi_b4b.einvoice_xml import InvoiceXMLError, check_well_formed

    try:
        check_well_formed(content)
    except InvoiceXMLError as exc:
        raise ToolError(
            ErrorCode.INVALID_XML, f"The XML is not usable: {exc} Nothing was uploaded."
        ) from None


def _invoice(raw: dict[str, Any]) -> dict[str, Any]:
    if "direction" in raw:
        raw["direction"] = direction_label(raw["direction"])
    return raw


class InvoiceTools(Handler):
    @tool("list_invoices")
    async def list_invoices(self, call: Call) -> dict[str, Any]:
        _check_dates(call)
        filters = {key: call.args[key] for key in _FILTERS if key in call.args}
        if "direction" in call.args:
            filters["direction"] = _DIRECTION_CODES[call["direction"]]
        page = await self.client.list_invoices(
            call["entity_id"], page=call["page"], page_size=call["page_size"], **filters
        )
        items = project(page.items, call.get("fields") or COMPACT, "invoice")
        return page_result(page, items, call["page_size"])

    @tool("get_invoice")
    async def get_invoice(self, call: Call) -> dict[str, Any]:
        invoice = await self.client.get_invoice(call["entity_id"], call["invoice_id"])
        return {"data": _invoice(unstructure(invoice))}

    @tool("import_invoice_xml")
    async def import_invoice_xml(self, call: Call) -> dict[str, Any]:
        file_path, text = call.get("file_path"), call.get("xml_content")
        if (file_path is None) == (text is None):
            raise ToolError.invalid_arguments("give exactly one of file_path and xml_content")
        await call.progress(0, 3, "Reading the XML")
        if file_path is not None:
            filename, content = await anyio.to_thread.run_sync(_read_file, file_path)
        else:
            filename, content = "invoice.xml", text.encode("utf-8")
            if len(content) > MAX_XML_BYTES:
                raise ToolError(
                    ErrorCode.FILE_TOO_LARGE, "xml_content is over 5 MB; e-invoice XML is limited to 5 MB."
                )
        await call.progress(1, 3, "Checking the XML is well formed")
        _check_xml(content)
        await call.progress(2, 3, f"Uploading {filename} ({len(content)} bytes)")
        created = await self.client.import_invoice_xml(
            call["entity_id"], filename=filename, content=content, auto_classify=call["auto_classify"]
        )
        await call.progress(3, 3, "Imported")
        label = "/".join(str(created.get(k, "?")) for k in ("invoice_series", "invoice_number"))
        return {"message": f"Invoice {label} imported.", "data": _invoice(created)}

    @tool("get_invoice_statistics")
    async def get_invoice_statistics(self, call: Call) -> dict[str, Any]:
        _check_dates(call)
        stats = await self.client.invoice_stats(
            call["entity_id"], date_from=call.get("date_from"), date_to=call.get("date_to")
        )
        return {"data": stats}
