"""login, logout, whoami, and the sign-in with the configured credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from finizi_b4b.api.errors import (
    ApiError,
    ConfiguredCredentialsRefused,
    InvalidCredentials,
    NotAuthenticated,
    Reason,
    SessionCheckFailed,
    SessionExpired,
    ValidationFailed,
)
from finizi_b4b.api.models import TokenPair, User
from finizi_b4b.config import plain_phone
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools import messages
from finizi_b4b.tools.base import Call, Handler

if TYPE_CHECKING:
    from finizi_b4b.api.client import B4BClient
    from finizi_b4b.config import Settings
    from finizi_b4b.session import SignIn

__all__ = ["AuthTools", "configured_sign_in", "sign_in_with"]

# What a login answers when the credentials themselves are wrong (not when the API is down).
_REFUSALS = (InvalidCredentials, ValidationFailed)


def _public_user(user: User) -> dict[str, Any]:
    return user.as_json()


def _at_login(exc: ApiError) -> bool:
    """Whether ``exc`` came from the login request itself (not from the check of its session)."""
    return exc.subject is not None and exc.subject.kind == "login"


def sign_in_with(client: B4BClient, phone: str, password: str) -> SignIn:
    """A sign-in attempt: the login, then the user lookup; nothing is stored (the session store does).

    A failure after the login was accepted carries the fact ``after_login``, on which the
    session store waits before trying again; the lookup refusing the new session (401 or
    403) is ``session_check_failed``, other failures keep their own code and words.
    """

    async def attempt() -> tuple[TokenPair, dict[str, Any]]:
        # The token is checked with /users/me before anything is stored: all or nothing.
        try:
            tokens, user = await client.login(phone, password)
        except ApiError as exc:
            if _at_login(exc):
                raise
            if exc.status not in (401, 403):
                exc.facts["after_login"] = True
                raise
            raise SessionCheckFailed(
                Reason.SESSION_CHECK,
                status=exc.status,
                detail=exc.detail,
                subject=exc.subject,
                retryable=True,
                facts={"after_login": True},
            ) from None
        return tokens, _public_user(user)

    return attempt


def configured_sign_in(client: B4BClient, settings: Settings) -> SignIn:
    """The sign-in with FINIZI_PHONE and FINIZI_PASSWORD; a refusal says where they come from."""
    assert settings.phone and settings.password
    plain = sign_in_with(client, settings.phone, settings.password)

    async def attempt() -> tuple[TokenPair, dict[str, Any]]:
        try:
            return await plain()
        except ApiError as exc:
            if _at_login(exc) and isinstance(exc, _REFUSALS):
                raise ConfiguredCredentialsRefused(
                    Reason.CONFIGURED_CREDENTIALS,
                    status=exc.status,
                    detail=exc.detail,
                    subject=exc.subject,
                    # The embedded sandbox knows only its demo accounts: a refusal there says which.
                    facts={"sandbox_phones": settings.sandbox_phones} if settings.sandbox_phones else None,
                ) from None
            raise

    return attempt


class AuthTools(Handler):
    async def describe_login(self, call: Call) -> str | None:
        """A login that would switch accounts, for the user to confirm; any other login asks nothing."""
        phone = call.get("phone")
        if phone is None:
            return None  # the configured credentials: no switch
        user = self.session.user or {}
        current = user.get("phone") if self.session.signed_in else None
        current = current or self.services.settings.phone
        if current is None or plain_phone(str(current)) == phone:
            return None
        return messages.confirm_switch(plain_phone(str(current)), phone)

    async def login(self, call: Call) -> dict[str, Any]:
        phone, password = call.get("phone"), call.get("password")  # both or neither: a rule of the tool
        if phone is None:
            settings = self.services.settings
            if settings.missing_credential:
                raise ToolError(
                    ErrorCode.MISSING_CREDENTIALS, messages.half_configured(settings.missing_credential)
                )
            if not settings.signs_in:
                raise ToolError(ErrorCode.MISSING_CREDENTIALS, messages.MISSING_CREDENTIALS)
            attempt = configured_sign_in(self.client, settings)
        else:
            attempt = sign_in_with(self.client, phone, password)
        try:
            user = await self.session.sign_in(attempt)
        except ApiError as exc:
            refused = phone is not None and _at_login(exc) and isinstance(exc, _REFUSALS)
            if refused and self.services.settings.signs_in and not self.session.configured_refused:
                # Typed-in credentials were refused; the configured ones still stand.
                error = messages.tool_error(exc)
                note = messages.refused_login_note(
                    signed_in=self.session.signed_in, armed=self.session.signs_in_automatically
                )
                raise ToolError(error.code, error.message + note, api_detail=error.api_detail) from None
            raise
        return {"message": messages.logged_in(user), "user": user}

    async def logout(self, call: Call) -> dict[str, Any]:
        try:
            ended = await self.session.sign_out(self.client.logout, self.client.refresh)
        except ApiError as exc:
            if exc.reason is Reason.NOT_LOGGED_IN:  # no session, and none to open by itself: the usual error
                raise
            # The session was ended here all the same; say so unless the backend had ended it already.
            if isinstance(exc, SessionExpired | NotAuthenticated):
                return {"message": messages.LOGGED_OUT}
            return {"message": messages.LOGGED_OUT + messages.logout_note(exc)}
        return {"message": messages.LOGGED_OUT if ended else messages.SIGNED_OUT_ALREADY}

    async def whoami(self, call: Call) -> dict[str, Any]:
        generation = self.session.generation
        user = _public_user(await self.client.me())
        if self.session.generation == generation:  # not a user who signed in meanwhile
            self.session.user = user
        return {"user": user}
