"""A seeded property test: invalid arguments of every tool, generated from its own input schema.

For each tool, valid arguments are generated from the tool's ``inputSchema``
(hypothesis-jsonschema draws each property; the object around them is put
together here, since hypothesis-jsonschema 0.23's object strategy does not run
on this hypothesis), and one thing is then broken: a property gets a value its
schema refuses (a targeted near miss, or any JSON value), an unknown property
is added, or a required one is left out. The reference validator of
check-schemas confirms that the result is invalid. Every such call must be
answered within two seconds with an ``isError`` result whose code is
``invalid_arguments``, and without any request to the API.

The run is derandomized (the same examples every time) and small, so that it
takes a few seconds; the hostile classes themselves are in test_stall.py.
"""

from __future__ import annotations

import json
import math
from typing import Any

import anyio
import anyio.from_thread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from mcp import Client

from finizi_b4b.checks import reference_validator
from finizi_b4b.config import TOOLSETS
from finizi_b4b.schemas import load_definitions
from finizi_b4b.server import build_server
from finizi_b4b.validation import is_id_schema
from tests.conftest import settings_for

from .test_stall import requests_made

DEFINITIONS = load_definitions()
ANSWER_WITHIN = 2.0
EXAMPLES = 25  # per tool and era

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
BREAKERS = ["\n", "/", "/../", "?", "#", "%2f", " ", ".", "\t", "\x00", "é"]


def router_accepts(prop: dict[str, Any], value: Any) -> bool:
    """Values the schema refuses but the router documents as accepted: an id as a JSON number."""
    if not is_id_schema(prop) or isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and float(value).is_integer() and 1 <= value < 10**18


def refused(prop: dict[str, Any], value: Any) -> bool:
    return any(reference_validator(prop).iter_errors(value)) and not router_accepts(prop, value)


def near_misses(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values a little beside what ``prop`` accepts."""
    options: list[st.SearchStrategy[Any]] = []
    kinds = prop.get("type")
    if kinds == "string":
        good = from_schema(prop)
        options += [
            st.tuples(good, st.sampled_from(BREAKERS)).map(lambda pair: pair[0] + pair[1]),
            st.tuples(st.sampled_from(BREAKERS), good).map(lambda pair: pair[0] + pair[1]),
            st.just("9" * (prop.get("maxLength", 100) + 1)),
            st.text(max_size=40),
        ]
    if kinds in ("integer", "number"):
        options += [st.integers(-(10**20), 10**20), st.floats(allow_nan=False), st.text(max_size=5)]
    if kinds == "array":
        options.append(st.lists(st.text(max_size=20), max_size=prop.get("maxItems", 5) + 3))
    return st.one_of(*options, JSON_VALUES) if options else JSON_VALUES


def valid_arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    return st.fixed_dictionaries(
        {key: from_schema(prop) for key, prop in properties.items() if key in required},
        optional={key: from_schema(prop) for key, prop in properties.items() if key not in required},
    )


def invalid_arguments(tool: str) -> st.SearchStrategy[dict[str, Any]]:
    schema = DEFINITIONS[tool]["inputSchema"]
    properties: dict[str, Any] = schema.get("properties", {})
    valid = valid_arguments(schema)
    names = st.text(min_size=1, max_size=12).filter(lambda key: key not in properties)
    unknown = st.dictionaries(names, JSON_VALUES, min_size=1, max_size=3)
    ways = [st.tuples(valid, unknown).map(lambda pair: {**pair[0], **pair[1]})]
    if properties:

        def break_one(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
            key = st.sampled_from(sorted(properties))
            return key.flatmap(
                lambda k: (
                    near_misses(properties[k])
                    .filter(lambda value: refused(properties[k], value))
                    .map(lambda value: {**base, k: value})
                )
            )

        ways.append(valid.flatmap(break_one))
    for name in schema.get("required", []):
        ways.append(valid.map(lambda base, name=name: {k: v for k, v in base.items() if k != name}))
    return st.one_of(*ways)


class Portal:
    """A signed-in client in a loop of its own, for hypothesis's synchronous tests."""

    def __init__(self, portal: anyio.from_thread.BlockingPortal, client: Client, box) -> None:
        self.portal, self.client, self.box = portal, client, box

    def call(self, tool: str, arguments: dict[str, Any]):
        async def timed():
            with anyio.fail_after(ANSWER_WITHIN):
                return await self.client.call_tool(tool, arguments)

        return self.portal.call(timed)


@pytest.fixture(scope="module", params=["legacy", "auto"])
def signed(request, shared_sandbox):
    with anyio.from_thread.start_blocking_portal() as portal:
        server = build_server(settings_for(shared_sandbox, toolsets=TOOLSETS))  # every tool
        with portal.wrap_async_context_manager(Client(server, mode=request.param)) as client:
            login = portal.call(client.call_tool, "login", {})
            assert not login.is_error, login.content[0].text
            yield Portal(portal, client, shared_sandbox)


@pytest.mark.parametrize("tool", sorted(DEFINITIONS))
def test_invalid_arguments_are_refused_quickly_and_before_any_request(signed, tool):
    schema = DEFINITIONS[tool]["inputSchema"]
    seen: list[dict[str, Any]] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(arguments=invalid_arguments(tool))
    def check(arguments: dict[str, Any]) -> None:
        assert any(reference_validator(schema).iter_errors(arguments)), arguments  # truly invalid
        seen.append(arguments)
        before = requests_made(signed.box)
        result = signed.call(tool, arguments)
        body = json.loads(result.content[0].text)
        assert result.is_error, (arguments, body)
        assert body["success"] is False and body["code"] == "invalid_arguments", (arguments, body)
        assert requests_made(signed.box) == before, arguments

    check()
    assert len(seen) >= EXAMPLES // 2
