"""Lines the SDK cannot parse get a JSON-RPC error answer, and the server keeps serving.

mcp 2.3's stdio transport hands an unparseable line to the server as an
``Exception`` item, which the low-level server drops: the client would wait
for ever. finizi-b4b answers each such line itself (-32700 when it is not
JSON, -32600 when it is JSON but not a message the SDK reads, with the
request's id when there is one), over a real stdio subprocess here.
"""

from __future__ import annotations

import json

import mcp.types as types
import pytest

from finizi_b4b.stdio import unreadable_answer

LINES = {
    "batch": ('[{"jsonrpc":"2.0","id":1,"method":"ping"}]', -32600, None),
    "lone surrogate": ('{"jsonrpc":"2.0","id":2,"method":"ping","params":{"x":"\\ud800"}}', -32600, 2),
    "thousands of digits": (
        '{"jsonrpc":"2.0","id":3,"method":"ping","params":{"x":' + "9" * 5000 + "}}",
        -32600,
        3,
    ),
    "nesting 300 deep": (
        '{"jsonrpc":"2.0","id":"deep","method":"ping","params":{"x":' + "[" * 300 + "]" * 300 + "}}",
        -32600,
        "deep",
    ),
    "nesting 100000 deep": ("[" * 100_000 + "]" * 100_000, -32700, None),
    "not JSON": ("hello", -32700, None),
    "cut short": ('{"jsonrpc":"2.0","id":7,"method":"ping"', -32700, None),
    "no method": ('{"jsonrpc":"2.0","id":9}', -32600, None),
}


def test_each_unparseable_kind_is_answered_within_2_s_and_serving_goes_on(raw_server):
    server = raw_server("serve")
    assert server.initialize()["result"]["serverInfo"]["name"] == "finizi-b4b"
    for number, (name, (line, code, request_id)) in enumerate(LINES.items(), start=100):
        server.send(line)
        answer = server.receive(timeout=2)
        assert answer is not None, f"{name}: no answer within 2 s"
        assert answer["jsonrpc"] == "2.0" and "result" not in answer, name
        assert answer["error"]["code"] == code, (name, answer)
        assert answer["id"] == request_id, (name, answer)
        assert server.request({"jsonrpc": "2.0", "id": number, "method": "ping"}, timeout=2) == {
            "jsonrpc": "2.0",
            "id": number,
            "result": {},
        }, f"not serving after {name}"
    listed = server.request({"jsonrpc": "2.0", "id": "list", "method": "tools/list"}, timeout=5)
    assert len(listed["result"]["tools"]) >= 15
    code, stderr = server.finish()
    assert code == 0
    assert "Traceback" not in stderr
    assert "9999999999" not in stderr, "the message itself is never logged"


def test_an_empty_line_is_no_message_and_gets_no_answer(raw_server):
    server = raw_server("serve")
    server.initialize()
    server.send("")
    server.send("   ")
    answer = server.request({"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=2)
    assert answer == {"jsonrpc": "2.0", "id": 1, "result": {}}
    assert server.finish()[0] == 0


def problem_for(line: str) -> Exception:
    try:
        types.jsonrpc_message_adapter.validate_json(line, by_name=False)
    except Exception as exc:
        return exc
    raise AssertionError(f"the SDK reads {line!r}")


@pytest.mark.parametrize(
    ("line", "request_id"),
    [
        ('{"jsonrpc":"2.0","id":true,"method":"ping","params":{"x":"\\udfff"}}', None),
        ('{"jsonrpc":"2.0","id":1.5,"method":"ping","params":{"x":"\\udfff"}}', None),
        ('{"jsonrpc":"2.0","id":' + "1" * 40 + ',"method":"ping","params":{"x":"\\udfff"}}', None),
        ('{"jsonrpc":"2.0","id":{"a":1},"method":"ping","params":{"x":"\\udfff"}}', None),
        ('{"jsonrpc":"2.0","id":12,"result":{"x":"\\udfff"}}', None),  # a response is never answered by id
        ('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"reason":"\\udfff"}}', None),
        ('{"jsonrpc":"2.0","id":"abc","method":"tools/call","params":{"name":"\\udfff"}}', "abc"),
        ('{"jsonrpc":"2.0","id":-4,"method":"tools/call","params":{"name":"\\udfff"}}', -4),
    ],
)
def test_the_id_is_used_only_when_it_is_a_request_id(line, request_id):
    answer = unreadable_answer(line, problem_for(line))
    assert answer.error.code == -32600
    assert answer.id == request_id
    wire = json.loads(answer.model_dump_json(by_alias=True, exclude_unset=True))
    assert wire["id"] == request_id and wire["error"]["message"].startswith("Invalid Request")


UNUSABLE_IDS = ["true", "false", "null", "{}", '{"a": 1}', "[]", "1e400", "1.5", "1e3", "-0.0"]


def test_a_request_with_an_unusable_id_gets_invalid_request_with_id_null(raw_server):
    server = raw_server("serve")
    server.initialize()
    for number, raw_id in enumerate(UNUSABLE_IDS, start=200):
        for method in ("ping", "tools/list"):
            server.send('{"jsonrpc": "2.0", "id": ' + raw_id + ', "method": "' + method + '"}')
            answer = server.receive(timeout=2)
            assert answer is not None, f"id {raw_id} ({method}): no answer within 2 s"
            assert answer["id"] is None and answer["error"]["code"] == -32600, (raw_id, answer)
            assert answer["error"]["message"].startswith("Invalid Request"), answer
        assert server.request({"jsonrpc": "2.0", "id": number, "method": "ping"}, timeout=2) == {
            "jsonrpc": "2.0",
            "id": number,
            "result": {},
        }, f"not serving after id {raw_id}"
    code, stderr = server.finish()
    assert code == 0 and "Traceback" not in stderr


def test_notifications_still_get_no_answer(raw_server):
    server = raw_server("serve")
    server.initialize()
    server.send('{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 5}}')
    server.send('{"jsonrpc": "2.0", "method": "notifications/progress", "params": {"id": true}}')
    answer = server.request({"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=2)
    assert answer == {"jsonrpc": "2.0", "id": 1, "result": {}}  # the first thing written is the ping's
    assert server.finish()[0] == 0
