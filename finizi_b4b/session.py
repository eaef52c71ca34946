"""The process-wide session: one signed-in user for the life of the process.

A desktop client spawns one server process per connection, so one store shared
by every handler is the right scope (a per-request or per-context store loses
the token between calls). Tokens live in memory only and never appear in
``repr``, logs or results.

Refreshing is single-flight: when several calls fail with 401 on the same
expired token, the first one to take the lock refreshes; the others find a
newer token when they get the lock and simply retry with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from finizi_b4b.errors import ErrorCode, ToolError

if TYPE_CHECKING:
    from finizi_b4b.api.models import TokenPair

__all__ = ["SESSION_EXPIRED", "SessionStore"]

SESSION_EXPIRED = (
    "Your session has expired and could not be renewed. Please log in again using the 'login' tool."
)

Refresher = Callable[[str], Awaitable["TokenPair"]]


class RefreshRejected(Exception):
    """The backend refused the refresh token (expired, revoked or rotated away)."""


@attrs.define(repr=False)
class SessionStore:
    """Access token, refresh token and the signed-in user, shared by every handler."""

    _access_token: str | None = None
    _refresh_token: str | None = None
    user: dict[str, Any] | None = None
    refreshes: int = 0
    _lock: anyio.Lock = attrs.field(factory=anyio.Lock)

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
            raise ToolError.not_logged_in()
        return self._access_token

    def start(self, tokens: TokenPair, user: dict[str, Any] | None = None) -> None:
        self._access_token = tokens.access_token
        self._refresh_token = tokens.refresh_token
        self.user = user

    def clear(self) -> None:
        self._access_token = None
        self._refresh_token = None
        self.user = None

    async def refresh_after(self, failed_token: str, refresher: Refresher) -> str:
        """Renew the access token once for every call that failed with ``failed_token``.

        Returns the token to retry with. Raises the session-expired error (and
        clears the session) when the backend rejects the refresh token; other
        failures (backend down) propagate and leave the session in place.
        """
        async with self._lock:
            if self._access_token is None:
                raise ToolError.not_logged_in()
            if self._access_token != failed_token:
                return self._access_token  # another call already refreshed
            if self._refresh_token is None:
                self.clear()
                raise ToolError(ErrorCode.SESSION_EXPIRED, SESSION_EXPIRED)
            try:
                pair = await refresher(self._refresh_token)
            except RefreshRejected:
                self.clear()
                raise ToolError(ErrorCode.SESSION_EXPIRED, SESSION_EXPIRED) from None
            self.refreshes += 1
            self._access_token = pair.access_token
            # The refresh token may rotate; keep the old one when it does not.
            self._refresh_token = pair.refresh_token or self._refresh_token
            return self._access_token
