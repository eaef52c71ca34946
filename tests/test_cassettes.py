"""Every call recorded under tests/cassettes is a regression test of its own.

Each cassette is replayed once (its sessions in order, since later calls need
the login of earlier ones); each recorded call then passes or fails on its own.
Re-record them with ``make cassettes`` when a change to results is intended.
"""

from __future__ import annotations

import functools
from pathlib import Path

import anyio
import pytest

from finizi_b4b.recording import read_cassette, replay_file

CASSETTES = sorted((Path(__file__).parent / "cassettes").glob("*.jsonl"))
CASES = [(path, call["seq"], call["tool"]) for path in CASSETTES for call in read_cassette(path)]


@functools.cache
def replayed(path: Path) -> dict[int, object]:
    return {outcome.seq: outcome for outcome in anyio.run(replay_file, path)}


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
    from finizi_b4b.demo import WRONG_PASSWORD
    from finizi_b4b.sandbox import DEMO_ACCOUNTANT, DEMO_ADMIN

    text = path.read_text(encoding="utf-8")
    for secret in (DEMO_ADMIN.password, DEMO_ACCOUNTANT.password, WRONG_PASSWORD):
        assert secret not in text
    assert "eyJ" not in text  # no JSON Web Token of any kind
    assert "[REDACTED:" in text
