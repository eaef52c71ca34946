"""Cassettes: recorded tool calls with their HTTP exchanges, and replaying them.

- :mod:`~finizi_b4b.cassette.format`: what a line holds, writing lines, the one reader.
- :mod:`~finizi_b4b.cassette.recording`: the recording transport and the call observer.
- :mod:`~finizi_b4b.cassette.replay`: replaying through the real server, diffs, the ``replay`` command.
- :mod:`~finizi_b4b.cassette.files`: the invoice files a session read, written again for its replay.
"""

from __future__ import annotations

from finizi_b4b.cassette.format import CASSETTE_VERSION, CassetteError, read_cassette, sessions
from finizi_b4b.cassette.recording import Recorder, RecordingTransport
from finizi_b4b.cassette.replay import CallOutcome, ReplayTransport, diff_results, replay_file, run_replay

__all__ = [
    "CASSETTE_VERSION",
    "CallOutcome",
    "CassetteError",
    "Recorder",
    "RecordingTransport",
    "ReplayTransport",
    "diff_results",
    "read_cassette",
    "replay_file",
    "run_replay",
    "sessions",
]
