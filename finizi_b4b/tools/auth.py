"""login, logout, whoami."""

from __future__ import annotations

from typing import Any

from finizi_b4b.api.errors import ApiError
from finizi_b4b.api.models import TokenPair, User, unstructure
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools import messages
from finizi_b4b.tools.base import Call, Handler, tool

__all__ = ["AuthTools"]


def _public_user(user: User) -> dict[str, Any]:
    return unstructure(user)


class AuthTools(Handler):
    @tool("login")
    async def login(self, call: Call) -> dict[str, Any]:
        phone, password = call.get("phone"), call.get("password")
        if (phone is None) != (password is None):
            raise ToolError.invalid_arguments(messages.BOTH_OR_NEITHER)
        if phone is None:
            settings = self.services.settings
            phone, password = settings.phone, settings.password
            if not phone or not password:
                raise ToolError(ErrorCode.MISSING_CREDENTIALS, messages.MISSING_CREDENTIALS)

        async def attempt() -> tuple[TokenPair, dict[str, Any]]:
            # The token is checked with /users/me before anything is stored: all or nothing.
            tokens, user = await self.client.login(phone, password)
            return tokens, _public_user(user)

        user = await self.session.sign_in(attempt)
        name = user.get("full_name") or user.get("email") or user.get("phone") or "the user"
        return {"message": f"Logged in as {name}. The session lasts until logout or restart.", "user": user}

    @tool("logout")
    async def logout(self, call: Call) -> dict[str, Any]:
        note = ""

        async def farewell(token: str) -> None:
            nonlocal note
            try:
                await self.client.logout(token)
            except ApiError as exc:
                if exc.code not in (ErrorCode.SESSION_EXPIRED, ErrorCode.NOT_AUTHENTICATED):
                    note = messages.logout_note(exc)

        await self.session.sign_out(farewell)  # not logged in: the usual error
        return {"message": "Logged out." + note}

    @tool("whoami")
    async def whoami(self, call: Call) -> dict[str, Any]:
        generation = self.session.generation
        user = _public_user(await self.client.me())
        if self.session.generation == generation:  # not a user who signed in meanwhile
            self.session.user = user
        return {"user": user}
