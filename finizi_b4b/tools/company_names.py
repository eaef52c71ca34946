"""Company names compared as people write them: case, accents, punctuation and legal-form words folded.

Two names are the same company name when they say the same words and the
same legal form, however each writes them. :func:`name_key` folds a name:
lower case, Vietnamese diacritics removed (``đ`` as ``d``), punctuation and
runs of spaces as one space; then each legal-form phrase becomes one token
of its form, in whichever language or abbreviation it is written:

- ``tnhh``: TNHH, trách nhiệm hữu hạn, Co., Ltd, Ltd, Limited, LLC;
- ``mtv`` (single-member, beside ``tnhh``): MTV, một thành viên, one member;
- ``cp``: cổ phần, CP, CTCP, JSC, joint stock;
- ``dntn``: doanh nghiệp tư nhân, DNTN, private enterprise;
- ``htx``: hợp tác xã, HTX, cooperative;
- ``cn`` (a branch): chi nhánh, branch.

"Công ty", "Cty", "company" and a final "Co." say no form and are dropped.
The forms are a set and the other words keep their order, so "Công ty TNHH
Sao Mai" and "SAO MAI CO., LTD" are the same name, while "Công ty Cổ phần Sao
Mai" is the same words under another legal form (:func:`difference` says
``legal_form``), and "Công ty TNHH Sao Mai Việt" another name (``name``).
"""

from __future__ import annotations

import unicodedata

import attrs

__all__ = ["NameKey", "difference", "fold", "name_key"]

# Legal-form phrases (folded words) and the token of their form; "" for words that say no form.
_PHRASES: dict[tuple[str, ...], str] = {
    ("trach", "nhiem", "huu", "han"): "tnhh",
    ("tnhh",): "tnhh",
    ("co", "ltd"): "tnhh",
    ("ltd",): "tnhh",
    ("limited", "liability"): "tnhh",
    ("limited",): "tnhh",
    ("llc",): "tnhh",
    ("mot", "thanh", "vien"): "mtv",
    ("mtv",): "mtv",
    ("one", "member"): "mtv",
    ("co", "phan"): "cp",
    ("cp",): "cp",
    ("ctcp",): "cp",
    ("jsc",): "cp",
    ("joint", "stock"): "cp",
    ("doanh", "nghiep", "tu", "nhan"): "dntn",
    ("dntn",): "dntn",
    ("private", "enterprise"): "dntn",
    ("hop", "tac", "xa"): "htx",
    ("htx",): "htx",
    ("cooperative",): "htx",
    ("chi", "nhanh"): "cn",
    ("branch",): "cn",
    ("cong", "ty"): "",
    ("cty",): "",
    ("company",): "",
}
_LONGEST = max(len(phrase) for phrase in _PHRASES)


def fold(text: str) -> str:
    """``text`` in lower case without diacritics, punctuation or repeated spaces."""
    text = text.replace("đ", "d").replace("Đ", "D")
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch if ch.isalnum() else " " for ch in folded if not unicodedata.combining(ch))
    return " ".join(plain.split())


@attrs.frozen
class NameKey:
    """A name as compared: its legal forms (a set of tokens) and its other words, in order."""

    forms: frozenset[str]
    words: tuple[str, ...]


def name_key(name: str) -> NameKey:
    tokens = fold(name).split()
    forms: set[str] = set()
    words: list[str] = []
    at = 0
    while at < len(tokens):
        for size in range(min(_LONGEST, len(tokens) - at), 0, -1):
            form = _PHRASES.get(tuple(tokens[at : at + size]))
            if form is not None:
                if form:
                    forms.add(form)
                at += size
                break
        else:
            if not (tokens[at] == "co" and at == len(tokens) - 1):  # a final "Co." says no form
                words.append(tokens[at])
            at += 1
    return NameKey(frozenset(forms), tuple(words))


def difference(on_invoices: str, in_registry: str) -> str | None:
    """None when the two names are the same company name; else ``"legal_form"`` (the same words under
    another legal form) or ``"name"`` (other words)."""
    mine, theirs = name_key(on_invoices), name_key(in_registry)
    if mine.words != theirs.words:
        return "name"
    if mine.forms != theirs.forms:
        return "legal_form"
    return None
