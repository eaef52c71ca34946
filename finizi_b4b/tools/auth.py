"""login, logout, whoami."""

from __future__ import annotations

from typing import Any

from finizi_b4b.api.models import User, unstructure
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools.base import Call, Handler, tool

__all__ = ["AuthTools"]

_MISSING_CREDENTIALS = (
    "No credentials given. Pass phone and password, or (recommended, so the password never passes "
    "through the conversation) set FINIZI_PHONE and FINIZI_PASSWORD in the server's environment "
    "and call login with no arguments."
)


def _public_user(user: User) -> dict[str, Any]:
    return unstructure(user)


class AuthTools(Handler):
    @tool("login")
    async def login(self, call: Call) -> dict[str, Any]:
        phone, password = call.get("phone"), call.get("password")
        if (phone is None) != (password is None):
            raise ToolError.invalid_arguments(
                "give both phone and password, or neither to use the environment"
            )
        if phone is None:
            settings = self.services.settings
            phone, password = settings.phone, settings.password
            if not phone or not password:
                raise ToolError(ErrorCode.MISSING_CREDENTIALS, _MISSING_CREDENTIALS)
        tokens = await self.client.login(phone, password)
        self.session.start(tokens, {"id": tokens.user_id} if tokens.user_id else None)
        user = _public_user(await self.client.me())
        self.session.user = user
        name = user.get("full_name") or user.get("email") or user.get("phone") or "the user"
        return {"message": f"Logged in as {name}. The session lasts until logout or restart.", "user": user}

    @tool("logout")
    async def logout(self, call: Call) -> dict[str, Any]:
        self.session.access_token()  # not logged in: the usual error
        note = ""
        try:
            await self.client.logout()
        except ToolError as exc:
            if exc.code not in (ErrorCode.SESSION_EXPIRED, ErrorCode.NOT_AUTHENTICATED):
                note = (
                    " The server could not be told ("
                    + exc.message.rstrip(".")
                    + "); the session was ended here."
                )
        finally:
            self.session.clear()
        return {"message": "Logged out." + note}

    @tool("whoami")
    async def whoami(self, call: Call) -> dict[str, Any]:
        user = _public_user(await self.client.me())
        self.session.user = user
        return {"user": user}
