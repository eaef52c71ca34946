"""The one retry policy of the API client.

A request is repeated only when repeating it is safe: a GET, or a write that
carries an ``Idempotency-Key`` (the backend answers a repeated key with the
first answer instead of acting twice). It is repeated only after a failure that
may pass: no connection, a timeout, or HTTP 429, 502, 503 or 504. At most
``attempts`` attempts, with exponential backoff and full jitter
(``random() * min(cap, base * 2**n)``). A ``Retry-After`` of at most
``max_retry_after`` seconds replaces the backoff; a longer one ends the call at
once, and the error says when to try again. No wait may run past the call's
deadline.

``random`` and ``sleep`` are injectable, so that tests need not wait.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import anyio
import attrs

from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.transport import ApiRequest

__all__ = ["RetryPolicy", "call_deadline_for"]


def call_deadline_for(request_timeout: float) -> float:
    """The default limit of all attempts of one call: three attempts plus the backoff between them."""
    return 3 * request_timeout + 1.0


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@attrs.frozen
class RetryPolicy:
    attempts: int = 3
    base: float = 0.25
    cap: float = 4.0
    max_retry_after: float = 10.0
    random: Callable[[], float] = random.random
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep

    @classmethod
    def never(cls) -> RetryPolicy:
        return cls(attempts=1)

    def repeatable(self, request: ApiRequest) -> bool:
        return request.method.upper() in _SAFE_METHODS or request.header("Idempotency-Key") is not None

    def backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 for the first retry)."""
        return self.random() * min(self.cap, self.base * 2 ** (retry - 1))

    def wait_before_retry(self, failure: ApiError, attempt: int, remaining: float) -> float | None:
        """How long to wait before attempt ``attempt + 1``, or ``None`` when the failure is final."""
        if not failure.retryable or attempt >= self.attempts:
            return None
        if failure.retry_after is not None:
            if failure.retry_after > self.max_retry_after:
                return None
            wait = failure.retry_after
        else:
            wait = self.backoff(attempt)
        return wait if wait < remaining else None
