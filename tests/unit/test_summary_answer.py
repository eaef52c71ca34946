"""The summary's answer: the largest groups picked and the rest summed, without holding up the server."""

from __future__ import annotations

import random
from decimal import Decimal

import anyio.lowlevel
import pytest

from finizi_b4b.tools import summary_answer
from finizi_b4b.tools.summary_answer import Summary
from finizi_b4b.tools.sums import Sums

pytestmark = pytest.mark.anyio


def _summary(count: int, *, currencies: int, seed: int = 0) -> Summary:
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    groups = {}
    for n in range(count):
        currency = f"C{n % currencies:05d}" if currencies > 1 else "VND"
        total = Decimal(rng.randrange(0, 50)) / 4  # many equal totals: the key decides among them
        key = (f"vendor-{n:05d}",) if n else (None,)  # one group without a vendor: it ranks after its equals
        groups[key] = {currency: Sums(1, total, Decimal(0), total)}
    totals: dict[str, Sums] = {}
    for amounts in groups.values():
        summary_answer.merge(totals, amounts)
    return Summary(("vendor",), groups, totals)


async def test_the_groups_shown_are_the_largest_in_order_and_the_rest_add_up() -> None:
    summary = _summary(3000, currencies=1)
    answer = await summary.result(12)
    rows = answer["data"]["groups"]

    def largest_first(group):
        key, amounts = group
        return (-amounts["VND"].total, tuple((part is None, part or "") for part in key))

    expected = sorted(summary.groups.items(), key=largest_first)
    assert [row["vendor"] for row in rows[:12]] == [key[0] for key, _ in expected[:12]]
    assert rows[12]["others"] == 3000 - 12
    rest = sum((amounts["VND"].total for _, amounts in expected[12:]), Decimal(0))
    assert Decimal(str(rows[12]["total"])) == rest


async def test_thousands_of_groups_are_ranked_and_summed_a_chunk_at_a_time(monkeypatch) -> None:
    checkpoints = 0
    real = anyio.lowlevel.checkpoint

    async def counted() -> None:
        nonlocal checkpoints
        checkpoints += 1
        await real()

    monkeypatch.setattr(anyio.lowlevel, "checkpoint", counted)
    await _summary(20_000, currencies=20_000).result(12)
    assert checkpoints >= 2 * (20_000 // summary_answer.CHUNK) - 1


async def test_vendor_groups_are_merged_to_their_key_a_chunk_at_a_time(monkeypatch) -> None:
    from finizi_b4b.api.models import Invoice
    from finizi_b4b.tools.summary_read import CHUNK, Grouper

    grouper = Grouper(("vendor",))
    page = [
        Invoice.of(
            {
                "id": f"00000000-0000-4000-8000-{n:012d}",
                "status": "validated",
                "vendor_id": f"v{n}",
                "seller_name": f"Người bán {n}",
                "currency": "VND",
                "total_amount": 10,
            }
        )
        for n in range(3 * CHUNK)
    ]
    assert grouper.add_page(page) == 3 * CHUNK
    checkpoints = 0
    real = anyio.lowlevel.checkpoint

    async def counted() -> None:
        nonlocal checkpoints
        checkpoints += 1
        await real()

    monkeypatch.setattr(anyio.lowlevel, "checkpoint", counted)
    groups, _, _ = await grouper.final_groups()
    assert len(groups) == 3 * CHUNK and checkpoints == 3
