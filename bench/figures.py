"""What the benchmark measures and holds: figures, the numbers they carry, and their budgets.

A figure's verdict is computed from its fields alone: each :class:`Limit` holds
one measured number against a bound, each :class:`Check` says whether an
answer was right. Nothing is ever read back from the text of a report.
"""

from __future__ import annotations

import enum
import statistics

import attrs

__all__ = ["Check", "Fact", "Figure", "Kind", "Limit", "spread"]


class Kind(enum.Enum):
    """How a measured number must relate to its bound."""

    AT_MOST = "<="
    AT_LEAST = ">="
    EXACTLY = "=="

    def holds(self, value: float, bound: float) -> bool:
        if self is Kind.AT_MOST:
            return value <= bound
        if self is Kind.AT_LEAST:
            return value >= bound
        return value == bound


def _with_unit(text: str, unit: str) -> str:
    if not unit:
        return text
    return f"{text}{unit}" if unit == "x" or unit.startswith("x ") else f"{text} {unit}"


def _bound(value: float, unit: str) -> str:
    if float(value).is_integer():
        return _with_unit(f"{value:,.0f}", unit)
    return _with_unit(f"{value:.2f}", unit)


@attrs.frozen
class Fact:
    """A derived number shown with a figure, held to nothing (e.g. the CPU time per call)."""

    name: str
    value: float
    unit: str = ""
    digits: int = 2

    def describe(self) -> str:
        return f"{self.name} {_with_unit(f'{self.value:.{self.digits}f}', self.unit)}"


@attrs.frozen
class Limit:
    """One measured number (``value``) held to ``bound``: ``ratio <= 1.10x``."""

    name: str
    value: float
    kind: Kind
    bound: float
    unit: str = ""
    digits: int = 3

    @property
    def passed(self) -> bool:
        return self.kind.holds(self.value, self.bound)

    def budget(self) -> str:
        return f"{self.name} {self.kind.value} {_bound(self.bound, self.unit)}"

    def describe(self) -> str:
        value = f"{self.value:,.0f}" if float(self.value).is_integer() else f"{self.value:.{self.digits}f}"
        return f"{self.name} {_with_unit(value, self.unit)}"


@attrs.frozen
class Check:
    """Whether an answer was right, and what was wrong when it was not."""

    name: str
    ok: bool
    problem: str = ""


@attrs.frozen
class Figure:
    """One row of the report: samples of a measured quantity, a reference, and what it is held to.

    ``samples`` are in ``unit`` (seconds for ``"ms"``, shown scaled by 1000).
    """

    id: str
    title: str
    unit: str
    samples: tuple[float, ...]
    reference: str = ""
    reference_samples: tuple[float, ...] = ()
    limits: tuple[Limit, ...] = ()
    checks: tuple[Check, ...] = ()
    facts: tuple[Fact, ...] = ()

    @property
    def judged(self) -> bool:
        """Whether the figure has a budget at all (a reference-only figure has none)."""
        return bool(self.limits or self.checks)

    @property
    def passed(self) -> bool | None:
        """None without a budget; otherwise every limit holds and every check is ok."""
        if not self.judged:
            return None
        return all(limit.passed for limit in self.limits) and all(check.ok for check in self.checks)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def reference_median(self) -> float:
        return statistics.median(self.reference_samples)

    def limit(self, name: str) -> Limit:
        for limit in self.limits:
            if limit.name == name:
                return limit
        raise KeyError(f"figure {self.id} has no limit {name!r}")

    def fact(self, name: str) -> Fact:
        for fact in self.facts:
            if fact.name == name:
                return fact
        raise KeyError(f"figure {self.id} has no fact {name!r}")


def spread(samples: tuple[float, ...], scale: float = 1.0, digits: int = 2) -> str:
    """``median (min-max)``, or the one value."""
    if not samples:
        return ""
    med = statistics.median(samples) * scale
    if len(samples) == 1:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({min(samples) * scale:.{digits}f}-{max(samples) * scale:.{digits}f})"
