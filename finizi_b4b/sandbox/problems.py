"""FastAPI's 422 answers: ``{"detail": [{"type", "loc", "msg", "input", "ctx"?}, ...]}``.

Scalars in paths, queries and headers are parsed the way FastAPI does it, by
pydantic itself, so the ``type`` and ``msg`` of each item are the real ones;
request bodies are either checked field by field (:func:`string`) or
validated against a pydantic model (:func:`validate`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pydantic
from aiohttp import web

from finizi_b4b.sandbox.responses import error

__all__ = [
    "Problems",
    "boolean",
    "date",
    "integer",
    "json_body",
    "path_id",
    "path_uuid",
    "record_id",
    "string",
    "validate",
]

M = TypeVar("M", bound=pydantic.BaseModel)
T = TypeVar("T")
_INT: pydantic.TypeAdapter[int] = pydantic.TypeAdapter(int)
_BOOL: pydantic.TypeAdapter[bool] = pydantic.TypeAdapter(bool)
_UUID: pydantic.TypeAdapter[uuid.UUID] = pydantic.TypeAdapter(uuid.UUID)
_DATE: pydantic.TypeAdapter[dt.date] = pydantic.TypeAdapter(dt.date)


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a pydantic error ``ctx`` or ``input``."""
    return json.loads(json.dumps(value, default=str))


class Problems:
    """Collects 422 items in FastAPI's list form."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, loc: list[Any], kind: str, msg: str, value: Any = None, **ctx: Any) -> None:
        item: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg, "input": value}
        if ctx:
            item["ctx"] = ctx
        self.items.append(item)

    def add_errors(self, exc: pydantic.ValidationError, *prefix: Any) -> None:
        """pydantic's errors as FastAPI reports them: under ``prefix`` (``"body"``), without the url."""
        for err in exc.errors(include_url=False):
            item = {"type": err["type"], "loc": [*prefix, *err["loc"]], "msg": err["msg"]}
            item["input"] = _plain(err.get("input"))
            if err.get("ctx"):
                item["ctx"] = _plain(err["ctx"])
            self.items.append(item)

    def raise_any(self) -> None:
        if self.items:
            raise error(422, self.items)


def _checked(problems: Problems, check: Callable[[Any], T], raw: Any, loc: Iterable[Any]) -> T | None:
    """``check(raw)``, or ``None`` with pydantic's errors added to ``problems`` under ``loc``."""
    try:
        return check(raw)
    except pydantic.ValidationError as exc:
        problems.add_errors(exc, *loc)
        return None


def _parse(problems: Problems, adapter: pydantic.TypeAdapter[Any], loc: list[Any], raw: Any) -> Any:
    return _checked(problems, adapter.validate_python, raw, loc)


def integer(
    problems: Problems, where: str, name: str, raw: str | None, default: int, low: int, high: int
) -> int:
    if raw is None:
        return default
    value = _parse(problems, _INT, [where, name], raw)
    if value is None:
        return default
    if value < low:
        message = f"Input should be greater than or equal to {low}"
        problems.add([where, name], "greater_than_equal", message, raw, ge=low)
    elif value > high:
        problems.add(
            [where, name], "less_than_equal", f"Input should be less than or equal to {high}", raw, le=high
        )
    return value


def boolean(problems: Problems, name: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    value = _parse(problems, _BOOL, ["query", name], raw)
    return default if value is None else value


def date(problems: Problems, name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    value = _parse(problems, _DATE, ["query", name], raw)
    return value.isoformat() if value is not None else None


def record_id(problems: Problems, where: str, name: str, raw: str, integer_ids: bool) -> Any:
    """An id as the backend types it: a UUID (either letter case, answered lower case) or an integer."""
    value = _parse(problems, _INT if integer_ids else _UUID, [where, name], raw)
    if value is None:
        return None
    return value if integer_ids else str(value)


def path_id(request: web.Request, name: str, integer_ids: bool = False) -> Any:
    """The id in the path, or a 422 like FastAPI's for an ``int`` or ``UUID`` path parameter."""
    problems = Problems()
    value = record_id(problems, "path", name, request.match_info[name], integer_ids)
    problems.raise_any()
    return value


def path_uuid(request: web.Request, name: str) -> str:
    return path_id(request, name, integer_ids=False)


async def json_body(request: web.Request) -> Any:
    """The JSON body, or a 422 ``json_invalid``."""
    try:
        return await request.json(loads=json.loads)
    except ValueError:
        problems = Problems()
        problems.add(["body"], "json_invalid", "JSON decode error", None)
        problems.raise_any()


async def object_body(request: web.Request) -> dict[str, Any]:
    """A JSON object body, or a 422."""
    data = await json_body(request)
    if not isinstance(data, dict):
        problems = Problems()
        problems.add(["body"], "model_attributes_type", "Input should be a valid dictionary or object", data)
        problems.raise_any()
    return data


def validate(problems: Problems, model: type[M], data: Any, *prefix: Any) -> M | None:
    """``data`` as ``model``; problems are added under ``prefix`` (``"body"``)."""
    return _checked(problems, model.model_validate, data, prefix)


def string(
    problems: Problems,
    body: dict[str, Any],
    name: str,
    *,
    required: bool,
    low: int = 0,
    high: int = 255,
    pattern: re.Pattern[str] | None = None,
) -> str | None:
    if name not in body or body[name] is None:
        if required:
            problems.add(["body", name], "missing", "Field required", body)
        return None
    value = body[name]
    if not isinstance(value, str):
        problems.add(["body", name], "string_type", "Input should be a valid string", value)
        return None
    value = value.strip()
    if len(value) < low:
        problems.add(
            ["body", name],
            "string_too_short",
            f"String should have at least {low} character",
            value,
            min_length=low,
        )
    elif len(value) > high:
        problems.add(
            ["body", name],
            "string_too_long",
            f"String should have at most {high} characters",
            value,
            max_length=high,
        )
    elif pattern is not None and not pattern.match(value):
        problems.add(
            ["body", name],
            "string_pattern_mismatch",
            f"String should match pattern '{pattern.pattern}'",
            value,
            pattern=pattern.pattern,
        )
    return value
