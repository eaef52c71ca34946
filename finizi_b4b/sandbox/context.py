"""What the handlers share: the data (``STATE``) and the sandbox's own settings and records (``SETTINGS``)."""

from __future__ import annotations

import secrets
from collections import deque
from typing import Any

import attrs
from aiohttp import web

from finizi_b4b.sandbox.faults import Fault
from finizi_b4b.sandbox.idempotency import IdempotencyStore
from finizi_b4b.sandbox.jobs import JobPlan
from finizi_b4b.sandbox.similarity import TrigramIndex
from finizi_b4b.sandbox.state import State
from finizi_b4b.sandbox.traffic import SeenRequest, new_seen

__all__ = ["SETTINGS", "STATE", "Sandboxed"]


@attrs.define
class Sandboxed:
    """What the handlers share besides the data."""

    token_ttl: float = 900.0
    alt_shapes: bool = False
    minimal: bool = False  # answers with only what the real API is known to send (see .minimal)
    faults: list[Fault] = attrs.Factory(list)
    secret: bytes = attrs.Factory(lambda: secrets.token_bytes(32))
    indexes: dict[str, TrigramIndex] = attrs.Factory(dict)  # entity id -> products by similarity
    search_indexes: dict[tuple[str, str], tuple[int, TrigramIndex]] = attrs.Factory(dict)  # (kind, entity)
    job_plan: JobPlan = attrs.Factory(JobPlan)  # how the jobs queued from now on behave
    seen: deque[SeenRequest] = attrs.Factory(new_seen)
    audit: list[dict[str, Any]] = attrs.Factory(list)
    idempotency: IdempotencyStore = attrs.Factory(IdempotencyStore)


STATE: web.AppKey[State] = web.AppKey("state", State)
SETTINGS: web.AppKey[Sandboxed] = web.AppKey("settings", Sandboxed)
