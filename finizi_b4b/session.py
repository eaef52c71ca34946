"""The process-wide session: one signed-in user for the life of the process, as one state machine.

A desktop client spawns one server process per connection, so one store shared
by every handler is the right scope (a per-request or per-context store loses
the token between calls). Tokens live in memory only and never appear in
``repr``, logs or results.

The transitions are serialised by one lock: :meth:`SessionStore.sign_in`,
:meth:`SessionStore.sign_in_automatically`, :meth:`SessionStore.sign_out` and
each refresh hold it while they talk to the backend (``sign_out`` refreshes an
expired access token itself, under the lock it holds, so that the backend can
revoke both tokens). Every change of user bumps :attr:`SessionStore.generation`, and a
refresh only installs its tokens if the generation it started in is still the
current one, so a refresh begun before a login or logout never overwrites it.

Refreshing is single-flight. The first call that fails with an expired token
starts one refresh *flight*, a task of its own; every call failing with the
same token waits for that flight, each bounded by its own deadline, and all of
them get its outcome, success or failure. A failed flight is shared for a
moment after it ends too, so a burst of calls makes one refresh request. As
the flight is its own task, cancelling the call that started it cannot throw
away a refresh token the backend has already rotated.

Automatic sign-in: when credentials are configured, :meth:`SessionStore.arm`
gives the store a sign-in attempt with them, and the first call that needs a
session runs it (:meth:`SessionStore.sign_in_automatically`), under the same
lock, so that concurrent first calls make one login request and share its
outcome. It is used at most once successfully: a session started (by it or by
``login``) or a ``logout`` disarms it, and configured credentials that the
backend refused are not tried again (each later call gets the same refusal).
A ``login`` that fails leaves it as it was, so that made-up credentials
cannot switch it off. A failure that may pass (the backend down) leaves it
armed. When the backend accepts the credentials but the session it has just
opened fails its check (refused: ``session_check_failed``; or any other
failure, whose error carries the fact ``after_login``), the next attempt
waits, from :data:`CHECK_BACKOFF_FIRST` seconds doubling to
:data:`CHECK_BACKOFF_LONGEST`, and every call meanwhile gets that failure
(with the time left when it may pass), so that a burst of calls (or of
completion keystrokes) makes a few logins a minute at most, not one each.

Nothing here writes words for the model: failures are :class:`ApiError`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from finizi_b4b.api.errors import (
    ApiError,
    BackendTimeout,
    BackendUnavailable,
    ConfiguredCredentialsRefused,
    InternalFailure,
    NotAuthenticated,
    Reason,
    RefreshRejected,
    SessionExpired,
)

if TYPE_CHECKING:
    from finizi_b4b.api.models import TokenPair

__all__ = [
    "CHECK_BACKOFF_FIRST",
    "CHECK_BACKOFF_LONGEST",
    "RefreshRejected",
    "SessionStore",
    "not_logged_in",
    "session_expired",
]

Refresher = Callable[[str], Awaitable["TokenPair"]]
SignIn = Callable[[], Awaitable[tuple["TokenPair", dict[str, Any]]]]
SignOut = Callable[[str], Awaitable[None]]

log = logging.getLogger("finizi_b4b.session")

# How long the failure of a refresh is shared with calls that arrive after it ended.
SHARE_FAILURE_FOR = 1.0
# The wait before the next automatic sign-in after the session check failed: doubling, within these.
CHECK_BACKOFF_FIRST = 10.0
CHECK_BACKOFF_LONGEST = 60.0


def not_logged_in() -> ApiError:
    return NotAuthenticated(Reason.NOT_LOGGED_IN)


def session_expired() -> ApiError:
    return SessionExpired(Reason.SESSION_EXPIRED, status=401)


@attrs.define(eq=False)
class _Flight:
    """One refresh of the access token ``failed_token``, shared by every call that needs it."""

    failed_token: str
    done: anyio.Event = attrs.field(factory=anyio.Event)
    token: str | None = None
    error: ApiError | None = None
    ended_at: float | None = None
    task: asyncio.Task[None] | None = None

    def reusable(self, failed_token: str, now: float) -> bool:
        if self.failed_token != failed_token:
            return False
        if not self.done.is_set():
            return True
        failed_recently = self.ended_at is not None and now - self.ended_at < SHARE_FAILURE_FOR
        return self.error is not None and failed_recently


@attrs.define(repr=False)
class SessionStore:
    """Access token, refresh token and the signed-in user, shared by every handler."""

    _access_token: str | None = None
    _refresh_token: str | None = None
    user: dict[str, Any] | None = None
    refreshes: int = 0
    generation: int = 0
    _lock: anyio.Lock = attrs.field(factory=anyio.Lock)
    _flight: _Flight | None = None
    # Automatic sign-in: the attempt with the configured credentials, while armed.
    _auto: SignIn | None = None
    _auto_attempts: int = 0
    _auto_failure: ApiError | None = None  # the outcome of the last attempt, shared with its waiters
    _refused: ApiError | None = None  # the configured credentials were refused: said to every call
    _backoff: float = 0.0  # the last wait after a failed session check; 0 when none failed
    _not_before: float = 0.0  # no automatic attempt before this time (anyio.current_time())

    def __repr__(self) -> str:
        who = (self.user or {}).get("email") or (self.user or {}).get("id")
        return f"SessionStore(signed_in={self.signed_in}, user={who!r}, refreshes={self.refreshes})"

    @property
    def signed_in(self) -> bool:
        return self._access_token is not None

    def secrets(self) -> tuple[str, ...]:
        """The live tokens, for redaction only."""
        return tuple(t for t in (self._access_token, self._refresh_token) if t)

    def access_token(self) -> str:
        """The current access token, or the not-logged-in error."""
        if self._access_token is None:
            raise not_logged_in()
        return self._access_token

    # -- transitions -------------------------------------------------------------

    def start(self, tokens: TokenPair, user: dict[str, Any] | None = None) -> None:
        """Install a new session at once (a new generation)."""
        self.generation += 1
        self._access_token = tokens.access_token
        self._refresh_token = tokens.refresh_token
        self.user = user

    def clear(self) -> None:
        self.generation += 1
        self._access_token = None
        self._refresh_token = None
        self.user = None

    def clear_if_current(self, token: str) -> None:
        """End the session if ``token`` is still its access token (a newer session is left alone)."""
        if self._access_token == token:
            self.clear()

    def note_user(self, user: dict[str, Any], token: str) -> None:
        """Remember ``user`` as the signed-in user if the session is still the one of ``token``."""
        if self._access_token == token:
            self.user = user

    def _disarm(self) -> None:
        self._auto = None
        self._auto_failure = None
        self._refused = None
        self._backoff = self._not_before = 0.0

    async def sign_in(self, attempt: SignIn) -> dict[str, Any]:
        """Run ``attempt`` (login and the user lookup) and install its outcome, all or nothing.

        A failed attempt changes nothing: the previous session, if any, and the automatic
        sign-in, if armed, stay as they were. Once it succeeds automatic sign-in is off:
        the user has signed in by hand.
        """
        async with self._lock:
            tokens, user = await attempt()
            self._disarm()
            self.start(tokens, user)
            return user

    # -- automatic sign-in -------------------------------------------------------

    def arm(self, attempt: SignIn) -> None:
        """Sign in with ``attempt`` (the configured credentials) when a call first needs a session."""
        self._auto = attempt

    @property
    def signs_in_automatically(self) -> bool:
        return self._auto is not None

    @property
    def configured_refused(self) -> bool:
        """Whether the backend refused the configured credentials (they are not tried again)."""
        return self._refused is not None

    def _wait_out_backoff(self) -> None:
        """The last failure again, while the wait after a failed session check runs."""
        failure = self._auto_failure
        if failure is None or not failure.facts.get("after_login"):
            return
        left = self._not_before - anyio.current_time()
        if left > 0:
            again = failure.clone()
            if again.retryable:
                again.retry_after = left
            raise again

    def _back_off(self, failure: ApiError) -> None:
        self._backoff = min(CHECK_BACKOFF_LONGEST, max(CHECK_BACKOFF_FIRST, self._backoff * 2))
        self._not_before = anyio.current_time() + self._backoff
        if failure.retryable:
            failure.retry_after = self._backoff

    async def sign_in_automatically(self) -> None:
        """Make sure a session is open, signing in with the configured credentials if armed.

        With no session and nothing armed, nothing happens (the call meets the usual
        not-logged-in error). Calls that wait while an attempt runs get its outcome,
        so ten concurrent first calls make one login request, whatever it answers.
        """
        if self._access_token is not None:
            return
        if self._refused is not None:
            raise self._refused.clone()
        if self._auto is None:
            return
        self._wait_out_backoff()  # before the lock: a completion keystroke never queues for it
        seen = self._auto_attempts
        async with self._lock:
            if self._access_token is not None:
                return  # signed in while this call waited
            if self._refused is not None:
                raise self._refused.clone()
            if self._auto_attempts != seen and self._auto_failure is not None:
                raise self._auto_failure.clone()  # the attempt this call waited for failed
            attempt = self._auto
            if attempt is None:
                return  # a login or logout came first
            self._wait_out_backoff()
            self._auto_attempts += 1
            self._auto_failure = None  # an attempt cut short (cancelled) leaves nothing to share
            try:
                tokens, user = await attempt()
            except ApiError as exc:
                if exc.facts.get("after_login"):
                    self._back_off(exc)
                self._auto_failure = exc
                if isinstance(exc, ConfiguredCredentialsRefused):  # never tried again
                    self._auto = None
                    self._refused = exc
                raise
            self._disarm()
            self.start(tokens, user)

    # -- ending ------------------------------------------------------------------

    async def sign_out(self, farewell: SignOut, refresher: Refresher | None = None) -> bool:
        """Tell the backend (``farewell`` gets the access token), then end the session whatever it said.

        When the backend answers 401 (the access token expired), the session is
        refreshed first with ``refresher`` and the farewell said again with the new
        token, so that the backend revokes the refresh token too. Automatic sign-in
        is off from now on. Whether there was a session to end; with none and
        nothing armed, the not-logged-in error.
        """
        async with self._lock:
            armed = self._auto is not None
            self._disarm()
            if self._access_token is None:
                if armed:
                    return False
                raise not_logged_in()
            token = self._access_token
            try:
                try:
                    await farewell(token)
                except ApiError as exc:
                    if exc.status != 401 or refresher is None or self._refresh_token is None:
                        raise
                    try:
                        pair = await refresher(self._refresh_token)
                    except RefreshRejected:
                        return True  # nothing left at the backend to revoke
                    self.refreshes += 1
                    await farewell(pair.access_token)
            finally:
                self.clear_if_current(token)
            return True

    # -- refresh -----------------------------------------------------------------

    async def refresh_after(self, failed_token: str, refresher: Refresher, *, wait_s: float) -> str:
        """The access token to retry with, once every call that failed with ``failed_token`` is served.

        Waits at most ``wait_s`` seconds (the caller's own deadline) for the shared
        refresh. Raises the session-expired error (the session is then ended) when
        the backend rejects the refresh token; other failures (backend down) are
        raised to every waiter and leave the session in place.
        """
        if self._access_token is None:
            raise not_logged_in()
        if self._access_token != failed_token:
            return self._access_token  # another call already refreshed, or a new login happened
        now = anyio.current_time()
        flight = self._flight
        if flight is None or not flight.reusable(failed_token, now):
            flight = _Flight(failed_token)
            self._flight = flight
            flight.task = asyncio.get_running_loop().create_task(self._fly(flight, refresher))
        with anyio.move_on_after(max(wait_s, 0.0)):
            await flight.done.wait()
        if not flight.done.is_set():
            raise BackendTimeout(Reason.REFRESH_TIMEOUT)
        if flight.error is not None:
            raise flight.error.clone()
        assert flight.token is not None
        return flight.token

    async def _fly(self, flight: _Flight, refresher: Refresher) -> None:
        try:
            async with self._lock:
                await self._refresh(flight, refresher)
        except asyncio.CancelledError:  # the loop is closing
            flight.error = BackendUnavailable(Reason.REFRESH_INTERRUPTED)
            raise
        except Exception:
            log.exception("the session refresh failed unexpectedly")
            flight.error = InternalFailure(Reason.REFRESH_FAILED)
        finally:
            flight.ended_at = anyio.current_time()
            flight.done.set()

    async def _refresh(self, flight: _Flight, refresher: Refresher) -> None:
        if self._access_token != flight.failed_token:
            # A login, logout or another refresh came first: its outcome stands.
            if self._access_token is None:
                flight.error = not_logged_in()
            else:
                flight.token = self._access_token
            return
        if self._refresh_token is None:
            self.clear()
            flight.error = session_expired()
            return
        generation = self.generation
        try:
            pair = await refresher(self._refresh_token)
        except RefreshRejected:
            if self.generation == generation:
                self.clear()
            flight.error = session_expired()
            return
        except ApiError as exc:
            flight.error = exc
            return
        if self.generation != generation:
            # The session changed while the refresh ran (a transition outside the lock).
            if self._access_token is None:
                flight.error = not_logged_in()
            else:
                flight.token = self._access_token
            return
        self.refreshes += 1
        self._access_token = pair.access_token
        # The refresh token may rotate; keep the old one when it does not.
        self._refresh_token = pair.refresh_token or self._refresh_token
        flight.token = self._access_token
