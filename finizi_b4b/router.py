"""The tool router: ``list_tools`` and ``call_tool`` of the MCP server.

``tools/list`` is built once from the definition files and cached. ``call_tool``
checks the arguments against the tool's JSON Schema (every problem listed with
its JSON path, before any HTTP request), fills in declared defaults, normalises
the accepted forms, dispatches to the handler method registered for the tool,
and turns whatever happens into one tool result. Nothing raised by a handler
reaches the protocol layer, and no result leaves with a secret in it.

Normalising means handlers see one form of each value:

- ids (properties in the shared id form, ``ID_PATTERN`` of
  :mod:`finizi_b4b.validation`): a UUID in either letter case is sent in lower
  case, and a positive integer, given as digits or as a JSON number (``42``,
  ``42.0``), as its digits. The schemas declare ids as strings with a pattern
  (a ``type`` array is less portable, and their descriptions say that integers
  are accepted); a JSON number that is a positive integer is written as digits
  before validation, so anything else (``-5``, ``1.5``, ``true``) is refused.
- an integral float where an integer is expected (``20.0``) is sent as ``20``;
- the phone number of ``login`` loses its spaces, dots and dashes.

Around the handler, the router sets the call's ``X-Agent-*`` context, signs
in with the configured credentials first when the tool needs a session and
none is open (:meth:`~finizi_b4b.session.SessionStore.sign_in_automatically`;
``login`` and ``logout`` manage the session themselves), and words every
:class:`~finizi_b4b.api.errors.ApiError` with ``finizi_b4b.tools.messages``.

In read-only mode the tools that change data in Finizi are left out of
``tools/list``, and a call of one is refused (``read_only_mode``) before
anything else happens. "Unknown tool" is decided here, and only here.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any

import anyio
import mcp.types as types
from mcp.server import ServerRequestContext

from finizi_b4b.api.redact import Redactor
from finizi_b4b.config import plain_phone
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.results import failure, success
from finizi_b4b.runtime import Runtime
from finizi_b4b.schemas import SESSION_TOOLS, load_definitions, wire_definition, writes_data
from finizi_b4b.third_party import MAX_WARNINGS, flag, lock_down
from finizi_b4b.tools import messages
from finizi_b4b.tools.rules import RANGES, Rule
from finizi_b4b.validation import Validator, canonical_id, is_id_schema

__all__ = ["Context", "ToolRouter", "normalise", "shown_name"]

Context = ServerRequestContext[Runtime]

log = logging.getLogger("finizi_b4b.router")

# How long past its deadline a call may run before it is stopped outright (its own checks come first).
_GRACE_S = 5.0
_NAME_SHOWN = 64  # characters of an unregistered tool name that reach a log line or a message
_LARGEST_ID = 10**18  # ids have at most 18 digits (see ID_PATTERN)


def shown_name(name: str) -> str:
    """An unregistered tool name as it may be logged or shown: quoted, escaped, cut short."""
    cut = name if len(name) <= _NAME_SHOWN else name[:_NAME_SHOWN] + "…"
    return repr(cut)


def _as_id_digits(value: Any) -> Any:
    """A JSON number that is a positive integer, as its digits; any other value unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return value
    return str(int(value)) if 1 <= value < _LARGEST_ID else value


def _numbers_as_ids(schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments with ids given as JSON numbers written as digits, ready for validation."""
    properties = schema.get("properties") or {}
    changed = {
        key: _as_id_digits(value)
        for key, value in arguments.items()
        if is_id_schema(properties.get(key)) and not isinstance(value, str)
    }
    return {**arguments, **changed} if changed else arguments


def normalise(schema: Any, value: Any) -> Any:
    """A valid value in the one form handlers see: ids canonical, integral floats as ints."""
    if not isinstance(schema, dict):
        return value
    if is_id_schema(schema) and isinstance(value, str):
        return canonical_id(value)
    if schema.get("type") == "integer" and isinstance(value, float):
        return int(value)
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        properties = schema["properties"]
        return {key: normalise(properties.get(key), item) for key, item in value.items()}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [normalise(schema["items"], item) for item in value]
    return value


class ToolRouter:
    """Serves the tool list and routes each call to its handler."""

    def __init__(
        self,
        definitions: dict[str, dict[str, Any]] | None = None,
        *,
        read_only: bool = False,
        rules: Mapping[str, tuple[Rule, ...]] | None = None,
        toolsets: Mapping[str, str] | None = None,
        served: tuple[str, ...] | None = None,
        confirmed: frozenset[str] = frozenset(),
    ) -> None:
        definitions = load_definitions() if definitions is None else definitions
        self.definitions = definitions
        self.read_only = read_only
        self.rules = dict(rules or {})
        self.toolsets = dict(toolsets or {})
        self.served = served
        # The tools whose calls the user confirms first, where the client can ask.
        self.confirmed = confirmed
        # The tools that change data in Finizi: hidden and refused in read-only mode.
        self.writes = frozenset(name for name, d in definitions.items() if writes_data(name, d))
        # The tools whose toolset is not served: hidden, and refused with words that name the setting.
        self.unserved = frozenset(
            name for name in definitions if served is not None and self.toolsets.get(name) not in served
        )
        listed = [d for name, d in definitions.items() if name not in self.refused]
        self._result = types.ListToolsResult(
            tools=[types.Tool.model_validate(wire_definition(d)) for d in listed]
        )
        # Compiled up front: a schema with a keyword the validator does not implement stops the start.
        self._validators = {name: Validator(d["inputSchema"]) for name, d in definitions.items()}
        self._defaults = {
            name: {
                key: prop["default"]
                for key, prop in d["inputSchema"].get("properties", {}).items()
                if isinstance(prop, dict) and "default" in prop
            }
            for name, d in definitions.items()
        }

    @property
    def refused(self) -> frozenset[str]:
        """The tools this server does not run: write tools in read-only mode, and unserved toolsets'."""
        return self.unserved | (self.writes if self.read_only else frozenset())

    @property
    def tools(self) -> list[types.Tool]:
        return self._result.tools

    async def list_tools(
        self, ctx: Context, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return self._result

    def validate(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments normalised, with defaults filled in; or the invalid-arguments error listing
        every problem."""
        schema = self.definitions[name]["inputSchema"]
        arguments = _numbers_as_ids(schema, arguments)
        errors = self._validators[name].problems(arguments)
        if errors:
            raise messages.invalid_arguments_error(map(messages.argument_problem, errors))
        args = normalise(schema, {**self._defaults[name], **arguments})
        if name == "login" and isinstance(args.get("phone"), str):
            args["phone"] = plain_phone(args["phone"])
        breaches = [b for rule in (*RANGES, *self.rules.get(name, ())) for b in rule.breaches(args)]
        if breaches:
            raise messages.invalid_arguments_error(map(messages.breach, breaches))
        return args

    def check_known(self, name: str) -> None:
        """The unknown-tool error for a name that is not a tool, and the read-only one for a write tool."""
        if name not in self.definitions:
            raise ToolError(
                ErrorCode.UNKNOWN_TOOL, messages.unknown_tool(shown_name(name), [t.name for t in self.tools])
            )
        if name in self.unserved:
            toolset = self.toolsets.get(name, "?")
            raise ToolError(ErrorCode.TOOLSET_NOT_ENABLED, messages.toolset_not_enabled(name, toolset))
        if self.read_only and name in self.writes:
            raise ToolError(ErrorCode.READ_ONLY_MODE, messages.read_only_refusal(name))

    async def call_tool(
        self, ctx: Context, params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        runtime = ctx.lifespan_context
        name = params.name
        arguments = params.arguments or {}
        redactor = Redactor(runtime.secrets())
        redactor.add(arguments.get("password") if isinstance(arguments.get("password"), str) else None)
        started = time.perf_counter()
        outcome = "ok"
        known = name in self.definitions
        try:
            self.check_known(name)
            args = self.validate(name, arguments)
            answer = await _run(runtime, ctx, params, name, args, confirm=name in self.confirmed)
            if isinstance(answer, types.InputRequiredResult):
                log.info("tool %s: asked the user to confirm", name)
                return answer
            result = success(_third_party(answer, args, lockdown=runtime.settings.lockdown))
        except ToolError as error:
            result, outcome = failure(error), error.code.value
        except anyio.get_cancelled_exc_class():
            raise
        except Exception:
            log.exception("tool %s failed unexpectedly", name)
            outcome = ErrorCode.INTERNAL_ERROR.value
            result = failure(ToolError(ErrorCode.INTERNAL_ERROR, messages.unexpected_failure(name)))
        redactor.add(*runtime.secrets())
        if log.isEnabledFor(logging.INFO):  # the outcome only: never argument values or results
            shown = name if known else shown_name(name)  # a name sent by the client may hold a newline
            log.info("tool %s: %s in %.1f ms", shown, outcome, (time.perf_counter() - started) * 1000)
        return _scrub(result, redactor)


def _third_party(answer: dict[str, Any], args: dict[str, Any], *, lockdown: bool) -> dict[str, Any]:
    """The answer with the free text others wrote withheld in lockdown (unless asked for), and
    ``warnings`` for what reads like instructions to a model."""
    if lockdown and not args.get("include_free_text"):
        answer, withheld = lock_down(answer)
        if withheld:
            answer["withheld"] = {"fields": withheld, "why": messages.LOCKDOWN_WITHHELD}
    warnings = flag(answer)
    if warnings:
        answer["warnings"] = warnings[:MAX_WARNINGS]
        if len(warnings) > MAX_WARNINGS:
            answer["warnings_more"] = len(warnings) - MAX_WARNINGS
    return answer


async def _confirmed(
    runtime: Runtime, ctx: Context, params: types.CallToolRequestParams, name: str, call: Any
) -> types.InputRequiredResult | None:
    """None when the call may go ahead: confirmed by the user, or nothing to ask (or no way to ask).
    An input request (2026-07-28) to send back instead of a result; ``not_confirmed`` when declined."""
    from finizi_b4b.confirm import ACCEPTED, MODERN, can_ask

    if not runtime.settings.confirm_writes or not can_ask(ctx):
        return None
    confirmer = runtime.confirmer
    action = confirmer.answer_given(params, name, call.args) if ctx.protocol_version == MODERN else None
    if action is None:
        line = await runtime.describer(name)(call)
        if line is None:
            return None
        if ctx.protocol_version == MODERN:
            return confirmer.question(line, name, call.args)
        action = await confirmer.ask(ctx, line)
    if action != ACCEPTED:
        raise ToolError(ErrorCode.NOT_CONFIRMED, messages.not_confirmed(name, action))
    return None


async def _run(
    runtime: Runtime,
    ctx: Context,
    params: types.CallToolRequestParams,
    name: str,
    args: dict[str, Any],
    *,
    confirm: bool = False,
) -> dict[str, Any] | types.InputRequiredResult:
    """The handler's answer to one call, run as that tool call, after the user confirmed it where
    that is asked for; API errors worded for the model."""
    from finizi_b4b.api.errors import ApiError, Reason
    from finizi_b4b.api.headers import ToolCallContext, tool_call
    from finizi_b4b.tools import Call

    handler = runtime.handler(name)
    request_id = ctx.request_id
    budget = runtime.settings.deadline
    deadline = anyio.current_time() + budget
    context = ToolCallContext(
        tool_call_id="" if request_id is None else str(request_id), tool_name=name, deadline=deadline
    )
    call = Call(
        args, progress=ctx.session.report_progress, context=context, deadline=deadline, deadline_s=budget
    )
    try:
        with tool_call(context), anyio.move_on_after(budget + _GRACE_S) as backstop:
            if name not in SESSION_TOOLS:
                await runtime.session.sign_in_automatically()
            if confirm:
                question = await _confirmed(runtime, ctx, params, name, call)
                if question is not None:
                    return question
            return await handler(call)
    except ApiError as exc:
        missing = runtime.settings.missing_credential
        if exc.reason is Reason.NOT_LOGGED_IN and missing:  # half the credentials: say which half is missing
            raise ToolError(ErrorCode.MISSING_CREDENTIALS, messages.half_configured(missing)) from None
        raise messages.tool_error(exc) from None
    assert backstop.cancelled_caught
    raise ToolError(ErrorCode.BACKEND_TIMEOUT, messages.out_of_time(name, budget), retryable=True)


def _scrub(result: types.CallToolResult, redactor: Redactor) -> types.CallToolResult:
    """The last line of defence: a result that somehow holds a live secret has it replaced."""
    texts = [c.text for c in result.content if isinstance(c, types.TextContent)]
    if not any(redactor.contains_secret(t) for t in texts):
        return result
    log.error("a tool result contained a secret; it was redacted before sending")
    content = [
        types.TextContent(text=redactor.text(c.text)) if isinstance(c, types.TextContent) else c
        for c in result.content
    ]
    structured = redactor.value(result.structured_content) if result.structured_content is not None else None
    return types.CallToolResult(content=content, structured_content=structured, is_error=result.is_error)
