"""The cassette format: what a line holds, writing lines, and the one reader.

A cassette is a JSON-lines file; each line is one tool call::

    {"version": 2, "session": "…", "seq": 3, "tool": "list_invoices", "arguments": {…},
     "result": {"content": […], "structuredContent": {…}, "isError": false},
     "exchanges": [{"request": {…}, "response": {…}, "elapsed_ms": 1.9}, …],
     "elapsed_ms": 4.2, "recorded_at": "2026-11-24T09:00:00+00:00"}

An exchange that ended without an answer has ``"error": {"kind", "detail"}``
instead of ``"response"``. Secrets are replaced by numbered markers
(``[REDACTED:access-token-1]``) before anything is written.

Version 2 adds each request's ``"headers"``: the API headers that matter
(:data:`RECORDED_HEADERS`), never ``Authorization`` (the token is ``"auth"``,
as a marker). Values that are random on every run are numbered markers too, in
the order they are first seen: ``[idempotency-key-1]``, ``[tool-call-id-3]``,
``[session-id-1]``. So a replay can check that a retry re-sent the same key,
and that every request of a call carried the same tool-call id, without
knowing the values. Version 1 cassettes (no headers) are still read; their
requests are compared without headers.

One line of each session (the first written once the server has made its
transport) also holds ``"signin"``: the credentials the server was configured
with, ``{"phone": "+84…", "password": "[REDACTED:password-1]"}``, or ``null``
when there were none. A replay configures the same, so a recording in which the
server signed in by itself replays the same way. Readers take lines without it
(recorded before it was added). That line also holds ``"api_url"``, the API
address the server talked to: the replay's server takes it (nothing is sent
there: the cassette answers), so a result that names it replays the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import mcp.types as types

from finizi_b4b.api.redact import Redactor
from finizi_b4b.api.transport import ApiRequest, ApiResponse

__all__ = [
    "CASSETTE_VERSION",
    "READABLE_VERSIONS",
    "RECORDED_HEADERS",
    "REQUIRED_KEYS",
    "CassetteError",
    "CassetteWriter",
    "HeaderMarkers",
    "headers_record",
    "read_cassette",
    "request_record",
    "response_from_record",
    "response_record",
    "result_record",
    "sessions",
]

CASSETTE_VERSION = 2
READABLE_VERSIONS = (1, 2)
REQUIRED_KEYS = ("session", "seq", "tool", "arguments", "result", "exchanges")


class CassetteError(Exception):
    """A cassette that cannot be read or written; the message is one line."""


# -- the shapes of a line ------------------------------------------------------

# The request headers a cassette keeps, in this order; no other header is ever written.
RECORDED_HEADERS = (
    "Content-Type",
    "X-Entity-Id",
    "Idempotency-Key",
    "X-Agent-Session-Id",
    "X-Agent-Tool-Call-Id",
    "X-Agent-Tool-Name",
)
# Headers whose values differ on every run, and the kind their markers name.
_RANDOM_HEADERS = {
    "idempotency-key": "idempotency-key",
    "x-agent-session-id": "session-id",
    "x-agent-tool-call-id": "tool-call-id",
}


class HeaderMarkers:
    """Numbers random header values by kind, in the order first seen; the same value, the same marker."""

    def __init__(self) -> None:
        self._markers: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}

    def marker(self, kind: str, value: str) -> str:
        known = self._markers.get((kind, value))
        if known is None:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            known = self._markers[(kind, value)] = f"[{kind}-{self._counts[kind]}]"
        return known


def _content_type(request: ApiRequest) -> str | None:
    """The Content-Type the transport sends: JSON for a body, a multipart form for a file (no boundary)."""
    given = request.header("Content-Type")
    if given is not None:
        return given
    if request.upload is not None:
        return "multipart/form-data"
    return "application/json" if request.json is not None else None


def headers_record(request: ApiRequest, redactor: Redactor, markers: HeaderMarkers) -> dict[str, str]:
    """The headers that matter, random values as markers; never ``Authorization`` or any other header."""
    record: dict[str, str] = {}
    for name in RECORDED_HEADERS:
        value = _content_type(request) if name == "Content-Type" else request.header(name)
        if value is None:
            continue
        kind = _RANDOM_HEADERS.get(name.lower())
        record[name] = markers.marker(kind, value) if kind else redactor.text(value)
    return record


def request_record(request: ApiRequest, redactor: Redactor, markers: HeaderMarkers) -> dict[str, Any]:
    record: dict[str, Any] = {"method": request.method, "path": request.path}
    if request.query:
        record["query"] = [list(pair) for pair in request.query]
    if request.json is not None:
        record["json"] = redactor.value(request.json)
    if request.upload is not None:
        up = request.upload
        record["upload"] = {
            "field": up.field,
            "filename": up.filename,
            "size": len(up.content),
            "sha256": hashlib.sha256(up.content).hexdigest(),
        }
        with contextlib.suppress(UnicodeDecodeError):  # kept so that replay can give the handler the file
            record["upload"]["text"] = redactor.text(up.content.decode("utf-8"))
    record["auth"] = redactor.marker(request.token, "access-token") if request.token else None
    record["headers"] = headers_record(request, redactor, markers)
    return record


def response_record(response: ApiResponse, redactor: Redactor) -> dict[str, Any]:
    record: dict[str, Any] = {"status": response.status, "headers": dict(response.headers)}
    ctype = response.header("content-type") or ""
    if "json" in ctype:
        try:
            record["json"] = redactor.value(json.loads(response.body)) if response.body else None
            return record
        except ValueError:
            pass
    record["text"] = redactor.text(response.body.decode("utf-8", errors="replace"))
    return record


def response_from_record(record: dict[str, Any]) -> ApiResponse:
    if "json" in record:
        body = b"" if record["json"] is None else json.dumps(record["json"], ensure_ascii=False).encode()
    else:
        body = record.get("text", "").encode()
    return ApiResponse(status=record["status"], headers=dict(record.get("headers", {})), body=body)


def result_record(result: types.CallToolResult) -> dict[str, Any]:
    dumped = result.model_dump(by_alias=True, exclude_none=True, mode="json")
    return {key: dumped[key] for key in ("content", "structuredContent", "isError") if key in dumped}


# -- writing -------------------------------------------------------------------


class CassetteWriter:
    """Appends lines to a cassette file, opened (and so checked) when the writer is made."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._fd = _open_for_append(self.path)

    def write(self, line: dict[str, Any]) -> None:
        """Append one line; an ``OSError`` (a full disk, a closed file) is the caller's to handle."""
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


def _open_for_append(path: Path) -> int:
    """The descriptor of ``path`` opened to append, or a :class:`CassetteError` saying why it cannot be."""
    shown = str(path)
    if not path.parent.is_dir():
        raise CassetteError(f"cannot record to {shown}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise CassetteError(f"cannot record to {shown}: it is a folder, not a file")
    nonblocking = getattr(os, "O_NONBLOCK", 0)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | nonblocking | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)  # non-blocking: a FIFO with no reader fails instead of hanging
    except OSError as exc:
        raise CassetteError(f"cannot record to {shown}: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode)):
        os.close(fd)
        raise CassetteError(f"cannot record to {shown}: it is not a regular file")
    if nonblocking:
        os.set_blocking(fd, True)
    return fd


# -- reading -------------------------------------------------------------------


def read_cassette(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every call line of a cassette (with its ``line`` number added), checked for a format this reads."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    calls = []
    for number, raw in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 may be in a string
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError as exc:
            raise CassetteError(f"{path}, line {number}: not JSON ({exc})") from None
        version = line.get("version") if isinstance(line, dict) else None
        if version not in READABLE_VERSIONS or isinstance(version, bool):
            readable = " and ".join(str(v) for v in READABLE_VERSIONS)
            raise CassetteError(
                f"{path}, line {number}: cassette format version {version!r} is not supported "
                f"(this finizi-b4b reads versions {readable}); re-record it with this version"
            )
        for key in REQUIRED_KEYS:
            if key not in line:
                raise CassetteError(f"{path}, line {number}: '{key}' is missing")
        line["line"] = number
        calls.append(line)
    return calls


def sessions(calls: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Calls grouped by recording session (one server process each), each in call order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for call in calls:
        groups.setdefault(call["session"], []).append(call)
    return [sorted(group, key=lambda c: c["seq"]) for group in groups.values()]
