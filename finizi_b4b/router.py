"""The tool router: ``list_tools`` and ``call_tool`` of the MCP server.

``tools/list`` is built once from the definition files and cached. ``call_tool``
checks the arguments against the tool's JSON Schema (every problem listed with
its JSON path, before any HTTP request), fills in declared defaults, dispatches
to the handler method registered for the tool, and turns whatever happens into
one tool result. Nothing raised by a handler reaches the protocol layer, and no
result leaves with a secret in it.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import anyio
import mcp.types as types

from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.redact import Redactor
from finizi_b4b.results import failure, success
from finizi_b4b.schemas import load_definitions, wire_definition
from finizi_b4b.validation import Validator

if TYPE_CHECKING:
    from finizi_b4b.runtime import Runtime

__all__ = ["ToolRouter"]

log = logging.getLogger("finizi_b4b.router")


class ToolRouter:
    """Serves the tool list and routes each call to its handler."""

    def __init__(self, definitions: dict[str, dict[str, Any]] | None = None) -> None:
        definitions = load_definitions() if definitions is None else definitions
        self.definitions = definitions
        self._result = types.ListToolsResult(
            tools=[types.Tool.model_validate(wire_definition(d)) for d in definitions.values()]
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
    def tools(self) -> list[types.Tool]:
        return self._result.tools

    async def list_tools(
        self, ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return self._result

    def validate(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments with defaults filled in, or the invalid-arguments error listing every problem."""
        errors = self._validators[name].problems(arguments)
        if errors:
            raise ToolError.invalid_arguments(*map(str, errors))
        return {**self._defaults[name], **arguments}

    async def call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        runtime: Runtime = ctx.lifespan_context
        name = params.name
        arguments = params.arguments or {}
        redactor = Redactor(runtime.secrets())
        redactor.add(arguments.get("password") if isinstance(arguments.get("password"), str) else None)
        started = time.perf_counter()
        outcome = "ok"
        try:
            if name not in self.definitions:
                raise ToolError(
                    ErrorCode.UNKNOWN_TOOL,
                    f"There is no tool named {name!r}. Available tools: {', '.join(self.definitions)}.",
                )
            args = self.validate(name, arguments)
            handler = runtime.handler(name)
            result = success(await handler(runtime.call(args, ctx)))
        except ToolError as error:
            result, outcome = failure(error), error.code.value
        except anyio.get_cancelled_exc_class():
            raise
        except Exception:
            log.exception("tool %s failed unexpectedly", name)
            outcome = ErrorCode.INTERNAL_ERROR.value
            result = failure(
                ToolError(
                    ErrorCode.INTERNAL_ERROR,
                    f"finizi-b4b failed unexpectedly running {name}; the details are in the server's log.",
                )
            )
        redactor.add(*runtime.secrets())
        if log.isEnabledFor(logging.INFO):  # the outcome only: never argument values or results
            log.info("tool %s: %s in %.1f ms", name, outcome, (time.perf_counter() - started) * 1000)
        return _scrub(result, redactor)


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
