"""What the ``full`` session checks and says of the books: a VAT report, the trial balance, the suppliers."""

from __future__ import annotations

from typing import Any

from finizi_b4b.devtools.scenarios.runner import Context, money

__all__ = ["check_balance", "check_report", "report_words", "suppliers_words"]


def check_report(ctx: Context, body: dict[str, Any]) -> str | None:
    """The report's own figures agree with the invoices (drafts aside), or come from them when the job
    carried none; a VAT report's payable is output tax less input tax either way."""
    data = body["data"]
    figures = data.get("figures") or {}
    if {"output", "input", "payable"} - set(figures):
        return f"a VAT report should give output, input and payable, not {sorted(figures)}"
    if figures["output"]["tax"] - figures["input"]["tax"] != figures["payable"]:
        return "the payable VAT is not output less input tax"
    checks = data.get("cross_check", {})
    differ = [n for n, row in checks.items() if n != "made" and row["result"] not in ("agrees", "drafts")]
    if data["source"] == "report" and (not checks.get("made") or differ):
        return f"the report should agree with the invoices but for drafts; it differs on {differ}"
    return None


def report_words(body: dict[str, Any]) -> str:
    figures = body["data"]["figures"]
    source = "the report" if body["data"]["source"] == "report" else "the invoices (the job sent none)"
    return (
        f"output VAT {money(figures['output']['tax'])}, input {money(figures['input']['tax'])}, payable "
        f"{money(figures['payable'])}, from {source}"
    )


def check_balance(ctx: Context, body: dict[str, Any]) -> str | None:
    data = body["data"]
    if not (data["checks"]["period_balanced"] and data["checks"]["closing_balanced"]):
        return f"the books should balance: {data['checks']}"
    if not all(row["agrees"] for row in data["vat_accounts"].values()):
        return f"1331 and 33311 should agree with the invoices' tax: {data['vat_accounts']}"
    return None


def suppliers_words(body: dict[str, Any]) -> str:
    data = body["data"]
    return (
        f"{data['suppliers']} suppliers: {data['confirmed']} confirmed, {len(data['unknown'])} unknown "
        f"to the registry, {len(data['renamed'])} named otherwise, {len(data['not_checked'])} not checked"
    )
