"""The one place that hides secrets: passwords, tokens and Authorization headers.

A :class:`Redactor` knows a set of secret strings, each with its marker. Values
under secret-named keys (``password``, ``access_token``, ``refresh_token``, …)
are replaced wherever they appear, and so is any other occurrence of a known
secret inside a string.

A known secret is redacted whatever its length. One of six characters or more
is replaced wherever it occurs; a shorter one (a short password) only where
it stands as a whole word, so that it cannot eat into ordinary words, and in
JSON text only inside strings, so that the JSON stays valid.

Markers are numbered per secret and kind (``[REDACTED:access-token-1]``), so a
redacted cassette still tells tokens apart: replay can check that a request
carried the token the previous answer handed out, without knowing any token.
"""

from __future__ import annotations

import json
import re
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
_MIN_SECRET = 6  # shorter secrets are matched as whole words only, or they would redact ordinary words


_NOT_JSON: Any = object()


def _as_json(value: str) -> Any:
    """``value`` parsed, if it is a JSON object or array; else ``_NOT_JSON``."""
    head = value.lstrip()[:1]
    if head not in ("{", "["):
        return _NOT_JSON
    try:
        return json.loads(value)
    except ValueError:
        return _NOT_JSON


def is_marker(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(MARKER_PREFIX) and value.endswith("]")


class Redactor:
    """Replaces secrets by markers; the same secret always gets the same marker."""

    def __init__(self, secrets: Iterable[str | None] = (), *, numbered: bool = False) -> None:
        self._markers: dict[str, str] = {}
        self._short: dict[str, tuple[re.Pattern[str], str]] = {}
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
        if secret in self._short:
            return self._short[secret][1]
        if self._numbered:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            label = f"[REDACTED:{kind}-{self._counts[kind]}]"
        else:
            label = "[REDACTED]"
        if len(secret) >= _MIN_SECRET:
            self._markers[secret] = label
        elif secret.strip():
            whole_word = re.compile(r"(?<!\w)" + re.escape(secret) + r"(?!\w)")
            self._short[secret] = (whole_word, label)
        return label

    def add(self, *secrets: str | None, kind: str = "secret") -> None:
        """Register known secrets (any length; an empty one is ignored)."""
        for secret in secrets:
            if isinstance(secret, str) and secret.strip():
                self.marker(secret, kind)

    def _short_hit(self, value: str) -> bool:
        return any(pattern.search(value) for pattern, _ in self._short.values())

    def contains_secret(self, value: str) -> bool:
        if any(secret in value for secret in self._markers):
            return True
        if not self._short or not self._short_hit(value):
            return False
        parsed = _as_json(value)
        if parsed is _NOT_JSON:
            return True
        return self._leaf_hit(parsed)

    def _leaf_hit(self, value: Any) -> bool:
        if isinstance(value, dict):
            return any(self._leaf_hit(v) for v in value.values())
        if isinstance(value, list):
            return any(self._leaf_hit(v) for v in value)
        return isinstance(value, str) and self._short_hit(value)

    def text(self, value: str) -> str:
        for secret, label in self._markers.items():
            if secret in value:
                value = value.replace(secret, label)
        if self._short and self._short_hit(value):
            parsed = _as_json(value)
            if parsed is not _NOT_JSON:
                return json.dumps(self.value(parsed), ensure_ascii=False, separators=(",", ":"))
            for pattern, label in self._short.values():
                value = pattern.sub(label, value)
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
