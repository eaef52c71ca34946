"""Recording never changes an outcome.

A cassette that cannot be written stops the recording, not the calls.
"""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from finizi_b4b.cassette import Recorder, read_cassette
from finizi_b4b.runtime import default_transport
from finizi_b4b.sandbox import DEMO_ADMIN
from finizi_b4b.server import build_server
from tests.conftest import body_of, settings_for

pytestmark = pytest.mark.anyio

COMMAND = Path(sys.executable).with_name("finizi-b4b")
CALLS = [("login", {}), ("whoami", {}), ("list_entities", {}), ("logout", {})]


def stopped_lines(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if "recording stopped" in r.getMessage()]


async def run_calls(box, recorder: Recorder, after_first=lambda: None) -> list:
    server = build_server(
        settings_for(box), transport_factory=recorder.wrap_factory(default_transport), observers=(recorder,)
    )
    results = []
    with anyio.fail_after(30):
        async with Client(server, mode="legacy") as client:
            for tool, arguments in CALLS:
                results.append(await client.call_tool(tool, arguments))
                if len(results) == 1:
                    after_first()
    return results


def full_disk_after(recorder: Recorder, lines: int) -> None:
    """From now on, writing more than ``lines`` lines fails as on a full disk."""
    write, written = recorder.writer.write, []

    def write_or_fail(line: dict) -> None:
        if len(written) >= lines:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(line)
        write(line)

    recorder.writer.write = write_or_fail


@pytest.mark.parametrize("how", ["full disk", "closed file"])
async def test_a_failed_write_mid_session_is_logged_once_and_every_result_still_comes_back(
    sandbox, tmp_path, caplog, how
):
    path = tmp_path / "session.jsonl"
    caplog.set_level(logging.ERROR, logger="finizi_b4b")
    with Recorder.open(path) as recorder:
        if how == "full disk":
            full_disk_after(recorder, 1)
            results = await run_calls(sandbox, recorder)
        else:  # the file goes away under the recorder
            results = await run_calls(sandbox, recorder, after_first=recorder.writer.close)
        assert recorder.stopped
    bodies = [body_of(result) for result in results]
    assert [result.is_error for result in results] == [False] * len(CALLS), bodies
    assert bodies[0]["success"] and bodies[1]["user"]["email"] == DEMO_ADMIN.email
    assert bodies[2]["data"]["total"] >= 3
    lines = stopped_lines(caplog.records)
    assert len(lines) == 1, lines
    assert str(path) in lines[0] and "go on unrecorded" in lines[0]
    assert [c["tool"] for c in read_cassette(path)] == ["login"]


async def test_serve_with_a_cassette_on_a_full_disk_still_answers_every_call(sandbox, tmp_path):
    full = anyio.Path("/dev/full")
    assert await full.exists(), "this test needs /dev/full (Linux)"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "FINIZI_API_URL": sandbox.url,
        "FINIZI_PHONE": DEMO_ADMIN.phone,
        "FINIZI_PASSWORD": DEMO_ADMIN.password,
    }
    params = StdioServerParameters(command=str(COMMAND), args=["serve", "--record", str(full)], env=env)
    with (tmp_path / "stderr").open("w") as errlog, anyio.fail_after(60):
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            results = [await client.call_tool(tool, arguments) for tool, arguments in CALLS]
    assert [result.is_error for result in results] == [False] * len(CALLS)
    assert body_of(results[1])["user"]["email"] == DEMO_ADMIN.email
    stderr = (tmp_path / "stderr").read_text()
    assert stderr.count("recording stopped") == 1, stderr
    assert "Traceback" not in stderr and DEMO_ADMIN.password not in stderr


def no_permission(tmp_path: Path) -> Path:
    """A file path this process may not create or write, whoever runs the tests."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        return locked / "x.jsonl"
    notes = Path("/sys/kernel/notes")  # read-only for root too
    assert notes.exists(), "running as root, this test needs /sys/kernel/notes"
    return notes


def unwritable(kind: str, tmp_path: Path) -> Path:
    if kind == "missing folder":
        return Path("/nonexistent/dir/x.jsonl")
    if kind == "a folder":
        return tmp_path
    if kind == "a FIFO with no reader":
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        return fifo
    return no_permission(tmp_path)


@pytest.mark.parametrize("given", ["option", "environment"])
@pytest.mark.parametrize("kind", ["missing folder", "a folder", "no permission", "a FIFO with no reader"])
def test_an_unwritable_record_path_is_one_line_and_exit_2(tmp_path, kind, given):
    path = unwritable(kind, tmp_path)
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    args = ["serve", "--record", str(path)] if given == "option" else ["serve"]
    env = {**base, **({"FINIZI_B4B_RECORD": str(path)} if given == "environment" else {})}
    done = subprocess.run(
        [str(COMMAND), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"finizi-b4b: cannot record to {path}: "), lines[0]
    assert done.stdout == ""


class Broken:
    """An observer with a bug: the server must carry on without it."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def call_started(self, name, arguments):
        self.seen.append(name)

    def call_finished(self, pending, name, arguments, result):
        raise RuntimeError("observer bug")


async def test_an_observer_that_raises_is_turned_off_once_and_changes_no_result(sandbox, caplog):
    caplog.set_level(logging.ERROR, logger="finizi_b4b")
    broken = Broken()
    with anyio.fail_after(30):
        async with Client(build_server(settings_for(sandbox), observers=(broken,)), mode="legacy") as client:
            results = [await client.call_tool(tool, arguments) for tool, arguments in CALLS]
    assert [result.is_error for result in results] == [False] * len(CALLS)
    assert broken.seen == ["login"]
    assert [r.getMessage() for r in caplog.records] == ["call observer Broken failed and was turned off"]
