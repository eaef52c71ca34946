"""The company a prompt is about, as a person names it: by name, tax id (MST) or id.

Completion offers the signed-in user's companies as ``Name (MST 0316247298)``;
:func:`company_of` turns whatever was given (such a value, a part of a name, a
tax id, an entity id) into one entity, read with the connection's own
``list_entities`` handler. When that cannot be told (nobody signed in, no
match, several, the API down), the prompt asks the model to find the company
first rather than failing: a prompt is a plan, and the plan can start there.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import anyio
import attrs

from finizi_b4b.api.fields import TAX_ID
from finizi_b4b.paths import is_text
from finizi_b4b.validation import ID_PATTERN, whole_value

__all__ = ["MAX_COMPANY", "Company", "company_of", "company_problem", "fold", "offered", "read_entities"]

MAX_COMPANY = 200
TIMEOUT = 10.0  # seconds to read the companies, for a completion or a prompt
_ID = re.compile(whole_value(ID_PATTERN))
_OFFERED = re.compile(r"\(MST ([0-9]{10,14}(?:-[0-9]{3})?)\)\Z")
_SHOWN = 5  # candidates named when several companies match


def fold(text: str) -> str:
    """``text`` in lower case without diacritics (``đ`` as ``d``), for matching what people type."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def company_problem(value: str) -> str | None:
    if not value.strip() or len(value) > MAX_COMPANY or not is_text(value):
        return f"must be a company's name, tax id (MST) or id, of at most {MAX_COMPANY} characters"
    return None


def offered(item: dict[str, Any]) -> str:
    """A company as completion offers it: its name and tax id, which :func:`company_of` reads back."""
    name, tax_id = str(item.get("name") or "").strip(), str(item.get("tax_id") or "").strip()
    if not name:
        return str(item.get("id", ""))
    return f"{name} (MST {tax_id})" if tax_id else name


def _described(item: dict[str, Any]) -> str:
    tax_id = f"MST {item['tax_id']}, " if item.get("tax_id") else ""
    return f"{item.get('name') or 'the company'} ({tax_id}entity_id {item['id']})"


async def read_entities(ctx: Any) -> list[dict[str, Any]] | None:
    """The signed-in user's entities (signing in first when credentials are configured, as a tool call
    would), or None when they cannot be read in time."""
    from finizi_b4b.tools.base import Call

    runtime = ctx.lifespan_context
    with anyio.move_on_after(TIMEOUT):
        list_entities = runtime.handler("list_entities")  # opens the connection's client if need be
        await runtime.session.sign_in_automatically()
        answer = await list_entities(Call({"detailed": False}))
        return [item for item in answer["data"]["items"] if item.get("id") is not None]
    return None


def matches(typed: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The companies ``typed`` names: by tax id (alone, or as completion offers it), by id, by the whole
    name, else by a part of it (case and accents aside)."""
    typed = typed.strip()
    shown = _OFFERED.search(typed)
    tax_id = shown.group(1) if shown else typed if TAX_ID.fullmatch(typed) else None
    if tax_id:
        found = [i for i in items if str(i.get("tax_id") or "").strip() == tax_id]
        if found:
            return found
    found = [i for i in items if str(i["id"]).lower() == typed.lower()]
    if found:
        return found
    needle = fold(typed[: shown.start()] if shown else typed).strip()
    if not needle:
        return []
    whole = [i for i in items if fold(str(i.get("name") or "")).strip() == needle]
    return whole or [i for i in items if needle in fold(str(i.get("name") or ""))]


@attrs.frozen
class Company:
    """The entity a prompt is about (None: the model is to find it first), and how the prompt names it."""

    entity_id: str | None
    label: str
    candidates: tuple[str, ...] = ()

    @property
    def first_step(self) -> str | None:
        """What the prompt asks first when the company is not told yet."""
        if self.entity_id is not None:
            return None
        among = f" It may be one of: {'; '.join(self.candidates)}." if self.candidates else ""
        return (
            f"First find {self.label}: call list_entities and take the company whose name or tax id (MST) "
            f"matches it; if none or several do, ask the user which company they mean.{among} Use its id "
            "as entity_id in the calls below."
        )


async def company_of(ctx: Any, value: str) -> Company:
    """The one company ``value`` names among the user's, if it can be told."""
    typed = value.strip()
    try:
        items = await read_entities(ctx)
    except anyio.get_cancelled_exc_class():
        raise
    except Exception:  # not signed in, the API down: the model finds the company itself
        items = None
    if items is None and _ID.match(typed):
        return Company(typed, f"entity {typed}")
    found = matches(typed, items or [])
    if len(found) == 1:
        return Company(str(found[0]["id"]), _described(found[0]))
    candidates = tuple(_described(item) for item in found[:_SHOWN])
    return Company(None, "the company " + json.dumps(typed, ensure_ascii=False), candidates)
