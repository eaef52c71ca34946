"""import_invoice_xml: one e-invoice XML (a file or text) previewed or uploaded, or a batch of files.

The file handling is :mod:`.import_files`, what an import would do (whose the
invoice is, whether it is in already) :mod:`.import_checks`, a batch
:mod:`.import_batch`; this module is the tool, and the upload both use:

- nothing goes out that is not a national-format e-invoice;
- a 409 after a retried upload (the first attempt's answer was lost) is not
  "nothing was changed": the first attempt most likely imported the invoice,
  which is looked up by series and number and named;
- an answer that does not name the created invoice (the contract assumes it
  does, ledger row 57) is followed by the same look-up.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from finizi_b4b.api.errors import Conflict
from finizi_b4b.einvoice_xml import InvoiceIdentity, ParsedInvoice
from finizi_b4b.errors import ToolError
from finizi_b4b.tools.base import Call, Handler, direction_label
from finizi_b4b.tools.import_batch import BatchImport
from finizi_b4b.tools.import_checks import entity_named, entity_tax_id, find_existing, is_entity, preview_data
from finizi_b4b.tools.import_files import as_utf8, identify, load_xml_file, parse

__all__ = ["ImportTools"]


def _invoice(raw: dict[str, Any]) -> dict[str, Any]:
    if "direction" in raw:
        raw["direction"] = direction_label(raw["direction"])
    return raw


async def _totals(call: Call) -> tuple[int, dict[str, Decimal], int]:
    """How many e-invoices a call would import, their totals per currency, and the unusable files."""
    if call.get("file_paths") is not None:
        sources: list[tuple[str | None, str | None]] = [(path, None) for path in call["file_paths"]]
    else:
        sources = [(call.get("file_path"), call.get("xml_content"))]
    count, unusable, totals = 0, 0, {}
    for path, text in sources:
        try:
            content = (await load_xml_file(path))[1] if path is not None else as_utf8(None, text)
            parsed = await parse(content)
        except ToolError:
            unusable += 1
            continue
        count += 1
        totals[parsed.currency] = totals.get(parsed.currency, Decimal(0)) + parsed.total
    return count, totals, unusable


class ImportTools(Handler):
    async def describe_import(self, call: Call) -> str | None:
        """What an import would do, for the user to confirm; a preview changes nothing (None)."""
        from finizi_b4b.tools import messages

        if call.get("preview", False):
            return None
        count, totals, unusable = await _totals(call)
        if not count:
            return None  # nothing would be sent: the call says why by itself
        entity = await entity_named(self.client, call["entity_id"])
        return messages.confirm_import(count, totals, unusable, entity)

    async def import_invoice_xml(self, call: Call) -> dict[str, Any]:
        # Exactly one of file_path, file_paths and xml_content (a rule of the tool), and absolute paths.
        if call.get("file_paths") is not None:

            async def upload(filename: str, content: bytes, identity: InvoiceIdentity) -> dict[str, Any]:
                return (await self._upload(call, filename, content, identity))[0]

            async def preview(parsed: ParsedInvoice, tax_id: str | None) -> tuple[str, dict[str, Any]]:
                return await self.preview_parsed(call["entity_id"], parsed, tax_id)

            return await BatchImport(self.client, call, upload, preview).run(call["file_paths"])
        file_path, text = call.get("file_path"), call.get("xml_content")
        await call.progress(0, 3, "Reading the XML")
        if file_path is not None:
            filename, content = await load_xml_file(file_path)
        else:
            filename, content = "invoice.xml", as_utf8(None, text)
        if call.get("preview", False):
            return await self._preview(call, content)
        await call.progress(1, 3, "Checking it is an e-invoice")
        identity = await identify(content)
        await call.progress(2, 3, f"Uploading {filename} ({len(content)} bytes)")
        outcome, created = await self._upload(call, filename, content, identity)
        await call.progress(3, 3, "Imported")
        return self._single_result(identity, outcome, created)

    @staticmethod
    def _single_result(identity: InvoiceIdentity, outcome: dict[str, Any], created: Any) -> dict[str, Any]:
        from finizi_b4b.tools import messages

        label = f"{identity.series}/{identity.number}"
        found = outcome.get("invoice_id")
        if outcome["outcome"] == "in_finizi":
            return {"message": messages.in_finizi_after_retry(label, found), "data": outcome}
        data = _invoice(dict(created)) if isinstance(created, dict) else {}
        if "id" not in data:
            data = {"id": found, "invoice_series": identity.series, "invoice_number": identity.number, **data}
        return {
            "message": messages.imported(label, found, answer_named_it="id" in (created or {})),
            "data": data,
        }

    async def _upload(
        self, call: Call, filename: str, content: bytes, identity: InvoiceIdentity
    ) -> tuple[dict[str, Any], Any]:
        """Upload one e-invoice; its outcome (as a batch lists it) and the API's answer."""
        entity_id = call["entity_id"]
        try:
            created = await self.client.import_invoice_xml(
                entity_id, filename=filename, content=content, auto_classify=call["auto_classify"]
            )
        except Conflict as exc:
            if not exc.facts.get("resent"):
                if call.get("file_paths") is None:
                    raise
                return {"outcome": "already_imported"}, None
            existing = await find_existing(self.client, entity_id, identity)
            return {"outcome": "in_finizi", "invoice_id": existing.invoice_id if existing else None}, None
        invoice_id = created.get("id") if isinstance(created, dict) else None
        if invoice_id is None:  # the answer does not name the invoice: find it
            existing = await find_existing(self.client, entity_id, identity)
            invoice_id = existing.invoice_id if existing is not None and existing.certain else None
        return {"outcome": "imported", "invoice_id": invoice_id}, created

    async def _preview(self, call: Call, content: bytes) -> dict[str, Any]:
        await call.progress(1, 3, "Reading the invoice out of the XML")
        parsed = await parse(content)
        await call.progress(2, 3, "Looking for the entity and an existing copy")
        tax_id = await entity_tax_id(self.client, call["entity_id"])
        message, data = await self.preview_parsed(call["entity_id"], parsed, tax_id)
        await call.progress(3, 3, "Previewed; nothing was uploaded")
        return {"message": message, "data": data}

    async def preview_parsed(
        self, entity_id: str, parsed: ParsedInvoice, tax_id: str | None
    ) -> tuple[str, dict[str, Any]]:
        """What importing ``parsed`` would do: a sentence, and the preview data."""
        from finizi_b4b.tools import messages

        if is_entity(parsed.buyer.tax_id, tax_id):
            direction: str | None = "purchase"
        elif is_entity(parsed.seller.tax_id, tax_id):
            direction = "sales"
        else:
            direction = None
        identity = InvoiceIdentity(parsed.series, parsed.number, parsed.seller.tax_id or "")
        existing = await find_existing(
            self.client, entity_id, identity, seller_name=parsed.seller.name, direction=direction
        )
        message = messages.preview(parsed, direction, tax_id, existing)
        return message, preview_data(parsed, direction, existing)
