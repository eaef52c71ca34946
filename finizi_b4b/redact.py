"""The one place that hides secrets: passwords, tokens and Authorization headers.

A :class:`Redactor` knows a set of secret strings, each with its marker. Values
under secret-named keys (``password``, ``access_token``, ``refresh_token``, …)
are replaced wherever they appear, and so is any other occurrence of a known
secret inside a string.

Markers are numbered per secret and kind (``[REDACTED:access-token-1]``), so a
redacted cassette still tells tokens apart: replay can check that a request
carried the token the previous answer handed out, without knowing any token.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["MARKER_PREFIX", "SECRET_KEYS", "Redactor", "is_marker"]

MARKER_PREFIX = "[REDACTED"
# Keys whose values are secret wherever they appear, and the kind of secret they hold.
SECRET_KEYS = {
    "password": "password",
    "access_token": "access-token",
    "refresh_token": "refresh-token",
    "authorization": "authorization",
    "token": "token",
}
_MIN_SECRET = 6  # shorter strings would redact ordinary words


def is_marker(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(MARKER_PREFIX) and value.endswith("]")


class Redactor:
    """Replaces secrets by markers; the same secret always gets the same marker."""

    def __init__(self, secrets: Iterable[str | None] = (), *, numbered: bool = False) -> None:
        self._markers: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._numbered = numbered
        self.add(*secrets)

    def marker(self, secret: str, kind: str = "secret") -> str:
        """The marker of ``secret``, registering it on first sight."""
        if is_marker(secret):
            return secret
        known = self._markers.get(secret)
        if known is not None:
            return known
        if self._numbered:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            label = f"[REDACTED:{kind}-{self._counts[kind]}]"
        else:
            label = "[REDACTED]"
        if len(secret) >= _MIN_SECRET:
            self._markers[secret] = label
        return label

    def add(self, *secrets: str | None, kind: str = "secret") -> None:
        for secret in secrets:
            if secret and len(secret) >= _MIN_SECRET:
                self.marker(secret, kind)

    def contains_secret(self, value: str) -> bool:
        return any(secret in value for secret in self._markers)

    def text(self, value: str) -> str:
        for secret, label in self._markers.items():
            if secret in value:
                value = value.replace(secret, label)
        return value

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like value with secrets replaced."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                kind = SECRET_KEYS.get(key.lower()) if isinstance(key, str) else None
                if kind is not None and isinstance(item, str):
                    out[key] = self.marker(item, kind)
                else:
                    out[key] = self.value(item)
            return out
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value
