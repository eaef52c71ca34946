"""What an ApiError means for a tool call: tool_error and the words for each reason."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from finizi_b4b.api import errors
from finizi_b4b.api.errors import ApiError, Reason, Subject
from finizi_b4b.api.transport import MAX_ANSWER_BYTES
from finizi_b4b.api.untrusted import quote
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.tools.messages.session import _REFUSED, _REFUSED_WHY, NOT_LOGGED_IN, SESSION_EXPIRED
from finizi_b4b.tools.rules import Breach, Kind

_SUBJECTS = {
    "login": "The login",
    "logout": "The logout",
    "refresh": "The session refresh",
    "user": "The current user",
    "my_entities": "Your entity list",
    "new_entity": "The new entity",
    "entity": "Entity {0}",
    "invoice": "Invoice {0} of entity {1}",
    "invoice_import": "The invoice import into entity {0}",
    "vendor": "Vendor {0} of entity {1}",
    "vendor_tax_id": "Vendor with tax id {0} in entity {1}",
    "tax_report": "The tax report request of entity {0}",
    "job": "The report job {0}",
    "trial_balance": "The trial balance of entity {0}",
    "general_ledger": "The general ledger of account {0} in entity {1}",
    "company": "The registry's record of tax id {0} (entity {1})",
    "invoice_payments": "The payments of invoice {0} of entity {1}",
    "payment": "The payment of invoice {0} of entity {1}",
}
_MALFORMED = {
    "not_object": "expected an object, got {got}",
    "missing": "'{field}' is missing",
    "wrong_shape": "'{field}' has the wrong shape",
}


def invalid_arguments(problems: Iterable[str]) -> str:
    return "Invalid arguments: " + "; ".join(problems)


def invalid_arguments_error(problems: Iterable[str]) -> ToolError:
    """The ``invalid_arguments`` failure listing every problem found."""
    return ToolError(ErrorCode.INVALID_ARGUMENTS, invalid_arguments(problems))


def _names(names: Iterable[str]) -> str:
    listed = list(names)
    return ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else "".join(listed)


# What a broken argument rule (finizi_b4b.tools.rules) says, by its kind.
_BREACHES: dict[Kind, Callable[[Breach], str]] = {
    Kind.EXACTLY_ONE: lambda b: f"give exactly one of {_names(b.names)}",
    Kind.AT_LEAST_ONE: lambda b: "give at least one field to change: " + ", ".join(b.names),
    Kind.BOTH_OR_NEITHER: lambda b: (
        f"give both {_names(b.names)}, or neither to use the environment"
        if b.names == ("phone", "password")
        else f"give both {_names(b.names)}, or neither"
    ),
    Kind.IN_ORDER: lambda b: f"{b.names[0]} ({b.facts['first']}) is after {b.names[1]} ({b.facts['last']})",
    Kind.NUL_CHARACTER: lambda b: f"$.{b.names[0]}: contains a NUL character",
    Kind.NOT_ABSOLUTE: lambda b: (
        f"$.{b.names[0]}: must be an absolute path (a ~user/ that this system knows)"
    ),
}


def breach(found: Breach) -> str:
    return _BREACHES[found.kind](found)


def unknown_tool(shown: str, available: Iterable[str]) -> str:
    return f"There is no tool named {shown}. Available tools: {', '.join(available)}."


def unexpected_failure(tool: str) -> str:
    return f"finizi-b4b failed unexpectedly running {tool}; the details are in the server's log."


def subject_text(subject: Subject | None) -> str:
    if subject is None:
        return "The request"
    template = _SUBJECTS.get(subject.kind)
    if template is None:
        return "The request"
    try:
        return template.format(*subject.ids)
    except IndexError:
        return "The request"


def _said(exc: ApiError) -> str:
    """Where the backend's own words are: never spliced into ours, but quoted apart in ``api_detail``
    (written by whoever runs or reaches the API; cleaned and cut short)."""
    return " The API's own words are in api_detail." if quote(exc.detail) else ""


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def _when(exc: ApiError, otherwise: str) -> str:
    if exc.retry_after is not None:
        return f" Retry after {_seconds(exc.retry_after)} seconds."
    return otherwise


def _malformed(exc: ApiError) -> str:
    facts = exc.facts
    record = facts.get("record", "answer")
    problem = _MALFORMED.get(str(facts.get("problem")))
    if problem is None:
        return f"The B4B API sent a malformed {record}."
    try:
        why = problem.format(field=facts.get("field", "?"), got=facts.get("got", "?"))
    except (KeyError, IndexError):
        return f"The B4B API sent a malformed {record}."
    return f"The B4B API sent a malformed {record}: {why}."


def _session_check(exc: ApiError) -> str:
    """A login the API accepted, whose new session it then refused (or did not answer for)."""
    answered = f"answered HTTP {exc.status}" if exc.status else "gave no usable answer"
    return (
        "The Finizi B4B API accepted the login but refused the session it had just opened when it was "
        f"checked (GET /users/me {answered}). This is a fault on the API's side, not the credentials. "
        "Never ask the user for the password." + _when(exc, " Try again in a moment.")
    )


def _not_found(exc: ApiError, what: str) -> str:
    # The same words for a 403 and a 404 (and without the backend's), so that ids cannot be probed.
    return (
        f"{what} was not found or not accessible with your account. "
        "Check the id (list_entities and the list tools show valid ones)."
    )


def _unavailable(exc: ApiError, what: str) -> str:
    return f"The Finizi B4B API is temporarily unavailable (HTTP {exc.status})." + _when(
        exc, " Try again in a moment."
    )


def _backend_error(exc: ApiError, what: str) -> str:
    # The body of a 5xx can hold a backend's internals: it is never shown, only logged as a digest.
    return f"The B4B API failed with HTTP {exc.status} ({what}). Try again later."


# What an answer of each kind says, by the kind the status was mapped to (``sansio.error_for``).
_BY_KIND: dict[type[ApiError], Callable[[ApiError, str], str]] = {
    errors.NotAuthenticated: lambda exc, what: "The B4B API rejected the session." + _said(exc),
    errors.NotFound: _not_found,
    errors.Conflict: lambda exc, what: (
        f"The B4B API refused this as a conflict with existing data.{_said(exc)} Nothing was changed."
    ),
    errors.PayloadTooLarge: lambda exc, what: (
        f"The B4B API refused the upload as too large (limit 5 MB).{_said(exc)}"
    ),
    errors.ValidationFailed: lambda exc, what: (
        f"The B4B API rejected the request as invalid.{_said(exc)} Correct the input and try again."
    ),
    errors.RateLimited: lambda exc, what: (
        "The B4B API is rate limiting requests." + _said(exc) + _when(exc, " Wait a moment before retrying.")
    ),
    errors.BackendUnavailable: _unavailable,
    errors.RequestRefused: lambda exc, what: (
        f"The B4B API refused the request with HTTP {exc.status} ({what}).{_said(exc)}"
    ),
    errors.BackendError: _backend_error,
}


def _by_kind(exc: ApiError, what: str) -> str:
    for kind in type(exc).__mro__:
        words = _BY_KIND.get(kind)
        if words is not None:
            return words(exc, what)
    return f"{what} failed unexpectedly; the details are in the server's log."


def _credentials(exc: ApiError, what: str) -> str:
    return (
        "Login failed: the phone number or password was refused."
        + _said(exc)
        + (" Check the credentials and try again.")
    )


def _amount_out_of_range(exc: ApiError, what: str) -> str:
    record = exc.facts.get("record", "answer")
    ident = exc.facts.get("id")
    which = f" {record} {ident}" if ident else f" {record}"
    return (
        f"The B4B API sent an amount out of range in{which} (larger than 10^18, or with more than "
        "6 decimals); it was refused rather than shown or added up."
    )


def _connect(exc: ApiError, what: str) -> str:
    detail = f" ({exc.detail})" if exc.detail else ""
    return f"Could not reach the Finizi B4B API{detail}. Check FINIZI_API_URL and your network."


_TIMED_OUT = "The Finizi B4B API did not answer in time. Try again in a moment."


def sandbox_credentials_note(phones: tuple[str, ...]) -> str:
    """Logged at start: serve --sandbox with credentials from the environment that are not a demo account."""
    return (
        "FINIZI_PHONE or FINIZI_PASSWORD is set, but the embedded sandbox knows only its demo accounts ("
        + ", ".join(phones)
        + "): signing in with the configured credentials will be refused. Unset both to sign in as the "
        "demo administrator."
    )


def _sandbox_refused(phones: tuple[str, ...]) -> str:
    return (
        "The server runs against its embedded sandbox (serve --sandbox), which knows only its demo accounts ("
        + ", ".join(phones)
        + "), so it refused the phone number and password configured for this server (FINIZI_PHONE and "
        "FINIZI_PASSWORD, meant for the real Finizi). Unset both and restart to sign in as the demo "
        "administrator by itself, or call login with a demo account's phone and password."
    )


# What a failure says, by its reason; Reason.STATUS goes by the kind of answer (_BY_KIND).
_BY_REASON: dict[Reason, Callable[[ApiError, str], str]] = {
    Reason.STATUS: _by_kind,
    Reason.NOT_LOGGED_IN: lambda exc, what: NOT_LOGGED_IN,
    Reason.SESSION_EXPIRED: lambda exc, what: SESSION_EXPIRED,
    Reason.CONFIGURED_CREDENTIALS: lambda exc, what: (
        _sandbox_refused(exc.facts["sandbox_phones"])
        if exc.facts.get("sandbox_phones")
        else _REFUSED + _said(exc) + _REFUSED_WHY
    ),
    Reason.NOT_THE_API: lambda exc, what: (
        f"The address set as FINIZI_API_URL answered HTTP {exc.status} ({what}), which the Finizi B4B API "
        "never sends: it does not look like the Finizi API (a plain web server answers so). Check "
        "FINIZI_API_URL in the MCP client's configuration: https://admin.finizi.ai unless you were given "
        "another address."
    ),
    Reason.CREDENTIALS: _credentials,
    Reason.SESSION_CHECK: lambda exc, what: _session_check(exc),
    Reason.NO_MATCH: _not_found,
    Reason.REDIRECT: lambda exc, what: (
        f"The B4B API answered with a redirect (HTTP {exc.status}) that was not followed: "
        "redirects to another host, and any redirect of a login or session request, are refused "
        "so that credentials stay with FINIZI_API_URL. Check FINIZI_API_URL (scheme, host and port)."
    ),
    Reason.TOO_LARGE: lambda exc, what: (
        f"The B4B API sent an answer over {MAX_ANSWER_BYTES // (1024 * 1024)} MB ({what}); "
        "it was not read. Ask for less (a smaller page_size, or filters) and try again."
    ),
    Reason.NOT_JSON: lambda exc, what: (
        f"The B4B API sent an answer that is not JSON ({what}). Check FINIZI_API_URL."
    ),
    Reason.NOT_STRICT_JSON: lambda exc, what: (
        f"The B4B API sent JSON with a number that is not finite (NaN or Infinity) ({what}); "
        "the answer was refused rather than guessed at."
    ),
    Reason.MALFORMED: lambda exc, what: _malformed(exc),
    Reason.AMOUNT_OUT_OF_RANGE: _amount_out_of_range,
    Reason.BAD_TOKEN: lambda exc, what: (
        f"The B4B API sent an unusable token ({what}): empty, or with characters a header cannot "
        "carry. Nothing was stored. Try again; report it if it persists."
    ),
    Reason.TIMEOUT: lambda exc, what: _TIMED_OUT,
    Reason.REFRESH_TIMEOUT: lambda exc, what: _TIMED_OUT,
    Reason.CONNECT: _connect,
    Reason.REFRESH_INTERRUPTED: lambda exc, what: (
        "The session refresh was interrupted. Try again in a moment."
    ),
}


def _message(exc: ApiError) -> str:
    what = subject_text(exc.subject)
    words = _BY_REASON.get(exc.reason)
    if words is None:
        return f"{what} failed unexpectedly; the details are in the server's log."
    return words(exc, what)


def tool_error(exc: ApiError) -> ToolError:
    """The tool error (stable code, actionable words, retry facts, the API's own words quoted apart)
    for an API-layer failure."""
    return ToolError(
        ErrorCode(exc.code),
        _message(exc),
        status=exc.status,
        retryable=exc.retryable,
        retry_after=exc.retry_after,
        api_detail=quote(exc.detail),
    )


def logout_note(exc: ApiError) -> str:
    """What logout says when the backend could not be told (the session ends here all the same)."""
    return " The server could not be told (" + _message(exc).rstrip(".") + "); the session was ended here."
