"""Offline, deterministic similarity: cosine over character trigrams, and a keyword score.

Text is folded first (lower case, Vietnamese diacritics removed, ``đ`` to
``d``), so ``ca phe rang xay`` finds ``Cà phê Robusta rang xay``. The
trigram cosine stands in for a vector search; :func:`keyword_score` (the
share of the query's words found in a text) for a keyword search.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter

__all__ = ["TrigramIndex", "fold", "keyword_score"]


def fold(text: str) -> str:
    """Lower case, no diacritics, single spaces."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def _vector(text: str) -> dict[str, float]:
    grams: Counter[str] = Counter()
    for word in fold(text).split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    norm = math.sqrt(sum(v * v for v in grams.values())) or 1.0
    return {gram: count / norm for gram, count in grams.items()}


class TrigramIndex:
    """Ranks records by the similarity of a query to their name (and, less, their description)."""

    def __init__(self, records: list[dict]) -> None:
        self.records = records
        self._names = [fold(r.get("name") or "") for r in records]
        self._vectors = [_vector(r.get("name") or "") for r in records]
        self._descriptions = [_vector(r.get("description") or "") for r in records]

    def search(self, query: str, top_k: int, min_similarity: float) -> list[tuple[dict, float, str]]:
        """The best ``top_k`` records at or above ``min_similarity``: (record, similarity, matched on)."""
        folded = fold(query)
        vector = _vector(query)
        scored = []
        for index in range(len(self.records)):
            if self._names[index] == folded:
                scored.append((1.0, 0, index, "exact_name"))
                continue
            by_name = sum(w * self._vectors[index].get(g, 0.0) for g, w in vector.items())
            by_text = sum(w * self._descriptions[index].get(g, 0.0) for g, w in vector.items())
            score, field = (by_name, "name") if by_name >= 0.9 * by_text else (0.9 * by_text, "description")
            score = min(score, 0.9999)  # only an exact name scores 1
            if score >= min_similarity:
                scored.append((score, 1, index, field))
        scored.sort(key=lambda s: (-s[0], s[1], s[2]))
        return [(self.records[i], round(score, 4), field) for score, _, i, field in scored[:top_k]]


def keyword_score(query: str, *texts: str | None) -> float:
    """The share of the query's words (folded) that occur in one of ``texts``, rounded to 4 places."""
    words = fold(query).split()
    if not words:
        return 0.0
    haystack = " ".join(fold(t) for t in texts if t)
    return round(sum(word in haystack for word in words) / len(words), 4)
