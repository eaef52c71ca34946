"""The one place that reads configuration from the environment.

Every problem found here is a :class:`ConfigError` whose message is one line
that names the setting and says what it accepts; the command prints it and
exits with status 2 before anything starts. A message never repeats a value
that may hold a secret.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import attrs

from finizi_b4b.api.fields import API
from finizi_b4b.api.retry import call_deadline_for

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_TOOLSETS",
    "LOG_LEVELS",
    "TOOLSETS",
    "TOOLSET_WORDS",
    "ConfigError",
    "Settings",
    "api_base_url",
    "flag",
    "log_level",
    "plain_phone",
    "toolsets",
]

DEFAULT_API_URL = "https://admin.finizi.ai"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# The toolsets, in the order they are listed; the default serves every one that does not move money.
TOOLSETS = ("core", "invoices", "reports", "registry", "payments")
DEFAULT_TOOLSETS = ("core", "invoices", "reports", "registry")
# What each toolset holds, in the words of the docs and the help.
TOOLSET_WORDS = {
    "core": "Signing in and out, the user, and the companies (entities). Always served.",
    "invoices": "Invoices, vendors and products: lists, reads, one-call summaries, and the import of "
    "e-invoice XML.",
    "reports": "Tax reports (generated and checked against the invoices, or sent on to HTKK), the trial "
    "balance and the general ledger.",
    "registry": "The company registry: the record of a tax id (MST), and a check of a period's suppliers "
    "against it.",
    "payments": "An invoice's payments, and recording one. Not served by default, since it records money "
    "paid: add it with FINIZI_B4B_TOOLSETS.",
}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_PHONE_SEPARATORS = str.maketrans("", "", " .-")


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line, fit to show as it is."""


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw[:40]!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a finite number of seconds above 0, got {raw[:40]!r}")
    return value


def flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    """A yes/no setting: 1, true, yes or on; 0, false, no or off (any case); unset is ``default``."""
    raw = env.get(name, "")
    value = raw.strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(
        f"{name} must be 1, true, yes or on, or 0, false, no or off (any case), got {raw[:40]!r}"
    )


def toolsets(raw: str | None, *, source: str = "FINIZI_B4B_TOOLSETS") -> tuple[str, ...]:
    """The toolsets named in ``raw`` (comma-separated, any case; ``all`` for every one), in their
    order, with ``core`` always; unset or empty gives :data:`DEFAULT_TOOLSETS`."""
    names = [part.strip().lower() for part in (raw or "").split(",") if part.strip()]
    if not names:
        return DEFAULT_TOOLSETS
    unknown = [name for name in names if name not in (*TOOLSETS, "all")]
    if unknown:
        raise ConfigError(
            f"{source} names unknown toolsets ({', '.join(repr(n[:40]) for n in unknown[:5])}); "
            f"the toolsets are {', '.join(TOOLSETS)}, or all"
        )
    chosen = set(TOOLSETS) if "all" in names else {"core", *names}
    return tuple(name for name in TOOLSETS if name in chosen)


def plain_phone(phone: str) -> str:
    """A phone number as the API takes it: without the spaces, dots and dashes people write in it."""
    return phone.strip().translate(_PHONE_SEPARATORS)


def log_level(value: str | None, *, source: str = "--log-level") -> str:
    """``value`` as one of :data:`LOG_LEVELS` (any case), or a :class:`ConfigError` naming ``source``."""
    chosen = (value or "").strip().upper()
    if chosen not in LOG_LEVELS:
        raise ConfigError(f"{source} must be one of {', '.join(LOG_LEVELS)}, got {(value or '')[:40]!r}")
    return chosen


def api_base_url(raw: str, *, name: str = "FINIZI_API_URL") -> str:
    """The API's base address (scheme, host and port) from what a user may write.

    ``https://host``, ``https://host/`` and ``https://host/api/v1`` (with or
    without a final ``/``) all mean the same API. Another path, a query, a
    fragment, or a ``user:password@`` part is refused.
    """
    value = raw.strip()
    try:
        parts = urlsplit(value)
    except ValueError:  # a broken [IPv6] address
        parts = None
    if "@" in (value if parts is None else parts.netloc):
        # user, user:password, or an empty one; the value itself is never shown: it holds a password.
        raise ConfigError(
            f"{name} must not contain a user name or password (user:password@); "
            "set FINIZI_PHONE and FINIZI_PASSWORD instead"
        )
    shown = value[:200]
    try:
        if parts is None:
            raise ValueError(shown)
        port = parts.port
    except ValueError:
        raise ConfigError(f"{name} has a port or host that is not valid, got {shown!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http:// or https:// address with a host name, got {shown!r}")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ConfigError(f"{name} must not contain spaces or control characters, got {shown!r}")
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ConfigError(f"{name} must not have a query or fragment (?… or #…), got {shown!r}")
    path = parts.path.rstrip("/")
    if path not in ("", API):
        raise ConfigError(
            f"{name} must be the API's address, such as {DEFAULT_API_URL} or {DEFAULT_API_URL}{API}; "
            f"the path {parts.path!r} is not the API's"
        )
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


@attrs.frozen
class Settings:
    """What the server needs to know; ``password`` never appears in ``repr``."""

    api_url: str = DEFAULT_API_URL
    phone: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    request_timeout: float = 30.0
    connect_timeout: float = 10.0
    record_path: str | None = None
    # The limit of one tool call in all (requests, retries, pages, files); None: 3 x request_timeout + 1 s.
    call_deadline: float | None = None
    # Read-only mode: the tools that change data in Finizi are neither listed nor run.
    read_only: bool = False
    # The toolsets served (core always); FINIZI_B4B_TOOLSETS, --toolsets.
    toolsets: tuple[str, ...] = DEFAULT_TOOLSETS
    # Lockdown: free text written by third parties is withheld unless a tool argument asks for it.
    lockdown: bool = False
    # Whether writes (and a login switching accounts) are confirmed with the user, where the client can ask.
    confirm_writes: bool = True
    # The phones of the embedded sandbox's demo accounts when serving it (serve --sandbox); else empty.
    sandbox_phones: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from ``env`` (the process environment by default); a :class:`ConfigError` if wrong."""
        env = os.environ if env is None else env
        return cls(
            api_url=api_base_url(env.get("FINIZI_API_URL", "").strip() or DEFAULT_API_URL),
            phone=plain_phone(env.get("FINIZI_PHONE", "")) or None,
            password=env.get("FINIZI_PASSWORD") or None,
            request_timeout=_seconds(env, "FINIZI_B4B_TIMEOUT", 30.0),
            record_path=env.get("FINIZI_B4B_RECORD", "").strip() or None,
            call_deadline=_seconds(env, "FINIZI_B4B_CALL_DEADLINE", 0.0) or None,
            read_only=flag(env, "FINIZI_B4B_READ_ONLY"),
            toolsets=toolsets(env.get("FINIZI_B4B_TOOLSETS")),
            lockdown=flag(env, "FINIZI_B4B_LOCKDOWN"),
            confirm_writes=flag(env, "FINIZI_B4B_CONFIRM_WRITES", default=True),
        )

    @property
    def deadline(self) -> float:
        """The time one tool call may take in all (every request, retry, page and file of it), in
        seconds: ``FINIZI_B4B_CALL_DEADLINE``, else three request timeouts plus one second."""
        return self.call_deadline or call_deadline_for(self.request_timeout)

    @property
    def api_host(self) -> str:
        """The API's host (and port), for log lines."""
        return urlsplit(self.api_url).netloc

    @property
    def signs_in(self) -> bool:
        """Whether credentials are configured, so that the first call that needs a session signs in."""
        return bool(self.phone and self.password)

    @property
    def missing_credential(self) -> str | None:
        """The setting that is missing when only one of FINIZI_PHONE and FINIZI_PASSWORD is set."""
        if bool(self.phone) == bool(self.password):
            return None
        return "FINIZI_PASSWORD" if self.phone else "FINIZI_PHONE"

    def credentials(self) -> str:
        """Whether sign-in credentials are configured, in words (never their values)."""
        if self.phone and self.password:
            return "credentials configured (FINIZI_PHONE, FINIZI_PASSWORD): signs in on the first call"
        if self.missing_credential:
            return f"credentials incomplete ({self.missing_credential} is not set)"
        return "no credentials configured (login needs a phone and password)"
