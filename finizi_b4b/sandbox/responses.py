"""JSON answers and FastAPI-style errors, and the alternative error bodies some endpoints use.

Errors are ``{"detail": ...}``. With the alternative shapes on, a plain-string
error is answered ``{"error": "..."}`` on the vendor, product and
semantic-search paths and ``{"message": "..."}`` everywhere else (the list
form of a 422 keeps ``detail``).
"""

from __future__ import annotations

import json
from functools import partial
from http import HTTPStatus
from typing import Any

from aiohttp import web

__all__ = ["alternative_error_body", "dumps", "error", "json_response", "reason", "unauthorized"]

dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
_ERROR_KEY_PATHS = ("/vendors", "/products", "/semantic-search/")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=dumps)


def error(status: int, detail: Any, headers: dict[str, str] | None = None) -> web.HTTPException:
    """A FastAPI-style error, raised by handlers."""
    exc = web.HTTPException(headers=headers)
    exc.set_status(status)
    exc.text = dumps({"detail": detail})
    exc.content_type = "application/json"
    return exc


def unauthorized(detail: str) -> web.HTTPException:
    return error(401, detail, {"WWW-Authenticate": "Bearer"})


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def alternative_error_body(path: str, text: str) -> str | None:
    """``{"detail": "..."}`` as ``{"error": ...}`` or ``{"message": ...}``; None for anything else."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if not (isinstance(body, dict) and set(body) == {"detail"} and isinstance(body["detail"], str)):
        return None
    key = "error" if any(part in path for part in _ERROR_KEY_PATHS) else "message"
    return dumps({key: body["detail"]})
