"""Running the sandbox: in the caller's event loop, or in a thread of its own."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any, Self

from aiohttp import web

from finizi_b4b.sandbox.app import SETTINGS, Fault, create_app, expire_access_tokens
from finizi_b4b.sandbox.control import add_synthetic_invoices
from finizi_b4b.sandbox.data import State, build_state
from finizi_b4b.sandbox.jobs import JobPlan
from finizi_b4b.sandbox.traffic import SeenRequest

__all__ = ["Sandbox"]


class Sandbox:
    """The sandbox API on a loopback port (``port=0`` picks a free one).

    ``async with Sandbox() as box:`` serves in the running loop; ``with
    Sandbox.in_thread() as box:`` serves from a background thread, for
    synchronous callers and tests that run their own loops. ``state`` is the
    live data; ``counts`` counts requests by route name (``"auth.refresh"``);
    ``seen`` lists the API requests received with the headers that matter, and
    ``audit`` the audit rows of the mutations made for an agent's tool call.
    ``state.renamed_tax_ids`` and ``state.unregistered_tax_ids`` name the
    companies the registry knows otherwise than their invoices, or not at all;
    ``set_jobs`` plans how background jobs (tax reports) run;
    ``add_synthetic_invoices`` gives an entity thousands of invoices at once.

    ``int_ids`` serves vendors, products and invoices with positive integer ids
    (the same world otherwise); ``alt_shapes`` serves the documented
    alternative answer shapes: entities as ``{"items": [...]}``, the vendor
    search in the older ``{"vendor": ...}`` form, semantic-search results
    without ``data.id`` (the product id is the result's ``entity_id``), and
    import jobs as objects. Each is served deterministically, so that a test
    can reach every form:

    - plain-string errors: ``{"error": ...}`` on vendor, product and
      semantic-search paths, ``{"message": ...}`` everywhere else (a 422 list
      keeps ``detail``; a fault with an explicit body is served as given);
    - the vendor search by an unknown tax id: ``{"success": true, "data":
      {"vendor": null}}`` when the tax id's last digit is even, ``{"success":
      true, "data": null}`` when odd (without ``alt_shapes``: 404).

    ``minimal`` serves the same data with only what the real API is known to
    send (contract part A, graded V or Vd; :mod:`finizi_b4b.sandbox.minimal`):
    no list totals or aggregations, lean invoice items with ``vendor_name``,
    ``stats/summary`` ignoring its dates, entity tax ids only when detailed,
    ``/users/me`` as ``{"id"}``, tokens and ``user_id`` only at login, vendor
    pages as ``items`` and ``total``, product pages as ``items``, and the XML
    import answering only ``queued_jobs``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token_ttl: float = 900.0,
        seed: int = 0,
        control: bool = False,
        int_ids: bool = False,
        alt_shapes: bool = False,
        minimal: bool = False,
    ) -> None:
        self.host, self.port = host, port
        self.token_ttl, self.seed, self.control = token_ttl, seed, control
        self.int_ids, self.alt_shapes, self.minimal = int_ids, alt_shapes, minimal
        self.state: State = build_state(seed, int_ids=int_ids)
        self.app = create_app(
            self.state, token_ttl=token_ttl, control=control, alt_shapes=alt_shapes, minimal=minimal
        )
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the sandbox is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def counts(self) -> Counter[str]:
        return self.state.counts

    @property
    def issued_tokens(self) -> list[str]:
        """Every access and refresh token handed out so far (for tests that look for leaks)."""
        return list(self.state.issued_tokens)

    @property
    def seen(self) -> list[SeenRequest]:
        """The API requests received so far (the last 10,000), oldest first; never with a token."""
        return list(self.app[SETTINGS].seen)

    def clear_seen(self) -> None:
        self.app[SETTINGS].seen.clear()

    @property
    def audit(self) -> list[dict[str, Any]]:
        """One row per successful mutation made with ``X-Agent-*`` headers, oldest first."""
        return [dict(row) for row in self.app[SETTINGS].audit]

    def clear_audit(self) -> None:
        self.app[SETTINGS].audit.clear()

    def expire_access_tokens(self) -> None:
        expire_access_tokens(self.state)

    def inject_fault(
        self,
        status: int | None = 503,
        *,
        count: int = 1,
        body: str | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        path: str | None = None,
        method: str | None = None,
        kind: str = "status",
    ) -> Fault:
        """Make the next ``count`` requests (matching ``path`` prefix and ``method``) fail or wait.

        ``kind="lose_answer"`` lets each request act, then drops the connection unanswered.
        """
        fault = Fault(status, count, body, content_type, dict(headers or {}), delay, path, method, kind)
        self.app[SETTINGS].faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.app[SETTINGS].faults.clear()

    def set_jobs(self, polls: int = 3, *, delay: float = 0.0, error: str | None = None) -> JobPlan:
        """How the jobs queued from now on behave: the poll that may end them, a delay, a failure.

        ``GET /api/v1/celery/jobs/{id}`` answers ``pending`` first, ``started``
        until the ``polls``-th poll and until ``delay`` seconds have passed, then
        ``success``, or ``failed`` with ``error`` when it is set.
        """
        plan = self.app[SETTINGS].job_plan = JobPlan(polls, delay, error)
        return plan

    def reset_jobs(self) -> None:
        self.app[SETTINGS].job_plan = JobPlan()

    def add_synthetic_invoices(self, entity_id: str, count: int, *, currencies: str = "home") -> int:
        """Add ``count`` purchase invoices to the entity, each from a vendor of its own and, with
        ``currencies="each"``, in a currency of its own; answer how many invoices the entity has.

        The same as ``POST /_sandbox/synthetic-invoices`` (:func:`.control.add_synthetic_invoices`).
        """
        return add_synthetic_invoices(self.state, entity_id, count, currencies=currencies)

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop()

    @classmethod
    @contextlib.contextmanager
    def in_thread(cls, *args: Any, timeout: float = 30.0, **kwargs: Any) -> Iterator[Sandbox]:
        """Serve from a daemon thread with its own event loop; stop it on exit."""
        box = cls(*args, **kwargs)
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(box.start())
            except BaseException as exc:
                failure.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(box.stop())
            loop.close()

        thread = threading.Thread(target=serve, name="finizi-b4b-sandbox", daemon=True)
        thread.start()
        if not started.wait(timeout):
            raise TimeoutError(f"the sandbox did not start within {timeout} s")
        if failure:
            raise failure[0]
        try:
            yield box
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
