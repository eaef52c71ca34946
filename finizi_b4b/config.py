"""The one place that reads configuration from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

import attrs

__all__ = ["DEFAULT_API_URL", "Settings"]

DEFAULT_API_URL = "https://admin.finizi.ai"


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return value


@attrs.frozen
class Settings:
    """What the server needs to know; ``password`` never appears in ``repr``."""

    api_url: str = DEFAULT_API_URL
    phone: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    request_timeout: float = 30.0
    connect_timeout: float = 10.0
    record_path: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        url = env.get("FINIZI_API_URL", "").strip() or DEFAULT_API_URL
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"FINIZI_API_URL must start with http:// or https://, got {url!r}")
        return cls(
            api_url=url.rstrip("/"),
            phone=env.get("FINIZI_PHONE", "").strip() or None,
            password=env.get("FINIZI_PASSWORD") or None,
            request_timeout=_float(env, "FINIZI_B4B_TIMEOUT", 30.0),
            record_path=env.get("FINIZI_B4B_RECORD", "").strip() or None,
        )
