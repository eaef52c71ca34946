"""The B4B API client: one method per endpoint, all through one ``_call``.

``_call`` adds the API's headers (``finizi_b4b.api.headers``, once per exchange,
so every retry re-sends the same ``Idempotency-Key``), the bearer token, and the
retry policy (``finizi_b4b.api.retry``); on a 401 it asks the session store
for a refreshed token (one shared refresh) and tries once more, with a new
key. All attempts of a call stay within ``call_deadline``, and within the
deadline of the tool call it is made for. Statuses become :class:`ApiError` in
``sansio`` only. The pagination wart of the API (``page_size`` for invoices
and vendors, ``per_page`` for products) is absorbed in ``catalog.paging``; the vendor and product calls
live in :mod:`finizi_b4b.api.catalog`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import anyio
import attrs

from finizi_b4b.api import sansio
from finizi_b4b.api.catalog import CatalogCalls, Query, entity_subject, paging, query_pairs
from finizi_b4b.api.errors import (
    ApiError,
    BadResponse,
    InvalidCredentials,
    Reason,
    RefreshRejected,
    SessionExpired,
    Subject,
)
from finizi_b4b.api.fields import API
from finizi_b4b.api.headers import TOOL_CALL, api_headers
from finizi_b4b.api.models import (
    Entity,
    Invoice,
    InvoicePage,
    TokenPair,
    User,
)
from finizi_b4b.api.payments import PaymentCalls
from finizi_b4b.api.records import Identified, Page, bad_record, records_of
from finizi_b4b.api.redact import Redactor
from finizi_b4b.api.registry import RegistryCalls
from finizi_b4b.api.reports import ReportCalls
from finizi_b4b.api.retry import RetryPolicy, call_deadline_for
from finizi_b4b.api.transport import ApiRequest, ApiResponse, Transport, TransportFailure, Upload

__all__ = ["DEFAULT_CALL_DEADLINE", "UPLOAD_TIMEOUT", "B4BClient", "Session", "call_deadline_for"]

log = logging.getLogger("finizi_b4b.http")

R = TypeVar("R", bound=Identified)
Refresher = Callable[[str], Awaitable[TokenPair]]


class Session(Protocol):
    """What the client needs of the session store: the token, the shared refresh, and an end."""

    def access_token(self) -> str: ...

    async def refresh_after(self, failed_token: str, refresher: Refresher, *, wait_s: float) -> str: ...

    def clear_if_current(self, token: str) -> None: ...


LOGIN = Subject("login")
LOGOUT = Subject("logout")
REFRESH = Subject("refresh")
ME = Subject("user")
MY_ENTITIES = Subject("my_entities")
NEW_ENTITY = Subject("new_entity")


DEFAULT_CALL_DEADLINE = call_deadline_for(30.0)
# How long one try of an XML upload may take (the company's own client allows the same).
UPLOAD_TIMEOUT = 60.0


def _usable_token(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and all(" " < ch < "\x7f" for ch in value)


def _tokens(body: Any, subject: Subject) -> TokenPair:
    """The token pair of a login or refresh answer; an empty token or one that could split a header is bad."""
    pair = TokenPair.of(body)
    if not _usable_token(pair.access_token) or (
        pair.refresh_token is not None and not _usable_token(pair.refresh_token)
    ):
        raise BadResponse(Reason.BAD_TOKEN, subject=subject)
    return pair


class B4BClient(CatalogCalls, ReportCalls, RegistryCalls, PaymentCalls):
    """Typed calls to the Finizi B4B API over a :class:`Transport`."""

    def __init__(
        self,
        transport: Transport,
        session: Session,
        *,
        retry: RetryPolicy | None = None,
        call_deadline: float = DEFAULT_CALL_DEADLINE,
    ) -> None:
        self.transport = transport
        self.session = session
        self.retry = retry or RetryPolicy()
        self.call_deadline = call_deadline

    # -- the one path of every request ---------------------------------------

    def _prepare(self, request: ApiRequest) -> ApiRequest:
        """The request with its API headers: the one place they are added."""
        return attrs.evolve(request, headers=api_headers(request))

    def _deadline(self) -> float:
        """When the attempts of a call must be over: the call deadline from now, and never later than
        the tool call it is made for (which may make many calls: pages, files)."""
        deadline = anyio.current_time() + self.call_deadline
        context = TOOL_CALL.get()
        if context is not None and context.deadline is not None:
            deadline = min(deadline, context.deadline)
        return deadline

    async def _attempt(self, request: ApiRequest, remaining: float) -> ApiResponse:
        with anyio.move_on_after(remaining):
            return await self.transport.send(request)
        raise TransportFailure("timeout", "no answer within the call's deadline")

    async def _exchange(
        self, request: ApiRequest, deadline: float, subject: Subject
    ) -> tuple[ApiResponse, int]:
        """One answer that is not a passing failure, after the retries the policy allows, and the
        number of attempts it took."""
        repeatable = self.retry.repeatable(request)
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - anyio.current_time()
            try:
                if remaining <= 0:
                    raise TransportFailure("timeout", "the call's deadline passed")
                resp = await self._attempt(request, remaining)
            except TransportFailure as exc:
                failure = sansio.transport_error(exc, subject)
            else:
                if resp.status not in sansio.TRANSIENT_STATUSES:
                    return resp, attempt
                failure = sansio.error_for(resp, subject)
            left = deadline - anyio.current_time()
            wait = self.retry.wait_before_retry(failure, attempt, left) if repeatable else None
            if wait is None:
                raise failure
            log.info(
                "%s %s: %s on attempt %d; retrying in %.2f s",
                request.method,
                request.path,
                failure.status or failure.reason,
                attempt,
                wait,
            )
            await self.retry.sleep(wait)

    async def _call(
        self, request: ApiRequest, subject: Subject, *, token: str | None = None, refresh: bool = True
    ) -> Any:
        """The decoded answer of an authenticated call (``token`` given: that token, no refresh).

        Every retry of a write after a lost answer, a timeout or a 5xx re-sends the same
        ``Idempotency-Key``; the retry after a 401 and a refresh takes a new one (the 401 means
        nothing was done, and the backend binds a key to its first attempt). An error answer to a
        write that was sent more than once carries ``facts["resent"]``: the first attempt may
        have been carried out.
        """
        deadline = self._deadline()
        token = token or self.session.access_token()
        prepared = self._prepare(request)  # one Idempotency-Key for every attempt of this exchange
        resp, attempts = await self._exchange(prepared.with_token(token), deadline, subject)
        if resp.status == 401 and refresh:
            token = await self.session.refresh_after(
                token, self._refresh, wait_s=deadline - anyio.current_time()
            )
            prepared = self._prepare(request)  # a new key: nothing was done under the old one
            resp, attempts = await self._exchange(prepared.with_token(token), deadline, subject)
            if resp.status == 401:
                self.session.clear_if_current(token)
                raise SessionExpired(Reason.SESSION_EXPIRED, status=401)
        try:
            return sansio.decode(resp, subject)
        except ApiError as exc:
            if attempts > 1 and prepared.header("Idempotency-Key") is not None:
                exc.facts["resent"] = attempts
            raise

    async def _page(
        self, entity_id: str, listing: str, query: Query, cls: type[R], page_cls: type[Page[Any]] = Page
    ) -> Page[R]:
        """One page of ``cls`` records: the entity's ``invoices``, ``vendors`` or ``products``."""
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/{listing}", query)
        return page_cls.read(await self._call(request, entity_subject(entity_id)), cls)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """A new token pair for ``refresh_token``; nothing is stored (the session store does)."""
        return await self._refresh(refresh_token)

    async def _refresh(self, refresh_token: str) -> TokenPair:
        body = {"refresh_token": refresh_token}
        request = self._prepare(ApiRequest("POST", f"{API}/auth/refresh", json=body))
        # A POST without an Idempotency-Key: never repeated, as the backend may have rotated the token.
        resp, _ = await self._exchange(request, self._deadline(), REFRESH)
        if resp.status in (401, 403):
            raise RefreshRejected
        return _tokens(sansio.decode(resp, REFRESH), REFRESH)

    # -- auth and the user -------------------------------------------------

    async def login(self, phone: str, password: str) -> tuple[TokenPair, User]:
        """The new session's tokens and its user; nothing is stored here (``SessionStore.sign_in`` does)."""
        request = self._prepare(
            ApiRequest("POST", f"{API}/auth/login", json={"phone": phone, "password": password})
        )
        quiet = Redactor([password])
        try:
            resp, _ = await self._exchange(request, self._deadline(), LOGIN)
            if resp.status == 401:
                detail = sansio.backend_detail(resp)
                raise InvalidCredentials(Reason.CREDENTIALS, status=401, detail=detail, subject=LOGIN)
            tokens = _tokens(sansio.decode(resp, LOGIN), LOGIN)
        except ApiError as exc:
            if exc.detail:  # a backend that echoes the password must not pass it on
                exc.detail = quiet.text(exc.detail)
            raise
        me = ApiRequest("GET", f"{API}/users/me")
        user = User.of(await self._call(me, ME, token=tokens.access_token, refresh=False))
        return tokens, user

    async def logout(self, token: str) -> None:
        await self._call(ApiRequest("POST", f"{API}/auth/logout"), LOGOUT, token=token, refresh=False)

    async def me(self) -> User:
        return User.of(await self._call(ApiRequest("GET", f"{API}/users/me"), ME))

    # -- entities ----------------------------------------------------------

    async def my_entities(self, *, detailed: bool = False) -> list[Entity]:
        request = ApiRequest("GET", f"{API}/users/me/entities", query_pairs(detailed=detailed or None))
        body = await self._call(request, MY_ENTITIES)
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            body = body["items"]
        return records_of(body, Entity)

    async def get_entity(self, entity_id: str) -> Entity:
        body = await self._call(ApiRequest("GET", f"{API}/entities/{entity_id}"), entity_subject(entity_id))
        return Entity.of(body)

    async def create_entity(self, fields: dict[str, Any]) -> Entity:
        body = await self._call(ApiRequest("POST", f"{API}/entities", json=fields), NEW_ENTITY)
        return Entity.of(body)

    async def update_entity(self, entity_id: str, fields: dict[str, Any]) -> Entity:
        request = ApiRequest("PUT", f"{API}/entities/{entity_id}", json=fields)
        return Entity.of(await self._call(request, entity_subject(entity_id)))

    # -- invoices ----------------------------------------------------------

    async def list_invoices(
        self,
        entity_id: str,
        *,
        page: int,
        page_size: int,
        **filters: Any,
    ) -> InvoicePage:
        """One page of :class:`Invoice` records, with ``total_amount`` and ``aggregations`` when sent."""
        query = query_pairs(**paging("page_size", page, page_size), **filters)
        page = await self._page(entity_id, "invoices", query, Invoice, InvoicePage)
        assert isinstance(page, InvoicePage)
        return page

    async def get_invoice(self, entity_id: str, invoice_id: str) -> Invoice:
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/invoices/{invoice_id}")
        return Invoice.of(await self._call(request, Subject("invoice", (invoice_id, entity_id))))

    async def import_invoice_xml(
        self, entity_id: str, *, filename: str, content: bytes, auto_classify: bool
    ) -> dict[str, Any]:
        request = ApiRequest(
            "POST",
            f"{API}/entities/{entity_id}/invoices/xml",
            query_pairs(auto_classify=auto_classify, dry_run=False),
            upload=Upload("file", filename, content),
            timeout=UPLOAD_TIMEOUT,
        )
        body = await self._call(request, Subject("invoice_import", (entity_id,)))
        if type(body) is not dict:
            raise bad_record("import answer", "not_object", got=type(body).__name__)
        if body.get("id") is not None:
            Invoice.of(body)  # an answer that names the invoice must name it well
        return body  # whole; the created invoice in it is an assumption (the tool looks it up if absent)

    async def invoice_stats(
        self, entity_id: str, *, date_from: str | None = None, date_to: str | None = None
    ) -> dict[str, Any]:
        request = ApiRequest(
            "GET",
            f"{API}/entities/{entity_id}/invoices/stats/summary",
            query_pairs(date_from=date_from, date_to=date_to),
        )
        body = await self._call(request, entity_subject(entity_id))
        if type(body) is not dict:
            raise bad_record("invoice statistics", "not_object", got=type(body).__name__)
        return dict(body)  # as sent: the statistics' shape is the API's (ledger row 54)

    async def aclose(self) -> None:
        await self.transport.aclose()
