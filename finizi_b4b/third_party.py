"""Text written by third parties in a result: flagged where it reads like instructions, withheld in lockdown.

The API client cleans every string of an answer where it is read
(``api/sansio.py``, with :mod:`finizi_b4b.api.untrusted`). Here, just before a
result goes out, its free-text fields (names, addresses, descriptions, notes:
:data:`FREE_TEXT`) are read once more:

- a field that reads like instructions to an AI model (role markers, "ignore
  previous instructions", chat-template tokens, tool-call markup, sentences
  addressed to an assistant; see ``api/instructions.py``) is kept as data, and
  the result gets a ``warnings`` entry naming the record and the field;
- in lockdown mode, the free text of notes (:data:`NOTES`) is withheld, and a
  line description is cut to the product name it starts with, unless the call
  asked for them (``include_free_text``); names and amounts stay.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from finizi_b4b.api.instructions import any_instruction_like, instruction_like

__all__ = ["FREE_TEXT", "MAX_WARNINGS", "NOTES", "flag", "lock_down"]

# Free text beyond names: withheld in lockdown unless asked for.
NOTES = frozenset({"notes", "note", "memo", "remarks", "remark", "comment", "comments"})
# Fields whose text was written by someone else (an invoice issuer, a vendor, whoever named a product).
FREE_TEXT = NOTES | {
    "seller_name", "buyer_name", "seller_address", "buyer_address", "vendor_name", "name", "address",
    "description",
}  # fmt: skip
MAX_WARNINGS = 20
_NAME_CHARS = 80  # a line description in lockdown: the product name it starts with, at most this long
_RECORD_KEYS = ("id", "invoice_id", "vendor", "file")
_CONTAINERS = frozenset({dict, list})
# Free texts found not to read like instructions (a pure function of the text, so exact), at most
# _PLAIN_LIMIT of at most _PLAIN_CHARS characters each: a page of invoices from known sellers costs a walk.
_PLAIN: dict[str, None] = {}
_PLAIN_LIMIT = 1024
_PLAIN_CHARS = 160


def _record(node: dict[str, Any]) -> Any:
    return next((node[key] for key in _RECORD_KEYS if isinstance(node.get(key), str | int)), None)


def _free_texts(payload: dict[str, Any]) -> list[str]:
    """The strings of every free-text field in ``payload``, a level at a time, in C where it can be: the
    records of a list are looked into value by value only when one of them holds a dict or a list."""
    texts: list[str] = []
    stack: list[list[Any]] = [[payload]]
    while stack:
        values = stack.pop()
        records = [value for value in values if type(value) is dict]
        if records:
            texts += [
                text for node in records for key in node.keys() & FREE_TEXT if type(text := node[key]) is str
            ]
            inner = list(chain.from_iterable(map(dict.values, records)))
            if not _CONTAINERS.isdisjoint(map(type, inner)):
                stack.append(inner)
        if len(records) != len(values):
            stack.append(list(chain.from_iterable(value for value in values if type(value) is list)))
    return texts


def _unseen(texts: list[str]) -> list[str]:
    """``texts`` once each, but those already found not to read like instructions."""
    return [text for text in dict.fromkeys(texts) if text not in _PLAIN]


def _remember(texts: list[str]) -> None:
    """Remember short texts found not to read like instructions: names and addresses come back often."""
    if len(_PLAIN) + len(texts) > _PLAIN_LIMIT:
        _PLAIN.clear()
    _PLAIN.update((text, None) for text in texts[:_PLAIN_LIMIT] if len(text) <= _PLAIN_CHARS)


def flag(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Warnings for the free-text fields of ``payload`` that read like instructions to a model."""
    texts = _unseen(_free_texts(payload))
    if not texts:
        return []
    if not any_instruction_like(texts):
        _remember(texts)
        return []  # the common case: one search over every new free-text field at once
    found: list[dict[str, Any]] = []
    stack: list[tuple[Any, str, Any]] = [(payload, "", None)]
    while stack:
        node, path, record = stack.pop()
        if isinstance(node, dict):
            record = _record(node) or record
            for key, value in node.items():
                where = f"{path}.{key}" if path else str(key)
                if isinstance(value, str):
                    if key in FREE_TEXT and (reason := instruction_like(value)) is not None:
                        found.append({"record": record, "field": where, "reads_like": reason})
                elif isinstance(value, dict | list):
                    stack.append((value, where, record))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{index}]", record) for index, item in enumerate(node))
    found.sort(key=lambda w: w["field"])
    return found


def lock_down(payload: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``payload`` without the notes written by others and with line descriptions cut to a product name;
    how many fields were withheld or cut. The payload is copied where it changes, never changed."""
    withheld = 0

    def walk(node: Any, in_lines: bool) -> Any:
        nonlocal withheld
        if isinstance(node, list):
            return [walk(item, in_lines) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in NOTES and isinstance(value, str) and value:
                withheld += 1
                continue
            if in_lines and key == "description" and isinstance(value, str):
                name = value.split("\n", 1)[0][:_NAME_CHARS]
                if name != value:
                    withheld += 1
                out[key] = name
                continue
            out[key] = walk(value, key == "line_items")
        return out

    return walk(payload, False), withheld
