"""Sign-in, sign-out, read-only mode, lockdown, toolsets: the session and the server's settings."""

from __future__ import annotations

from collections.abc import Iterable

NOT_LOGGED_IN = "Authentication token is missing. Please login first using the 'login' tool."
SESSION_EXPIRED = (
    "Your session has expired and could not be renewed. Please log in again using the 'login' tool."
)
MISSING_CREDENTIALS = (
    "No credentials given. Pass phone and password, or (recommended, so the password never passes "
    "through the conversation) set FINIZI_PHONE and FINIZI_PASSWORD in the server's environment "
    "and call login with no arguments."
)


def half_configured(missing: str) -> str:
    """Only one of FINIZI_PHONE and FINIZI_PASSWORD is set: which one is missing, and where it goes."""
    given = "FINIZI_PHONE" if missing == "FINIZI_PASSWORD" else "FINIZI_PASSWORD"
    return (
        f"{given} is set in this server's configuration but {missing} is not, so the server cannot sign in. "
        f"Add {missing} to the env block of this server in the MCP client's configuration (or enter it in "
        "the bundle's settings) and restart the client." + _NEVER_ASK
    )


_REFUSED = "The Finizi API refused the phone number and password configured for this server."
_REFUSED_WHY = (
    " They come from the MCP client's configuration (FINIZI_PHONE and FINIZI_PASSWORD, or the phone and "
    "password entered when the bundle was installed), not from this conversation: fix them there and "
    "restart the client. Never type the password into the chat."
)
CONFIGURED_CREDENTIALS_REFUSED = _REFUSED + _REFUSED_WHY
_NEVER_ASK = " Never ask the user for the password in the chat."
LOGGED_OUT = "Logged out."
SIGNED_OUT_ALREADY = (
    "Logged out. No session was open; the server will not sign in by itself again until login is called."
)

NOT_STRICT_RESULT = (
    "The result held a number that is not finite (NaN or Infinity), which JSON cannot carry; "
    "it was refused rather than guessed at."
)
ENTITY_ROLE_HINT = " Changing an entity also needs the owner or admin role there."
ENTITY_CREATED = "Entity created."


def entity_updated(fields: Iterable[str]) -> str:
    return "Entity updated: " + ", ".join(fields) + "."


def logged_in(user: dict[str, object]) -> str:
    name = user.get("full_name") or user.get("email") or user.get("phone") or "the user"
    return f"Logged in as {name}. The session lasts until logout or restart."


def refused_login_note(*, signed_in: bool, armed: bool) -> str:
    """What a login with typed-in credentials that were refused adds, on a server that has credentials
    configured: they still stand, so that nobody is led to ask for a password in the chat."""
    if signed_in:
        return " The session that was open stays as it was." + _NEVER_ASK
    if armed:
        return (
            " The credentials configured for this server in the MCP client still stand and are used by "
            "themselves: simply call the tool that is needed, or call login with no arguments." + _NEVER_ASK
        )
    return (
        " This server has credentials configured in the MCP client: call login with no arguments to sign "
        "in with them." + _NEVER_ASK
    )


def read_only_refusal(name: str) -> str:
    """What a call of a write tool gets in read-only mode."""
    return (
        f"{name} changes data in Finizi, and this server runs in read-only mode (--read-only or "
        "FINIZI_B4B_READ_ONLY), so it was not run and nothing was changed. Only the tools that read data "
        "(and login, logout) are available; turning read-only mode off is a setting of the MCP client's "
        "configuration."
    )


LOCKDOWN_WITHHELD = (
    "lockdown: notes and long line descriptions written by invoice issuers are withheld; "
    "give include_free_text: true to read them"
)


def not_confirmed(name: str, action: str) -> str:
    """What a write gets when the user did not confirm it."""
    how = "declined" if action == "decline" else "cancelled"
    return (
        f"The user {how} {name} when asked to confirm it, so nothing was sent to Finizi and nothing was "
        "changed. Do not try again unless the user asks for it."
    )


def toolset_not_enabled(name: str, toolset: str) -> str:
    """What a call of a tool outside the served toolsets gets."""
    return (
        f"{name} belongs to the {toolset} toolset, which this server was not started with, so it was not "
        f"run. Adding {toolset} to FINIZI_B4B_TOOLSETS (or --toolsets) in the MCP client's configuration "
        "serves it."
    )


def branch_fallback(tax_id: str) -> str:
    return f"No vendor has the branch tax id {tax_id}; this is its parent company."
