"""Kept for existing imports: cassettes now live in :mod:`finizi_b4b.cassette`."""

from __future__ import annotations

from finizi_b4b.cassette import (
    CASSETTE_VERSION,
    CallOutcome,
    CassetteError,
    Recorder,
    ReplayTransport,
    read_cassette,
    replay_file,
    run_replay,
)

__all__ = [
    "CASSETTE_VERSION",
    "CallOutcome",
    "CassetteError",
    "Recorder",
    "ReplayTransport",
    "read_cassette",
    "replay_file",
    "run_replay",
]
