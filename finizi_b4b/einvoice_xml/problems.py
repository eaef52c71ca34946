"""What can be wrong with an e-invoice XML, as codes and facts: the words are chosen by whoever shows them.

An :class:`InvoiceXMLError` carries one :class:`XmlProblem` and the facts that
name it: the ``path`` of the element (``HDon/DLHDon/TTChung/SHDon``), the
``value`` found there cut to :data:`SHOWN` characters, the amounts compared
(``found`` and ``expected``, as decimals), the encoding, or where the parser
stopped. The server words them in ``finizi_b4b.tools.messages``; the sandbox,
playing the backend, words them itself.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = ["SHOWN", "InvoiceXMLError", "XmlProblem", "shown"]

SHOWN = 40  # characters of a value from the document carried as a fact


class XmlProblem(StrEnum):
    """One problem of an e-invoice XML; the comment names the facts it carries."""

    # The document as XML.
    NOT_WELL_FORMED = "not_well_formed"  # code (expat's error code), line, column
    DOCTYPE = "doctype"  # a document type declaration
    ENTITY = "entity"  # an entity declaration or an external entity
    # Its encoding.
    UNPAIRED_SURROGATE = "unpaired_surrogate"  # code_point, at (the character's index)
    UNSUPPORTED_ENCODING = "unsupported_encoding"  # encoding (as declared)
    ENCODING_MISMATCH = "encoding_mismatch"  # encoding: declared, but the bytes are not in it
    UNDECODABLE = "undecodable"  # encoding, byte (the offset of the first byte that is not)
    # The invoice.
    WRONG_ROOT = "wrong_root"  # value (the root's tag)
    MISSING = "missing"  # path
    EMPTY = "empty"  # path
    NOT_A_NUMBER = "not_a_number"  # path, value
    NEGATIVE = "negative"  # path, value (below zero, or NaN or infinity)
    OUT_OF_RANGE = "out_of_range"  # path, value
    NOT_A_VAT_RATE = "not_a_vat_rate"  # path, value
    BAD_TAX_ID = "bad_tax_id"  # path, value
    BAD_SERIES = "bad_series"  # path, value
    BAD_NUMBER = "bad_number"  # path, value
    BAD_DATE = "bad_date"  # path, value
    NO_LINES = "no_lines"  # path (of the line list)
    LINE_MISMATCH = "line_mismatch"  # path (ThTien), found, expected (SLuong x DGia)
    BEFORE_TAX_MISMATCH = "before_tax_mismatch"  # path (TgTCThue), found, expected (the lines' sum)
    TOTAL_MISMATCH = "total_mismatch"  # path (TgTTTBSo), found, expected (TgTCThue + TgTThue)


def shown(value: object) -> str:
    """A value from the document as a fact: cut to :data:`SHOWN` characters, so that a reason stays a line."""
    text = str(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


class InvoiceXMLError(ValueError):
    """The XML is not well-formed, unsafe, or not a complete national e-invoice: a problem and its facts."""

    def __init__(self, problem: XmlProblem, **facts: Any) -> None:
        super().__init__(problem, facts)
        self.problem = problem
        self.facts = facts

    def __str__(self) -> str:  # for logs and tracebacks: the code and the facts, not a sentence
        return f"{self.problem.value} {self.facts!r}"
