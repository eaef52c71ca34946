"""Typed failures of the API layer: facts only, no words for the model.

The API client raises an :class:`ApiError` subclass per kind of failure, as
gidgethub does: :class:`NotFound`, :class:`Conflict`, :class:`RateLimited`,
:class:`BadResponse`, ... Each kind carries its stable ``code`` (the value a
tool result shows as ``code``) and whether it may pass (``retryable``). An
error also holds a :class:`Reason` (a machine key such as ``Reason.TIMEOUT``
or ``Reason.MALFORMED``), the HTTP status, the backend's own ``detail``, the
retry facts and the :class:`Subject` the call was about. The layers above
write the sentence a model reads from these facts; nothing under ``api/``
does, and nothing here imports from above ``api/``.

HTTP statuses are mapped to these kinds in one place, ``sansio.error_for``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

import attrs

__all__ = [
    "ApiError",
    "BackendError",
    "BackendTimeout",
    "BackendUnavailable",
    "BadResponse",
    "ConfiguredCredentialsRefused",
    "Conflict",
    "InternalFailure",
    "InvalidCredentials",
    "NotAuthenticated",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "Reason",
    "RefreshRejected",
    "RequestRefused",
    "SessionCheckFailed",
    "SessionExpired",
    "Subject",
    "ValidationFailed",
]


class Reason(StrEnum):
    """Why a call failed, as a machine key; the words are chosen above the API layer."""

    STATUS = "status"  # the HTTP status says it all
    NO_MATCH = "no_match"  # a search that found nothing (a 200 with nothing in it)
    REDIRECT = "redirect"
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    NOT_STRICT_JSON = "not_strict_json"
    MALFORMED = "malformed"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    BAD_TOKEN = "bad_token"  # noqa: S105 (the name of a failure, not a secret)
    TIMEOUT = "timeout"
    CONNECT = "connect"
    CREDENTIALS = "credentials"
    CONFIGURED_CREDENTIALS = "configured_credentials"
    SESSION_CHECK = "session_check"
    NOT_LOGGED_IN = "not_logged_in"
    NOT_THE_API = "not_the_api"  # an answer the API never gives (501 from a plain web server)
    SESSION_EXPIRED = "session_expired"
    REFRESH_TIMEOUT = "refresh_timeout"
    REFRESH_INTERRUPTED = "refresh_interrupted"
    REFRESH_FAILED = "refresh_failed"


@attrs.frozen
class Subject:
    """What a call was about: a ``kind`` (``"invoice"``, ``"entity"``, …) and its ids, innermost first."""

    kind: str
    ids: tuple[str, ...] = ()


class ApiError(Exception):
    """A call to the B4B API (or the session behind it) that did not give a usable answer."""

    code: ClassVar[str] = "backend_error"
    may_pass: ClassVar[bool] = False

    def __init__(
        self,
        reason: Reason = Reason.STATUS,
        *,
        status: int | None = None,
        detail: str | None = None,
        subject: Subject | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        facts: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{self.code}: {reason.value}" + (f" (HTTP {status})" if status else ""))
        self.reason = reason
        self.status = status
        self.detail = detail
        self.subject = subject
        self.retryable = self.may_pass if retryable is None else retryable
        self.retry_after = retry_after
        self.facts = dict(facts or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason.value!r}, status={self.status!r})"

    def clone(self) -> ApiError:
        """A copy, so that one shared failure can be raised in several tasks."""
        return type(self)(
            self.reason,
            status=self.status,
            detail=self.detail,
            subject=self.subject,
            retryable=self.retryable,
            retry_after=self.retry_after,
            facts=self.facts,
        )

    def about(self, subject: Subject) -> ApiError:
        """This error, naming ``subject`` if it names nothing yet."""
        if self.subject is None:
            self.subject = subject
        return self


class NotAuthenticated(ApiError):
    code = "not_authenticated"


class SessionExpired(ApiError):
    code = "session_expired"


class InvalidCredentials(ApiError):
    code = "invalid_credentials"


class ConfiguredCredentialsRefused(ApiError):
    """The credentials configured for the server (not given in the conversation) were refused."""

    code = "configured_credentials_refused"


class SessionCheckFailed(ApiError):
    """The API accepted a login, then refused the new session when it was checked."""

    code = "session_check_failed"


class NotFound(ApiError):
    """A 404, or a 403 on another entity's object (the same, so that ids cannot be probed)."""

    code = "not_found"


class Conflict(ApiError):
    code = "conflict"


class ValidationFailed(ApiError):
    code = "validation_failed"


class PayloadTooLarge(ApiError):
    code = "payload_too_large"


class RateLimited(ApiError):
    code = "rate_limited"
    may_pass = True


class BackendUnavailable(ApiError):
    code = "backend_unavailable"
    may_pass = True


class BackendTimeout(ApiError):
    code = "backend_timeout"
    may_pass = True


class BackendError(ApiError):
    """A 5xx the retry policy does not retry (and whose body is never read into an error)."""

    code = "backend_error"


class RequestRefused(BackendError):
    """A 4xx of no other kind (405, 418, ...): the API refused the request as such."""


class BadResponse(ApiError):
    """An answer the client cannot use: not JSON, malformed, too large, out of range."""

    code = "bad_response"


class InternalFailure(ApiError):
    """Something in the client itself failed (logged where it happened)."""

    code = "internal_error"


class RefreshRejected(Exception):
    """The backend refused the refresh token (expired, revoked or rotated away)."""
