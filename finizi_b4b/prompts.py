"""MCP prompts: the common jobs of an accountant, each written out as the tool calls that do it best.

``prompts/list`` names them, ``prompts/get`` fills one in with its arguments
(checked first: a malformed argument is a ``-32602`` error naming it), and
``completion/complete`` offers values while the user types them:

- ``company``: the signed-in user's companies as ``Name (MST 0316247298)``
  (matching the start of the id, or any part of the name or tax id), read with
  the connection's own ``list_entities`` handler, which signs in by itself when
  credentials are configured. Any failure (not signed in, the API down, a slow
  answer) offers nothing rather than an error: completion is a convenience.
  ``prompts/get`` takes a name, tax id or id and tells the entity
  (:mod:`finizi_b4b.company_argument`), or asks the model to find it first;
- ``month``, ``quarter``, ``date_from``, ``date_to``: recent months, quarters and quarter boundaries;
- ``folder``: the sub-folders of the folder typed so far (:mod:`finizi_b4b.folders`).

A prompt is offered only when the server runs every tool it asks for: in
read-only mode the folder import is neither listed nor given (its last step
imports). The handlers are the ``(ctx, params)`` methods of
:class:`PromptHandlers`, one per server, for the low-level server
(``on_list_prompts``, ``on_get_prompt``, ``on_completion``); they work the same
in both protocol eras.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any

import anyio
import attrs
import mcp.types as types
from mcp.shared.exceptions import MCPError

from finizi_b4b.company_argument import company_of, company_problem, fold, offered, read_entities
from finizi_b4b.folders import MAX_VALUES, folder_problem, import_plan, sub_folders, xml_files
from finizi_b4b.folders import call_text as _call
from finizi_b4b.paths import BadPath, sendable, shown
from finizi_b4b.quarterly import quarter_problem, quarter_span, quarterly_vat_review, recent_quarters

__all__ = ["PROMPTS", "PromptHandlers"]

log = logging.getLogger("finizi_b4b.prompts")

_MONTH = re.compile(r"(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])\Z")


@attrs.frozen
class Argument:
    name: str
    description: str
    required: bool = True
    check: Callable[[str], str | None] | None = None  # the problem with a value, if any


@attrs.frozen
class Prompt:
    name: str
    title: str
    description: str
    arguments: tuple[Argument, ...]
    render: Callable[[dict[str, str]], str]
    tools: frozenset[str]  # every tool the prompt asks for

    def listed(self) -> types.Prompt:
        return types.Prompt(
            name=self.name,
            title=self.title,
            description=self.description,
            arguments=[
                types.PromptArgument(name=a.name, description=a.description, required=a.required)
                for a in self.arguments
            ],
        )


# -- argument checks -------------------------------------------------------------------------------


def _month(value: str) -> str | None:
    return None if _MONTH.match(value) else "must be a month as YYYY-MM, e.g. 2026-03"


def _date(value: str) -> str | None:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return "must be a date as YYYY-MM-DD"
    return None if len(value) == 10 else "must be a date as YYYY-MM-DD"


def _top(value: str) -> str | None:
    return None if value.isascii() and value.isdigit() and 1 <= int(value) <= 50 else "must be 1 to 50"


COMPANY = Argument(
    "company",
    "The company: its name, tax id (MST) or id, as list_entities shows them.",
    check=company_problem,
)


# -- the prompts -----------------------------------------------------------------------------------


def _vat_review(args: dict[str, str]) -> str:
    year, month = (int(part) for part in args["month"].split("-"))
    first = dt.date(year, month, 1)
    last = first.replace(day=calendar.monthrange(year, month)[1])
    period = {"entity_id": args["entity_id"], "date_from": first.isoformat(), "date_to": last.isoformat()}
    return "\n".join(
        [
            f"Review the VAT of {args['company']} for {first:%B %Y} (invoices issued "
            f"{first.isoformat()} to {last.isoformat()}), as for the monthly VAT return.",
            "",
            "1. Call " + _call("summarize_invoices", {**period, "group_by": ["direction", "status"]}) + ". "
            "Output VAT is the tax on sales, input VAT the tax on purchases. Leave cancelled invoices out "
            "of both, and count drafts apart: they are not issued yet.",
            "2. Call "
            + _call("summarize_invoices", {**period, "direction": "purchase", "group_by": ["vendor"]})
            + " to see which suppliers the input VAT comes from.",
            "3. If there are drafts, call "
            + _call("list_invoices", {**period, "status": "draft"})
            + " and name them (series/number, party, total).",
            "4. Report in a short table: output VAT, input VAT and the VAT payable (output minus input; "
            "a negative figure is a credit carried forward), each with its invoice count; then what to "
            "check: drafts, cancelled invoices, suppliers that stand out.",
            "Use the figures exactly as the tools give them (VND); do not add up invoice lists yourself.",
        ]
    )


def _spend_review(args: dict[str, str]) -> str:
    period = {"entity_id": args["entity_id"], "date_from": args["date_from"], "date_to": args["date_to"]}
    top = int(args.get("top") or 12)
    return "\n".join(
        [
            f"Review what {args['company']} bought from its suppliers between "
            f"{args['date_from']} and {args['date_to']}.",
            "",
            "1. Call "
            + _call(
                "summarize_invoices", {**period, "direction": "purchase", "group_by": ["vendor"], "top": top}
            )
            + ": the largest suppliers by total, the rest summed as others.",
            "2. For the three largest, call get_vendor with their tax_id to get the vendor_id, then "
            + _call("summarize_invoices", {**period, "vendor_id": "<vendor_id>", "group_by": ["month"]})
            + " for how the spend moved month by month.",
            "3. Report a table of the suppliers (name, tax id, invoices, net, VAT, total, share of the "
            "whole), then the trend of the largest and anything that stands out (one supplier taking most "
            "of the spend, sudden jumps, invoices still in draft).",
            "Use the figures exactly as the tools give them (VND); do not add up invoice lists yourself.",
        ]
    )


PROMPTS: dict[str, Prompt] = {
    prompt.name: prompt
    for prompt in (
        Prompt(
            "monthly_vat_review",
            "Monthly VAT review",
            "Output and input VAT of an entity for one month, what is payable, and what to check.",
            (COMPANY, Argument("month", "The month, as YYYY-MM.", check=_month)),
            _vat_review,
            frozenset({"summarize_invoices", "list_invoices"}),
        ),
        Prompt(
            "quarterly_vat_review",
            "Quarterly VAT review",
            "A quarter's VAT report checked against the invoices, unconfirmed suppliers, unpaid purchases.",
            (COMPANY, Argument("quarter", "The quarter, as YYYY-Qn.", check=quarter_problem)),
            quarterly_vat_review,
            frozenset({"generate_tax_report", "check_suppliers", "summarize_invoices"}),
        ),
        Prompt(
            "vendor_spend_review",
            "Vendor spend review",
            "What an entity bought from each supplier in a period: the largest, their trend, oddities.",
            (
                COMPANY,
                Argument("date_from", "First issue date, YYYY-MM-DD.", check=_date),
                Argument("date_to", "Last issue date, YYYY-MM-DD.", check=_date),
                Argument("top", "How many suppliers to show (default 12).", required=False, check=_top),
            ),
            _spend_review,
            frozenset({"summarize_invoices", "get_vendor"}),
        ),
        Prompt(
            "import_invoice_folder",
            "Import a folder of invoices",
            "Preview, then import, every e-invoice XML file of a local folder into an entity.",
            (
                COMPANY,
                Argument("folder", "Absolute path of the folder with the XML files.", check=folder_problem),
            ),
            lambda args: "",  # rendered with the folder's files by get_prompt
            frozenset({"import_invoice_xml"}),
        ),
    )
}


# -- the handlers ----------------------------------------------------------------------------------


def _invalid(message: str) -> MCPError:
    return MCPError(code=types.INVALID_PARAMS, message=message)


def _checked(prompt: Prompt, given: dict[str, str]) -> dict[str, str]:
    known = {a.name for a in prompt.arguments}
    problems = [f"unknown argument {name!r}" for name in sorted(set(given) - known)]
    for argument in prompt.arguments:
        value = given.get(argument.name)
        if value is None or value == "":
            if argument.required:
                problems.append(f"{argument.name!r} is required")
            continue
        problem = argument.check(value) if argument.check else None
        if problem:
            problems.append(f"{argument.name} {problem}")
    if not problems and "date_from" in given and "date_to" in given and given["date_from"] > given["date_to"]:
        problems.append("date_from is after date_to")
    if problems:
        raise _invalid(f"Invalid arguments for prompt {prompt.name}: " + "; ".join(problems))
    return {key: value for key, value in given.items() if value != ""}


async def _companies(ctx: Any, typed: str) -> list[str]:
    """The user's companies that what was typed names (a part of a name, tax id or id), as offered."""
    items = await read_entities(ctx)
    if items is None:
        return []
    needle = fold(typed.strip())
    return [
        offered(item)
        for item in items
        if str(item["id"]).lower().startswith(needle)
        or needle in fold(f"{offered(item)} {item.get('tax_id') or ''}")
    ]


def _months(typed: str, today: dt.date) -> list[str]:
    months = []
    year, month = today.year, today.month
    for _ in range(24):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return [m for m in months if m.startswith(typed)]


def _quarter_days(typed: str, today: dt.date, ends: bool) -> list[str]:
    days = []
    for year in (today.year, today.year - 1):
        for quarter in (4, 3, 2, 1):
            first, last = quarter_span(f"{year:04d}-Q{quarter}")
            day = last if ends else first
            if first <= today:
                days.append(day.isoformat())
    return [d for d in days if d.startswith(typed)]


async def _values(ctx: Any, name: str, typed: str) -> list[str]:
    today = dt.date.today()
    if name == "company":
        return await _companies(ctx, typed)
    if name == "month":
        return _months(typed, today)
    if name == "quarter":
        return recent_quarters(typed.upper(), today)
    if name in ("date_from", "date_to"):
        return _quarter_days(typed, today, ends=name == "date_to")
    return []


@attrs.frozen
class PromptHandlers:
    """The prompt handlers of one server, offering the prompts whose tools it runs.

    ``refused`` names the tools the server refuses (the write tools in read-only
    mode, and the tools of toolsets not served, which ``unserved`` names); a
    prompt that asks for one of them is neither listed nor given nor completed.
    """

    refused: frozenset[str] = frozenset()
    unserved: frozenset[str] = frozenset()

    def offered(self) -> list[Prompt]:
        return [prompt for prompt in PROMPTS.values() if not prompt.tools & self.refused]

    async def list_prompts(
        self, ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[prompt.listed() for prompt in self.offered()])

    async def get_prompt(self, ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        offered = ", ".join(prompt.name for prompt in self.offered())
        prompt = PROMPTS.get(params.name)
        if prompt is None:
            raise _invalid(f"There is no prompt named {shown(params.name, limit=64)!r}. Prompts: {offered}.")
        if prompt.tools & self.unserved:
            needs = ", ".join(sorted(prompt.tools & self.unserved))
            raise _invalid(
                f"The prompt {prompt.name} is not available: it asks for {needs}, whose toolset this server "
                f"was not started with (FINIZI_B4B_TOOLSETS). Prompts: {offered}."
            )
        if prompt.tools & self.refused:
            needs = ", ".join(sorted(prompt.tools & self.refused))
            raise _invalid(
                f"The prompt {prompt.name} is not available in read-only mode: it asks for {needs}, which "
                f"changes data in Finizi and is refused. Prompts: {offered}."
            )
        args = _checked(prompt, dict(params.arguments or {}))
        company = await company_of(ctx, args["company"])
        args |= {"entity_id": company.entity_id or "<entity_id>", "company": company.label}
        if prompt.name == "import_invoice_folder":
            try:
                files = await anyio.to_thread.run_sync(xml_files, args["folder"])
            except (OSError, BadPath) as exc:
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                raise _invalid(f"Cannot read the folder {shown(args['folder'])}: {why}.") from None
            text = import_plan(args, files)
        else:
            text = prompt.render(args)
        if company.first_step:
            text = company.first_step + "\n\n" + text
        return types.GetPromptResult(
            description=prompt.description,
            messages=[types.PromptMessage(role="user", content=types.TextContent(text=sendable(text)))],
        )

    async def complete(self, ctx: Any, params: types.CompleteRequestParams) -> types.CompleteResult:
        ref, name, typed = params.ref, params.argument.name, params.argument.value
        values: list[str] = []
        total: int | None = 0
        has_more = False
        prompt = PROMPTS.get(ref.name) if isinstance(ref, types.PromptReference) else None
        try:
            if prompt is None or prompt.tools & self.refused:
                pass
            elif name == "folder":
                folders = await anyio.to_thread.run_sync(sub_folders, typed)
                values, total, has_more = list(folders.paths), folders.total, folders.has_more
            else:
                found = await _values(ctx, name, typed)
                values, total, has_more = found[:MAX_VALUES], len(found), len(found) > MAX_VALUES
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as exc:  # a completion that cannot be made offers nothing
            log.info("no completion for %s: %s", shown(name, limit=64), type(exc).__name__)
            values, total, has_more = [], 0, False
        return types.CompleteResult(
            completion=types.Completion(values=values, total=total, has_more=has_more)
        )
