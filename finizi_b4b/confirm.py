"""Asking the user to confirm a write before it is made, where the client can ask (elicitation).

Each tool that changes Finizi names, in the tool table, a handler method that
says in one line exactly what will happen ("Import 5 e-invoices, total
123.456.789 VND, into Sao Mai (MST 0312345678)?"); a ``login`` that would
switch accounts says so too. The router asks before the handler runs, and
only when the client declared the elicitation capability (and
``FINIZI_B4B_CONFIRM_WRITES`` is not off); other clients work as before.

Both protocol eras, with what the SDK provides: on a 2025 connection the server
sends ``elicitation/create`` and waits for the answer; on a 2026-07-28
connection (which has no server-to-client requests) the call answers
``InputRequiredResult`` and the client calls again with the user's answer.
That answer is taken only with the ``requestState`` minted for the same tool
and the same arguments (an HMAC under a key of this process), so that no
answer given for one write can be replayed for another.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

import attrs
import mcp.types as types

__all__ = ["ACCEPTED", "MODERN", "Confirmer", "can_ask"]

MODERN = "2026-07-28"
ACCEPTED = "accept"
_KEY = "confirm"
# A confirmation asks for nothing but the answer itself.
_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def can_ask(ctx: Any) -> bool:
    """Whether the client of this request takes form elicitation."""
    capabilities = getattr(ctx.session, "client_capabilities", None)
    elicitation = getattr(capabilities, "elicitation", None)
    if elicitation is None:
        return False
    # An empty elicitation capability (older clients) means form mode.
    return elicitation.form is not None or elicitation.url is None


@attrs.define
class Confirmer:
    """Asks, in the era of the connection, and recognises the answer to its own question."""

    _key: bytes = attrs.field(factory=lambda: secrets.token_bytes(32), repr=False)

    def state_for(self, tool: str, arguments: dict[str, Any]) -> str:
        signed = json.dumps([tool, arguments], sort_keys=True, ensure_ascii=True, default=str).encode()
        return hmac.new(self._key, signed, hashlib.sha256).hexdigest()

    def answer_given(
        self, params: types.CallToolRequestParams, tool: str, arguments: dict[str, Any]
    ) -> str | None:
        """The user's answer (``accept``, ``decline``, ``cancel``) carried by a repeated call, when it
        answers this server's question about this very call; else None."""
        responses = params.input_responses or {}
        answer = responses.get(_KEY)
        state = params.request_state
        if not isinstance(answer, types.ElicitResult) or not isinstance(state, str):
            return None
        if not hmac.compare_digest(state, self.state_for(tool, arguments)):
            return None
        return answer.action

    def question(self, line: str, tool: str, arguments: dict[str, Any]) -> types.InputRequiredResult:
        """The 2026-07-28 way to ask: an input request, and the state the answer must come back with."""
        request = types.ElicitRequest(
            params=types.ElicitRequestFormParams(message=line, requested_schema=_SCHEMA)
        )
        return types.InputRequiredResult(
            input_requests={_KEY: request}, request_state=self.state_for(tool, arguments)
        )

    async def ask(self, ctx: Any, line: str) -> str:
        """The 2025 way to ask: a request to the client, and its answer's action."""
        result = await ctx.session.elicit_form(line, _SCHEMA, related_request_id=ctx.request_id)
        return result.action
