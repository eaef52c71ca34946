"""No argument can stall the server, and no refused argument reaches the API.

Each class of crafted arguments goes through a real MCP client (in-process, in
both protocol eras) to a signed-in server; each must be answered
``invalid_arguments`` within two seconds, with no request made to the sandbox.
Argument validation runs inside the event loop, so a stall would stop every
other call of the connection too.

NaN and Infinity cannot come through the SDK client (it writes them as
``null``), but its JSON parser on the server side accepts the ``NaN``,
``Infinity`` and ``1e999`` literals: those cases are sent as raw lines to a
``finizi-b4b serve`` process.
"""

from __future__ import annotations

import json
import logging

import anyio
import pytest

from finizi_b4b.config import TOOLSETS
from finizi_b4b.sandbox import DEMO_ADMIN
from finizi_b4b.schemas import load_definitions
from finizi_b4b.tools.pattern_words import PHRASES
from finizi_b4b.validation import FORMAT_BOUNDS, PATTERN_BOUNDS, is_id_schema
from tests.conftest import body_of

pytestmark = pytest.mark.anyio

ANSWER_WITHIN = 2.0  # seconds; hang detection, not a speed target
DEFINITIONS = load_definitions()
UUID = "3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d"


def requests_made(box) -> tuple:
    """What changes whenever the sandbox receives an API request."""
    seen = box.seen
    return sum(box.counts.values()), len(seen), seen[-1] if seen else None


def base_arguments(tool: str, entity_id: str) -> dict:
    """Valid arguments of ``tool`` (its first example, for the sandbox's entity)."""
    example = dict(DEFINITIONS[tool]["inputSchema"]["examples"][0])
    if "entity_id" in example:
        example["entity_id"] = entity_id
    return example


def string_properties(*, patterned: bool = False, below: int | None = None):
    for tool, definition in sorted(DEFINITIONS.items()):
        for key, prop in definition["inputSchema"].get("properties", {}).items():
            if prop.get("type") != "string" or (patterned and "pattern" not in prop):
                continue
            if below is None or prop.get("maxLength", 0) < below:
                yield tool, key


class Signed:
    """A signed-in client and the sandbox it talks to."""

    def __init__(self, client, box, entity_id: str) -> None:
        self.client, self.box, self.entity_id = client, box, entity_id

    async def refused(self, tool: str, arguments: dict) -> str:
        """Call ``tool``; it must answer invalid_arguments in time and without any API request."""
        before = requests_made(self.box)
        with anyio.fail_after(ANSWER_WITHIN):
            result = await self.client.call_tool(tool, arguments)
        body = body_of(result)
        assert result.is_error and body["code"] == "invalid_arguments", body
        assert requests_made(self.box) == before, f"{tool} made an API request for invalid arguments"
        return body["error"]


@pytest.fixture
async def signed(connect, era, sandbox, world):
    async with connect(era, toolsets=TOOLSETS) as client:  # every tool, payments too
        login = await client.call_tool("login", {})
        assert not login.is_error, login.content[0].text
        yield Signed(client, sandbox, world.big)


# -- long values ---------------------------------------------------------------------------------

LONG = [(tool, key) for tool, key in string_properties(below=100_000)]


async def test_a_100k_value_for_any_bounded_string_is_refused_at_once(signed):
    assert len(LONG) >= 25
    for tool, key in LONG:
        for value in ("9" * 100_000, "a@" + "." * 100_000 + "@", "-" * 100_000 + "\n"):
            error = await signed.refused(tool, {**base_arguments(tool, signed.entity_id), key: value})
            prop = DEFINITIONS[tool]["inputSchema"]["properties"][key]
            if is_id_schema(prop):  # bounded by the pattern, which is refused unrun
                assert f"$.{key}: must be {PHRASES[key]}" in error, (tool, key, error)
            elif prop.get("format") in FORMAT_BOUNDS:  # bounded by the format, refused unread
                assert f"$.{key}: must be a real calendar date written YYYY-MM-DD" in error, (
                    tool,
                    key,
                    error,
                )
            else:
                assert f"$.{key}: must be at most" in error, (tool, key, error)


# -- catastrophic backtracking -----------------------------------------------------------------

PATTERNED = list(string_properties(patterned=True))


def near_misses(prop: dict) -> list[str]:
    """Strings built to make a backtracking matcher work hard: long runs of what the pattern accepts,
    ending in what it does not, within the maxLength and far beyond it."""
    room = prop.get("maxLength") or PATTERN_BOUNDS.get(prop.get("pattern")) or FORMAT_BOUNDS[prop["format"]]
    runs = []
    for alphabet in ("a@.", "0-", "9", " .-0", "aA0-", "a@a."):
        runs.append((alphabet * room)[: room - 1] + "!")
        runs.append((alphabet * 10_000)[:30_000] + "!")
    return [*runs, "a@" + "." * (room - 3) + "@", "a@" + "." * 30_000 + "@"]


async def test_near_misses_of_every_pattern_are_refused_at_once(signed):
    # On a pattern with overlapping quantifiers, such as the email pattern this project once used
    # (^[^@ ]+@[^@ ]+\.[^@ ]+$), "a@" + 30,000 dots + "@" takes Python's re about ten seconds.
    assert len(PATTERNED) >= 15
    for tool, key in PATTERNED:
        prop = DEFINITIONS[tool]["inputSchema"]["properties"][key]
        for value in near_misses(prop):
            await signed.refused(tool, {**base_arguments(tool, signed.entity_id), key: value})


# -- huge arrays and deep values ----------------------------------------------------------------


async def test_a_huge_array_is_refused_at_once(signed):
    # 100,000 distinct items: comparing every pair would be 5e9 comparisons.
    arguments = {"entity_id": signed.entity_id, "fields": [f"field_{i}" for i in range(100_000)]}
    error = await signed.refused("list_invoices", arguments)
    assert error == "Invalid arguments: $.fields: must have at most 15 items"
    repeated = {"entity_id": signed.entity_id, "fields": ["status"] * 100_000}
    assert await signed.refused("list_invoices", repeated) == error


def nested(depth: int, leaf) -> dict:
    value = leaf
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


async def test_deeply_nested_values_are_refused_at_once(signed):
    # About as deep as the SDK carries (it refuses to write deeper values, and drops deeper messages).
    deep = nested(150, "status")
    big = signed.entity_id
    for tool, arguments in [
        ("list_invoices", {"entity_id": big, "fields": [deep, deep]}),
        ("list_invoices", {"entity_id": deep}),
        ("list_invoices", {"entity_id": big, "q": deep, "page": deep}),
        ("list_invoices", {"entity_id": big, "fields": ["status", deep], "deep": deep}),
        ("update_entity", {"entity_id": big, "name": deep}),
        ("login", {"phone": deep, "password": deep}),
    ]:
        await signed.refused(tool, arguments)


# -- whole values: nothing that is not an id reaches a path ------------------------------------


async def test_a_trailing_newline_never_passes(signed):
    # Python's '$' matches before a final newline: "<uuid>\n" used to reach the URL path.
    big = signed.entity_id
    for tool, arguments in [
        ("get_entity", {"entity_id": big + "\n"}),
        ("get_entity", {"entity_id": "42\n"}),
        ("list_invoices", {"entity_id": big, "status": "paid\n"}),
        ("list_invoices", {"entity_id": big, "invoice_series": "C25TAA\n"}),
        ("list_invoices", {"entity_id": big, "invoice_number": "123\n"}),
        ("list_invoices", {"entity_id": big, "vendor_id": "7\n"}),
        ("get_vendor", {"entity_id": big, "tax_id": "0316247298\n"}),
        ("get_vendor", {"entity_id": big, "tax_id": "0316247298-001\n"}),
        ("update_entity", {"entity_id": big, "email": "ketoan@saomai.vn\n"}),
        ("login", {"phone": DEMO_ADMIN.phone + "\n", "password": DEMO_ADMIN.password}),
    ]:
        await signed.refused(tool, arguments)


@pytest.mark.parametrize(
    "bad",
    ["12/34", "..", "1.5", "12?page=2", "12#x", "%2e%2e", "12 34", " 12", "12\t", "12\r\n", -5, 1.5, True],
)
async def test_nothing_but_an_id_reaches_a_path(signed, bad):
    error = await signed.refused("get_invoice", {"entity_id": signed.entity_id, "invoice_id": bad})
    assert error == "Invalid arguments: $.invoice_id: must be an id as shown by list_invoices"


async def test_a_number_too_large_to_write_is_refused_not_a_crash(signed):
    huge = 10**5000  # str() of it raises: it must never get as far as a query string
    for key in ("page", "page_size"):
        await signed.refused("list_invoices", {"entity_id": signed.entity_id, key: huge})
    await signed.refused("get_entity", {"entity_id": huge})


# -- accepted forms are sent in one form --------------------------------------------------------


async def test_integral_floats_are_sent_as_integers(signed):
    signed.box.clear_seen()
    result = await signed.client.call_tool(
        "list_invoices", {"entity_id": signed.entity_id.upper(), "page": 1.0, "page_size": 2.0}
    )
    assert not result.is_error, result.content[0].text
    (request,) = [r for r in signed.box.seen if r.path.endswith("/invoices")]
    assert signed.entity_id in request.path  # the UUID in lower case
    query = dict(part.split("=", 1) for part in request.query.split("&"))
    assert query["page"] == "1" and query["page_size"] == "2", request.query


# -- a tool name cannot forge a log line nor flood the answer -----------------------------------


async def test_an_unknown_tool_name_is_escaped_and_cut_short(signed, caplog):
    name = "list_invoices\n2026-01-01 00:00:00 INFO finizi_b4b.router: tool login: ok" + "x" * 100_000
    with caplog.at_level(logging.INFO, logger="finizi_b4b"):
        with anyio.fail_after(ANSWER_WITHIN):
            result = await signed.client.call_tool(name, {})
    body = body_of(result)
    assert result.is_error and body["code"] == "unknown_tool"
    assert "\n" not in body["error"] and len(body["error"]) < 1_000
    assert "list_invoices\\n2026" in body["error"]  # escaped, still recognisable
    lines = [record.getMessage() for record in caplog.records if "unknown_tool" in record.getMessage()]
    assert lines, [record.getMessage() for record in caplog.records]
    assert all("\n" not in line and len(line) < 300 for line in lines), lines


# -- NaN and Infinity, as only a raw JSON line can send them ---------------------------------------

MODERN = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


@pytest.mark.parametrize("protocol", ["legacy", "modern"])
def test_nan_and_infinity_are_refused(raw_server, sandbox, world, protocol):
    env = {
        "FINIZI_API_URL": sandbox.url,
        "FINIZI_PHONE": DEMO_ADMIN.phone,
        "FINIZI_PASSWORD": DEMO_ADMIN.password,
    }
    server = raw_server("serve", env=env)
    meta = {"_meta": MODERN} if protocol == "modern" else {}
    if protocol == "legacy":
        assert server.initialize() is not None

    def call(number: int, name: str, arguments: str) -> dict:
        envelope = ", " + json.dumps(meta)[1:-1] if meta else ""
        params = f'{{"name": "{name}", "arguments": {arguments}{envelope}}}'
        server.send(f'{{"jsonrpc": "2.0", "id": {number}, "method": "tools/call", "params": {params}}}')
        answer = server.receive(timeout=30 if number == 1 else ANSWER_WITHIN)
        assert answer is not None and answer.get("id") == number, answer
        return answer["result"]

    assert not call(1, "login", "{}").get("isError")
    before = requests_made(sandbox)
    entity = json.dumps(world.big)
    for number, literal in enumerate(["NaN", "Infinity", "-Infinity", "1e999", "-1e999"], start=2):
        for arguments in (
            f'{{"entity_id": {entity}, "query": "giấy in", "min_similarity": {literal}}}',
            f'{{"entity_id": {entity}, "query": "giấy in", "top_k": {literal}}}',
        ):
            result = call(number, "search_similar_products", arguments)
            body = json.loads(result["content"][0]["text"])
            assert result["isError"] is True and body["code"] == "invalid_arguments", body
            assert "must be a finite number" in body["error"]
    assert requests_made(sandbox) == before
