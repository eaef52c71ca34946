"""Replay: run recorded calls again through the real server and compare, and the ``replay`` command.

Each recorded session is replayed through an in-process client of a real
server (router, handlers, session logic); a :class:`ReplayTransport` answers
HTTP from the cassette and notes every request that differs from the recording.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
import tempfile
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from finizi_b4b.api.redact import Redactor, is_marker
from finizi_b4b.api.transport import ApiRequest, ApiResponse, TransportFailure
from finizi_b4b.cassette.files import RecordedFiles
from finizi_b4b.cassette.format import (
    CassetteError,
    HeaderMarkers,
    read_cassette,
    request_record,
    response_from_record,
    result_record,
    sessions,
)
from finizi_b4b.config import ConfigError, Settings, api_base_url
from finizi_b4b.runtime import TransportFactory

__all__ = ["CallOutcome", "ReplayTransport", "diff_results", "replay_file", "run_replay"]


def _describe(request: dict[str, Any]) -> str:
    query = "&".join(f"{k}={v}" for k, v in request.get("query", []))
    return f"{request['method']} {request['path']}" + (f"?{query}" if query else "")


def _json_lines(value: Any, indent: int) -> list[str]:
    return json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False).splitlines()


class ReplayTransport:
    """Answers each request from the recorded exchanges of the current call (the same request, in whatever
    order concurrent ones come); never touches the network."""

    def __init__(self) -> None:
        self.redactor = Redactor(numbered=True)
        self.markers = HeaderMarkers()
        self.expected: deque[dict[str, Any]] = deque()
        self.problems: list[str] = []
        self.with_headers = True

    def load(self, exchanges: list[dict[str, Any]], *, with_headers: bool = True) -> None:
        """The exchanges of the next call; ``with_headers=False`` for a format without request headers."""
        self.expected = deque(exchanges)
        self.problems = []
        self.with_headers = with_headers

    def leftovers(self) -> list[str]:
        return [f"recorded request not made: {_describe(x['request'])}" for x in self.expected]

    async def send(self, request: ApiRequest) -> ApiResponse:
        got = request_record(request, self.redactor, self.markers)
        if not self.with_headers:
            del got["headers"]
        if not self.expected:
            self.problems.append(f"request not in the cassette: {_describe(got)}")
            raise TransportFailure("connect", "request not in the cassette")
        # The same request first (concurrent requests, such as a supplier check's look-ups, reach the API in
        # whichever order they finish starting); else the first of the same path, to say what changed.
        exchange = next((x for x in self.expected if x["request"] == got), None)
        if exchange is None:
            exchange = next((x for x in self.expected if _describe(x["request"]) == _describe(got)), None)
        exchange = exchange if exchange is not None else self.expected[0]
        self.expected.remove(exchange)
        wanted = exchange["request"]
        if got != wanted:
            if _describe(got) != _describe(wanted):
                change = f"(the cassette holds {_describe(wanted)})"
            elif {**got, "headers": None} == {**wanted, "headers": None}:
                change = _headers_diff(wanted.get("headers", {}), got.get("headers", {}))
            else:
                change = _request_diff(wanted, got)
            self.problems.append(f"request not in the cassette: {_describe(got)} {change}")
            raise TransportFailure("connect", "request not in the cassette")
        if "error" in exchange:
            raise TransportFailure(exchange["error"]["kind"], exchange["error"]["detail"])
        return response_from_record(exchange["response"])

    async def aclose(self) -> None:
        return None


def _headers_diff(recorded: dict[str, str], replayed: dict[str, str]) -> str:
    """Which headers changed, on one line: ``(header X-Entity-Id: recorded 'abc', sent none)``."""

    def shown(value: str | None) -> str:
        return "none" if value is None else repr(value)

    changed = [
        f"header {name}: recorded {shown(recorded.get(name))}, sent {shown(replayed.get(name))}"
        for name in sorted(set(recorded) | set(replayed))
        if recorded.get(name) != replayed.get(name)
    ]
    return "(" + "; ".join(changed) + ")"


def _request_diff(recorded: Any, replayed: Any) -> str:
    """What changed between two requests, on one line."""
    diff = difflib.unified_diff(_json_lines(recorded, 1), _json_lines(replayed, 1), lineterm="", n=0)
    changed = [line for line in diff if line[:1] in "+-" and line not in ("---", "+++")]
    return "(" + "; ".join(x.strip() for x in changed) + ")"


@attrs.frozen
class CallOutcome:
    cassette: str
    seq: int
    tool: str
    ok: bool
    report: str = ""

    def describe(self) -> str:
        head = f"{'ok' if self.ok else 'FAIL':4} {self.cassette} #{self.seq} {self.tool}"
        return (
            head if self.ok else head + "\n" + "\n".join("     " + line for line in self.report.splitlines())
        )


def diff_results(tool: str, seq: int, recorded: dict[str, Any], replayed: dict[str, Any]) -> str:
    """A readable unified diff of two results, empty when they are the same."""

    def lines(result: dict[str, Any]) -> list[str]:
        shown = dict(result)
        decoded = []
        for block in shown.pop("content", []):
            try:
                decoded.append(json.loads(block.get("text", "")))
            except ValueError:
                decoded.append(block)
        shown["content"] = decoded
        return _json_lines(shown, 2)

    diff = difflib.unified_diff(
        lines(recorded), lines(replayed), f"recorded {tool} #{seq}", f"replayed {tool} #{seq}", lineterm=""
    )
    return "\n".join(diff)


def _replay_settings(session: list[dict[str, Any]], base: Settings) -> Settings:
    """The credentials the recording server was configured with: the phone and the password's marker.

    A cassette says so in the ``signin`` of a line (null: none were configured).
    One that does not (recorded before it did) shows them in its sign-in
    exchanges: those of a ``login`` without arguments, or of any other call
    (the server signed in by itself).
    """
    for call in session:
        if "signin" in call:
            signin = call["signin"] or {}
            return attrs.evolve(base, phone=signin.get("phone"), password=signin.get("password"))
    for call in session:
        if call["tool"] == "login" and call["arguments"]:
            continue  # a login with its own phone and password says nothing of the configured ones
        for exchange in call["exchanges"]:
            request = exchange["request"]
            if request["path"].endswith("/auth/login"):
                body = request.get("json") or {}
                return attrs.evolve(base, phone=body.get("phone"), password=body.get("password"))
    return base


def _live_arguments(arguments: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Arguments for a live replay: a redacted password becomes the one configured in the environment."""
    if is_marker(arguments.get("password")):
        if not settings.password:
            raise CassetteError(
                "replaying a login against a live API needs FINIZI_PASSWORD in the environment"
            )
        return {**arguments, "password": settings.password}
    return arguments


ServerFactory = Callable[..., Any]
"""Makes the server to replay through (``finizi_b4b.server.build_server``): settings, then
``transport_factory=`` the transport of the replay."""


async def replay_file(
    path: str | os.PathLike[str], *, make_server: ServerFactory, against: str | None = None
) -> list[CallOutcome]:
    """Replay every call of a cassette through a real in-process client session per recorded session,
    each with a server made by ``make_server``."""
    name = Path(path).name
    outcomes: list[CallOutcome] = []
    calls = read_cassette(path)
    with tempfile.TemporaryDirectory(prefix="finizi-b4b-replay-") as tmp:
        for session in sessions(calls):
            outcomes += await _replay_session(name, session, Path(tmp), against, make_server)
    return outcomes


async def _replay_session(
    name: str, session: list[dict[str, Any]], workdir: Path, against: str | None, make_server: ServerFactory
) -> list[CallOutcome]:
    from mcp import Client

    from finizi_b4b.runtime import default_transport

    replay: ReplayTransport | None = None
    if against:
        try:
            settings = attrs.evolve(Settings.from_env(), api_url=api_base_url(against, name="--against"))
        except ConfigError as exc:
            raise CassetteError(str(exc)) from None
        factory: TransportFactory = default_transport
    else:
        recorded = next((call["api_url"] for call in session if isinstance(call.get("api_url"), str)), None)
        settings = _replay_settings(session, Settings(api_url=recorded or "http://cassette.invalid"))
        replay = ReplayTransport()
        factory = lambda _settings, t=replay: t  # noqa: E731
    outcomes: list[CallOutcome] = []
    files = RecordedFiles(session, workdir)
    async with Client(make_server(settings, transport_factory=factory), mode="legacy") as client:
        for call in session:
            arguments = files.arguments(call["arguments"])
            if replay is not None:
                replay.load(call["exchanges"], with_headers=call["version"] >= 2)
            else:
                arguments = _live_arguments(arguments, settings)
            answer = result_record(await client.call_tool(call["tool"], arguments))
            result = files.result(answer, call["arguments"])
            problems = [*replay.problems, *replay.leftovers()] if replay is not None else []
            diff = diff_results(call["tool"], call["seq"], call["result"], result)
            report = "\n".join(problems + ([diff] if diff and not problems else []))
            outcomes.append(CallOutcome(name, call["seq"], call["tool"], not report, report))
    return outcomes


def run_replay(paths: list[str], *, make_server: ServerFactory, against: str | None = None) -> int:
    """The ``finizi-b4b replay`` command: 0 if every call matches, 1 if one differs, 2 if it cannot run."""
    import anyio

    outcomes: list[CallOutcome] = []
    for path in paths:
        try:
            outcomes += anyio.run(lambda p=path: replay_file(p, make_server=make_server, against=against))
        except (CassetteError, OSError) as exc:
            print(f"finizi-b4b replay: {exc}", file=sys.stderr)
            return 2
    for outcome in outcomes:
        print(outcome.describe())
    failed = sum(not o.ok for o in outcomes)
    print(f"{len(outcomes)} calls replayed: {len(outcomes) - failed} ok, {failed} differ")
    return 1 if failed else 0
