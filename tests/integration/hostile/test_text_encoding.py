"""XML in other encodings: text whose declaration names another encoding, and files written in one.

Text is already text, so its declaration is rewritten to UTF-8 before upload; a file
is decoded with the encoding it declares and uploaded as UTF-8. Either way the
Vietnamese names reach the backend unchanged.
"""

from __future__ import annotations

import unicodedata
import uuid

import pytest

from tests.conftest import body_of, invoice_xml

pytestmark = pytest.mark.anyio

ROUTE = "invoices.import_xml"
SELLER = "Công ty TNHH Giấy Sài Gòn"  # the seller invoice_xml writes
LINE = "Giấy in A4"
DECLARATION = "<?xml version='1.0' encoding='utf-8'?>"
# The tone marks windows-1258 writes as combining characters after the letter.
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """``text`` as windows-1258 writes it: precomposed where the code page can, tone marks apart."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out += (base + "".join(c for c in parts if c in _TONES)).encode("cp1258")
    return bytes(out)


def xml_text(world, declaration: str) -> str:
    text = invoice_xml("C26TEN", world.big_tax_id, number=str(uuid.uuid4().int % 10**7)).decode("utf-8")
    assert text.startswith(DECLARATION)
    return declaration + text[len(DECLARATION) :]


async def _import(client, world, arguments: dict) -> dict:
    body = body_of(await client.call_tool("import_invoice_xml", {"entity_id": world.big, **arguments}))
    assert body["success"] is True, body
    return body["data"]


async def _names_survive(client, world, created: dict) -> None:
    assert created["seller_name"] == SELLER
    stored = body_of(
        await client.call_tool("get_invoice", {"entity_id": world.big, "invoice_id": created["id"]})
    )["data"]
    assert stored["seller_name"] == SELLER
    assert [line["description"] for line in stored["line_items"]] == [LINE]


@pytest.mark.parametrize(
    "declaration",
    [
        '<?xml version="1.0" encoding="UTF-16"?>',
        '<?xml version="1.0" encoding="windows-1258"?>',
        "<?xml version='1.0' encoding='ISO-8859-1' standalone='yes'?>",
        '<?xml version="1.0"  encoding = "utf-16le"?>',
        '\ufeff<?xml version="1.0" encoding="UTF-16"?>',
    ],
)
async def test_text_declaring_another_encoding_is_imported_as_utf8(connect, world, era, declaration):
    async with connect(era) as client:
        await client.call_tool("login", {})
        created = await _import(client, world, {"xml_content": xml_text(world, declaration)})
        await _names_survive(client, world, created)


async def test_a_windows_1258_file_is_decoded_and_uploaded_as_utf8(connect, world, tmp_path, era):
    path = tmp_path / "invoice.xml"
    path.write_bytes(cp1258(xml_text(world, '<?xml version="1.0" encoding="windows-1258"?>')))
    assert b"Gi\xe2\xecy" in path.read_bytes()  # "Giấy": the acute (0xEC) follows the letter "â" (0xE2)
    async with connect(era) as client:
        await client.call_tool("login", {})
        created = await _import(client, world, {"file_path": str(path)})
        await _names_survive(client, world, created)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
async def test_a_utf16_file_is_imported(connect, world, tmp_path, codec):
    path = tmp_path / "invoice.xml"
    path.write_bytes(xml_text(world, '<?xml version="1.0" encoding="UTF-16"?>').encode(codec))
    async with connect() as client:
        await client.call_tool("login", {})
        created = await _import(client, world, {"file_path": str(path)})
        await _names_survive(client, world, created)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'<?xml version="1.0" encoding="x-no-such-encoding"?><HDon/>', "is not supported"),
        (b'<?xml version="1.0" encoding="utf-7"?><HDon/>', "is not supported"),
        (b'<?xml version="1.0" encoding="UTF-16"?><HDon/>', "not in that encoding"),
        (b'<?xml version="1.0" encoding="shift_jis"?><HDon>\x81</HDon>', "not valid shift_jis"),
    ],
)
async def test_a_file_in_an_unusable_encoding_is_refused_before_upload(
    connect, sandbox, world, tmp_path, content, words
):
    path = tmp_path / "invoice.xml"
    path.write_bytes(content)
    async with connect() as client:
        await client.call_tool("login", {})
        before = sandbox.counts[ROUTE]
        body = body_of(
            await client.call_tool("import_invoice_xml", {"entity_id": world.big, "file_path": str(path)})
        )
        assert body["code"] == "invalid_xml", body
        assert words in body["error"] and "Nothing was uploaded" in body["error"], body
        assert sandbox.counts[ROUTE] == before
