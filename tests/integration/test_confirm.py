"""Writes confirmed by the user where the client can ask (elicitation), in both protocol eras.

A client that declares elicitation is asked, in one line, exactly what a write
will do before it is made; declining or cancelling sends nothing (counted at
the sandbox). A client without the capability works as it always did, and
``FINIZI_B4B_CONFIRM_WRITES=off`` stops the asking.
"""

from __future__ import annotations

import uuid

import mcp.types as types
import pytest

from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN
from tests.conftest import User, body_of, invoice_xml

pytestmark = pytest.mark.anyio


def upload_path(entity_id: str) -> str:
    return f"/api/v1/entities/{entity_id}/invoices/xml"


def uploads(box, entity_id: str) -> int:
    return len([s for s in box.seen if s.method == "POST" and s.path == upload_path(entity_id)])


def entity_words(world, sandbox) -> str:
    entity = sandbox.state.entities[world.big]
    return f"into {entity['name']} (MST {entity['tax_id']})?"


def one_invoice(world) -> str:
    return invoice_xml("C26K" + uuid.uuid4().hex[:8].upper(), world.big_tax_id).decode()


async def test_an_accepted_import_is_asked_once_and_uploads_once(connect, sandbox, world, era):
    user = User("accept")
    async with connect(era, elicitation_callback=user) as client:
        await client.call_tool("whoami", {})
        sandbox.clear_seen()
        result = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "xml_content": one_invoice(world)}
        )
    assert not result.is_error, body_of(result)
    assert user.asked == [f"Import 1 e-invoice, total 1.716.000 VND, {entity_words(world, sandbox)}"]
    assert uploads(sandbox, world.big) == 1


@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_a_declined_or_cancelled_import_uploads_nothing(connect, sandbox, world, era, action):
    user = User(action)
    async with connect(era, elicitation_callback=user) as client:
        await client.call_tool("whoami", {})
        sandbox.clear_seen()
        result = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "xml_content": one_invoice(world)}
        )
    body = body_of(result)
    assert result.is_error and body["code"] == "not_confirmed", body
    assert ("declined" if action == "decline" else "cancelled") in body["error"]
    assert "nothing was sent" in body["error"]
    assert len(user.asked) == 1 and uploads(sandbox, world.big) == 0


async def test_a_batch_is_confirmed_as_a_whole_with_its_totals(connect, sandbox, world, tmp_path):
    series = "C26B" + uuid.uuid4().hex[:8].upper()
    paths = []
    for number in ("1", "2", "3"):
        path = tmp_path / f"{number}.xml"
        path.write_bytes(invoice_xml(series, world.big_tax_id, number=number))
        paths.append(str(path))
    (tmp_path / "broken.xml").write_text("<HDon>", encoding="utf-8")
    paths.append(str(tmp_path / "broken.xml"))
    user = User("accept")
    async with connect("legacy", elicitation_callback=user) as client:
        result = await client.call_tool("import_invoice_xml", {"entity_id": world.big, "file_paths": paths})
    assert body_of(result)["data"]["counts"]["imported"] == 3
    assert user.asked == [
        f"Import 3 e-invoices, total 5.148.000 VND, {entity_words(world, sandbox)} "
        "(1 other file is not a usable e-invoice and will not be sent.)"
    ]


async def test_a_preview_is_not_asked_about(connect, world, era):
    user = User("decline")
    async with connect(era, elicitation_callback=user) as client:
        result = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "xml_content": one_invoice(world), "preview": True}
        )
    assert not result.is_error and user.asked == []


async def test_without_the_capability_an_import_goes_ahead_as_before(connect, sandbox, world, era):
    async with connect(era) as client:
        await client.call_tool("whoami", {})
        sandbox.clear_seen()
        result = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "xml_content": one_invoice(world)}
        )
    assert not result.is_error and uploads(sandbox, world.big) == 1


async def test_asking_can_be_turned_off(connect, sandbox, world, era):
    user = User("decline")
    async with connect(era, elicitation_callback=user, confirm_writes=False) as client:
        result = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "xml_content": one_invoice(world)}
        )
    assert not result.is_error and user.asked == []


async def test_entity_writes_are_confirmed_by_name(connect, sandbox, world, era):
    user = User("decline")
    name = f"Công ty Hỏi Trước {uuid.uuid4().hex[:4]}"
    async with connect(era, elicitation_callback=user) as client:
        created = await client.call_tool("create_entity", {"name": name, "tax_id": "0312345670"})
        changed = await client.call_tool("update_entity", {"entity_id": world.big, "address": "Hà Nội"})
    assert body_of(created)["code"] == body_of(changed)["code"] == "not_confirmed"
    entity = sandbox.state.entities[world.big]
    assert user.asked == [
        f"Create the company {name} (MST 0312345670) in Finizi?",
        f"Change address of {entity['name']} (MST {entity['tax_id']}) in Finizi?",
    ]
    assert not [e for e in sandbox.state.entities.values() if e["name"] == name]


async def test_a_login_that_switches_accounts_is_confirmed(connect, sandbox, era):
    user = User("decline")
    async with connect(era, elicitation_callback=user) as client:
        await client.call_tool("whoami", {})  # signed in with the configured (admin) account
        switch = await client.call_tool(
            "login", {"phone": DEMO_ACCOUNTANT.phone, "password": DEMO_ACCOUNTANT.password}
        )
        same = await client.call_tool("login", {"phone": DEMO_ADMIN.phone, "password": DEMO_ADMIN.password})
        me = body_of(await client.call_tool("whoami", {}))
    assert body_of(switch)["code"] == "not_confirmed"
    assert not same.is_error  # the same account: nothing to confirm
    assert user.asked == [f"Switch the Finizi account from {DEMO_ADMIN.phone[:6]}…{DEMO_ADMIN.phone[-3:]} to "
                          f"{DEMO_ACCOUNTANT.phone[:6]}…{DEMO_ACCOUNTANT.phone[-3:]}?"]  # fmt: skip
    assert me["user"]["email"] == DEMO_ADMIN.email


async def test_an_answer_for_another_call_is_not_taken(connect, sandbox, world):
    """2026-07-28: an answer comes back with the state minted for the very call it answers."""
    user = User("decline")
    async with connect("auto", elicitation_callback=user) as client:
        await client.call_tool("whoami", {})
        sandbox.clear_seen()
        forged = {"confirm": types.ElicitResult(action="accept", content={})}
        result = await client.call_tool(
            "import_invoice_xml",
            {"entity_id": world.big, "xml_content": one_invoice(world)},
            input_responses=forged,
            request_state="0" * 64,
        )
    assert body_of(result)["code"] == "not_confirmed"  # asked anyway, and the user declined
    assert len(user.asked) == 1 and uploads(sandbox, world.big) == 0
