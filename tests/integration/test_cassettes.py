"""Every call recorded under tests/cassettes is a regression test of its own.

Each cassette is replayed once (its sessions in order, since later calls need
the login of earlier ones); each recorded call then passes or fails on its own.
Re-record them with ``make cassettes`` when a change to results is intended.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import anyio
import pytest

from finizi_b4b.api.redact import is_marker
from finizi_b4b.cassette import read_cassette, replay_file
from finizi_b4b.cassette.format import RECORDED_HEADERS
from finizi_b4b.server import build_server
from tests.conftest import holds_secret, string_leaves

CASSETTES = sorted((Path(__file__).resolve().parents[1] / "cassettes").glob("*.jsonl"))
CASES = [(path, call["seq"], call["tool"]) for path in CASSETTES for call in read_cassette(path)]


@functools.cache
def replayed(path: Path) -> dict[int, object]:
    return {
        outcome.seq: outcome
        for outcome in anyio.run(functools.partial(replay_file, path, make_server=build_server))
    }


def test_the_three_cassettes_exist():
    assert {p.stem for p in CASSETTES} >= {"full", "expiry", "failures"}


@pytest.mark.parametrize(
    ("path", "seq", "tool"), CASES, ids=[f"{p.stem}-{seq:02d}-{tool}" for p, seq, tool in CASES]
)
def test_recorded_call_replays_the_same(path, seq, tool):
    outcome = replayed(path).get(seq)
    assert outcome is not None, f"{path.name} #{seq} {tool} was not replayed"
    assert outcome.tool == tool
    assert outcome.ok, outcome.describe()


@pytest.mark.parametrize("path", CASSETTES, ids=[p.stem for p in CASSETTES])
def test_cassette_holds_no_secret(path):
    from finizi_b4b.devtools.scenarios import WRONG_PASSWORD
    from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN

    text = path.read_text(encoding="utf-8")
    secrets = (DEMO_ADMIN.password, DEMO_ACCOUNTANT.password, WRONG_PASSWORD)
    for call in read_cassette(path):
        for value in string_leaves(call):  # arguments, results, bodies and request headers alike
            assert not any(holds_secret(value, secret) for secret in secrets), (call["seq"], value)
        for exchange in call["exchanges"]:
            request = exchange["request"]
            assert request["auth"] is None or is_marker(request["auth"])
            assert set(request["headers"]) <= set(RECORDED_HEADERS), "never Authorization or a cookie"
            for name in ("Idempotency-Key", "X-Agent-Session-Id", "X-Agent-Tool-Call-Id"):
                if name in request["headers"]:
                    assert re.fullmatch(r"\[[a-z-]+-\d+\]", request["headers"][name]), "a numbered marker"
    assert "eyJ" not in text  # no JSON Web Token of any kind
    assert "[REDACTED:" in text


@pytest.mark.parametrize("path", CASSETTES, ids=[p.stem for p in CASSETTES])
def test_every_recorded_request_carries_its_tool_call(path):
    for call in read_cassette(path):
        requests = [x["request"] for x in call["exchanges"]]
        assert {r["headers"]["X-Agent-Tool-Name"] for r in requests} <= {call["tool"]}
        assert len({r["headers"]["X-Agent-Tool-Call-Id"] for r in requests}) <= 1
        for request in requests:
            if request["path"].startswith("/api/v1/entities/") or "semantic-search" in request["path"]:
                assert "X-Entity-Id" in request["headers"], (call["seq"], request["path"])


def test_the_failures_cassette_holds_a_write_retried_with_the_same_key():
    calls = read_cassette(Path(__file__).resolve().parents[1] / "cassettes" / "failures.jsonl")
    retried = [c for c in calls if c["tool"] == "import_invoice_xml" and len(c["exchanges"]) == 2]
    assert len(retried) == 1
    lost, answered = retried[0]["exchanges"]
    assert "error" in lost and answered["response"]["status"] == 201
    assert lost["request"]["headers"]["Idempotency-Key"] == answered["request"]["headers"]["Idempotency-Key"]
