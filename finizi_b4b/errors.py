"""The one error type a tool call can end in, and its stable codes.

Every failure a user can meet becomes a :class:`ToolError`: a stable ``code`` a
program can branch on and a ``message`` that says what happened and what to do
next. A failure that may pass (the backend down, rate limiting, a timeout) is
``retryable``, with ``retry_after`` seconds when the backend said. The words
themselves are written in ``finizi_b4b.tools.messages``; they never carry a
token, a password or a raw response body.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ErrorCode", "ToolError"]


class ErrorCode(StrEnum):
    """Stable error codes; clients and tests may rely on them."""

    INVALID_ARGUMENTS = "invalid_arguments"
    UNKNOWN_TOOL = "unknown_tool"
    NOT_AUTHENTICATED = "not_authenticated"
    SESSION_EXPIRED = "session_expired"
    INVALID_CREDENTIALS = "invalid_credentials"
    MISSING_CREDENTIALS = "missing_credentials"
    # The credentials configured for the server (FINIZI_PHONE, FINIZI_PASSWORD) were refused by the API.
    CONFIGURED_CREDENTIALS_REFUSED = "configured_credentials_refused"
    # The API accepted a login, then refused the session it had just opened when it was checked.
    SESSION_CHECK_FAILED = "session_check_failed"
    READ_ONLY_MODE = "read_only_mode"
    # The tool exists, but its toolset is not among those the server was started with.
    TOOLSET_NOT_ENABLED = "toolset_not_enabled"
    # A write the user declined or cancelled when asked to confirm it: nothing was sent.
    NOT_CONFIRMED = "not_confirmed"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    VALIDATION_FAILED = "validation_failed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    BACKEND_UNAVAILABLE = "backend_unavailable"
    BACKEND_TIMEOUT = "backend_timeout"
    BACKEND_ERROR = "backend_error"
    BAD_RESPONSE = "bad_response"
    FILE_NOT_FOUND = "file_not_found"
    FILE_TOO_LARGE = "file_too_large"
    INVALID_XML = "invalid_xml"
    INTERNAL_ERROR = "internal_error"


class ToolError(Exception):
    """A failure to report to the model as an ``isError`` tool result."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        api_detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        # The backend's own words, quoted apart from ours (cleaned and cut short by the caller).
        self.api_detail = api_detail

    def __repr__(self) -> str:
        return f"ToolError({self.code.value!r}, {self.message!r})"
