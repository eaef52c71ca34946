"""Typed failures of the API layer: facts only, no words for the model.

The API client and the session raise :class:`ApiError`. It carries a stable
``code``, a ``reason`` (a short machine key such as ``"status"``,
``"timeout"`` or ``"not_strict_json"``), the HTTP status, the backend's own
``detail`` text, the retry facts and the :class:`Subject` the call was about.
The tool layer (``finizi_b4b.tools.messages``) writes the sentence a model
reads from these facts; nothing under ``api/`` or in ``session.py`` does.
"""

from __future__ import annotations

from typing import Any

import attrs

from finizi_b4b.errors import ErrorCode

__all__ = ["ApiError", "Subject"]


@attrs.frozen
class Subject:
    """What a call was about: a ``kind`` (``"invoice"``, ``"entity"``, …) and its ids, innermost first."""

    kind: str
    ids: tuple[str, ...] = ()


class ApiError(Exception):
    """A call to the B4B API (or the session behind it) that did not give a usable answer."""

    def __init__(
        self,
        code: ErrorCode,
        reason: str,
        *,
        status: int | None = None,
        detail: str | None = None,
        subject: Subject | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        facts: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code.value}: {reason}" + (f" (HTTP {status})" if status else ""))
        self.code = code
        self.reason = reason
        self.status = status
        self.detail = detail
        self.subject = subject
        self.retryable = retryable
        self.retry_after = retry_after
        self.facts = dict(facts or {})

    def __repr__(self) -> str:
        return f"ApiError({self.code.value!r}, {self.reason!r}, status={self.status!r})"

    def clone(self) -> ApiError:
        """A copy, so that one shared failure can be raised in several tasks."""
        return ApiError(
            self.code,
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
