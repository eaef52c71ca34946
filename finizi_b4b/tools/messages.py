"""Every sentence a model reads about a failure, in one place.

The API layer and the session raise :class:`~finizi_b4b.api.errors.ApiError`
with facts only (a code, a reason, the status, the backend's own ``detail``);
:func:`tool_error` turns those facts into the :class:`ToolError` a tool call
ends in. Handlers add their own hints here too, so that the wording of the
server can be read (and reviewed) in one file.

Below them, the modules that check what a model sends report codes with facts
as well, and are worded here by tables keyed by those codes: the e-invoice XML
reader (:class:`~finizi_b4b.einvoice_xml.XmlProblem`), the file reader of
imports (:class:`~finizi_b4b.paths.FileProblem`) and the argument
validator (:class:`~finizi_b4b.validation.Keyword`, with the patterns put in
words by :mod:`finizi_b4b.tools.pattern_words`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

from finizi_b4b.api import errors
from finizi_b4b.api.errors import ApiError, Reason, Subject
from finizi_b4b.api.money import amount_text
from finizi_b4b.api.transport import MAX_ANSWER_BYTES
from finizi_b4b.api.untrusted import quote
from finizi_b4b.einvoice_xml import VAT_RATES, InvoiceXMLError, XmlProblem
from finizi_b4b.einvoice_xml.problems import shown as _cut
from finizi_b4b.errors import ErrorCode, ToolError
from finizi_b4b.paths import FileProblem
from finizi_b4b.tools.pattern_words import form_words
from finizi_b4b.tools.rules import Breach, Kind
from finizi_b4b.validation import ArgumentProblem, Keyword

if TYPE_CHECKING:
    from finizi_b4b.api.registry import Company as RegistryCompany
    from finizi_b4b.einvoice_xml import ParsedInvoice
    from finizi_b4b.tools.import_checks import Existing
    from finizi_b4b.tools.paid import PaidBasis, PaymentScope

__all__ = [
    "CONFIGURED_CREDENTIALS_REFUSED",
    "ENTITY_ROLE_HINT",
    "FILE_FAILED_UNEXPECTEDLY",
    "MISSING_CREDENTIALS",
    "NOT_LOGGED_IN",
    "NOT_STRICT_RESULT",
    "SESSION_EXPIRED",
    "SIGNED_OUT_ALREADY",
    "argument_problem",
    "branch_fallback",
    "file_problem",
    "half_configured",
    "invalid_arguments",
    "logout_note",
    "read_only_refusal",
    "refused_login_note",
    "subject_text",
    "tool_error",
    "unusable_xml",
    "xml_problem",
]

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
        "the bundle's settings) and restart the client. Never ask the user for the password in the chat."
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


def logout_note(exc: ApiError) -> str:
    """What logout says when the backend could not be told (the session ends here all the same)."""
    return " The server could not be told (" + _message(exc).rstrip(".") + "); the session was ended here."


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


# -- e-invoice XML, the files it is read from, and the argument validator ----------------------------------
# einvoice_xml, tools/import_files.py and validation.py raise or report codes with facts; these are their
# words. Every code has words here (tests/unit/test_messages.py holds it).


def _quoted(value: object) -> str:
    """A value from a document or the disk, quoted and escaped, at most 40 characters (the facts are cut)."""
    return repr(str(value))


_VAT_RATES_WORDS = ", ".join(f"{rate}%" for rate in VAT_RATES) + ", KCT"

# What an e-invoice XML problem says, by its code (finizi_b4b.einvoice_xml.XmlProblem).
_XML: dict[XmlProblem, Callable[[Mapping[str, Any]], str]] = {
    XmlProblem.NOT_WELL_FORMED: lambda f: (
        f"not well-formed XML ({expat.ErrorString(f['code'])} at line {f['line']}, column {f['column']})."
    ),
    XmlProblem.DOCTYPE: lambda f: "document type declarations (DOCTYPE) are not allowed.",
    XmlProblem.ENTITY: lambda f: "entity declarations are not allowed.",
    XmlProblem.UNPAIRED_SURROGATE: lambda f: (
        f"the text holds an unpaired surrogate (U+{f['code_point']:04X}) at character {f['at']}."
    ),
    XmlProblem.UNSUPPORTED_ENCODING: lambda f: (
        f"the declared encoding {_quoted(f['encoding'])} is not supported; save the file as UTF-8."
    ),
    XmlProblem.ENCODING_MISMATCH: lambda f: (
        f"the declaration names {_quoted(f['encoding'])} but the file is not in that encoding."
    ),
    XmlProblem.UNDECODABLE: lambda f: f"the file is not valid {f['encoding']} (byte {f['byte']}).",
    XmlProblem.WRONG_ROOT: lambda f: f"the root element is <{f['value']}>, not <HDon>.",
    XmlProblem.MISSING: lambda f: f"{f['path']} is missing.",
    XmlProblem.EMPTY: lambda f: f"{f['path']} is empty.",
    XmlProblem.NOT_A_NUMBER: lambda f: f"{f['path']} is not a number: {_quoted(f['value'])}.",
    XmlProblem.NEGATIVE: lambda f: (
        f"{f['path']} must be a number of zero or more, not {_quoted(f['value'])}."
    ),
    XmlProblem.OUT_OF_RANGE: lambda f: (
        f"{f['path']} is out of range ({f['value']}): at most 10^18, with 6 decimals at most."
    ),
    XmlProblem.NOT_A_VAT_RATE: lambda f: (
        f"{f['path']} {_quoted(f['value'])} is not a VAT rate in use ({_VAT_RATES_WORDS})."
    ),
    XmlProblem.BAD_TAX_ID: lambda f: (
        f"{f['path']} {_quoted(f['value'])} is not a tax id (10 digits, 10-3 or 12-14 digits)."
    ),
    XmlProblem.BAD_SERIES: lambda f: (
        f"{f['path']} {_quoted(f['value'])} is not a series (up to 12 letters and digits)."
    ),
    XmlProblem.BAD_NUMBER: lambda f: (
        f"{f['path']} {_quoted(f['value'])} is not an invoice number (digits only)."
    ),
    XmlProblem.BAD_DATE: lambda f: f"{f['path']} {_quoted(f['value'])} is not a date (YYYY-MM-DD).",
    XmlProblem.NO_LINES: lambda f: f"{f['path']} has no HHDVu line.",
    XmlProblem.LINE_MISMATCH: lambda f: (
        f"{f['path']} is {_cut(f['found'])} but SLuong x DGia is {_cut(f['expected'])}."
    ),
    XmlProblem.BEFORE_TAX_MISMATCH: lambda f: (
        f"{f['path']} is {_cut(f['found'])} but the lines add up to {_cut(f['expected'])}."
    ),
    XmlProblem.TOTAL_MISMATCH: lambda f: (
        f"{f['path']} is {_cut(f['found'])} but TgTCThue + TgTThue is {_cut(f['expected'])}."
    ),
}


def xml_problem(exc: InvoiceXMLError) -> str:
    """What is wrong with an e-invoice XML, as a sentence ("HDon/DLHDon/TTChung/SHDon is missing.")."""
    return _XML[exc.problem](exc.facts)


def unusable_xml(exc: InvoiceXMLError) -> str:
    """Why an e-invoice XML was refused before it was uploaded."""
    return f"The XML is not usable: {xml_problem(exc)} Nothing was uploaded."


# What reading a local file for an import says, by its code (finizi_b4b.paths.FileProblem).
_FILES: dict[FileProblem, Callable[[Mapping[str, Any]], str]] = {
    FileProblem.NO_FILE: lambda f: f"No file at {f['path']}. Check the path and try again.",
    FileProblem.SYMBOLIC_LINK: lambda f: (
        f"{f['path']} is a symbolic link; links are not followed. Give the path of the XML file itself."
    ),
    FileProblem.NOT_A_FILE: lambda f: f"{f['path']} is not a regular file. Give the path of an XML file.",
    FileProblem.UNREADABLE: lambda f: f"Cannot read {f['path']}: {f['reason']}.",
    FileProblem.TOO_LARGE: lambda f: (
        f"{f['path']} is {f['size'] / 1048576:.1f} MB; e-invoice XML files are limited to "
        f"{f['limit'] // 1048576} MB."
    ),
    FileProblem.GREW_TOO_LARGE: lambda f: (
        f"{f['path']} is over {f['limit'] // 1048576} MB; e-invoice XML is limited to "
        f"{f['limit'] // 1048576} MB."
    ),
    FileProblem.TEXT_TOO_LARGE: lambda f: (
        f"xml_content is over {f['limit'] // 1048576} MB; e-invoice XML is limited to "
        f"{f['limit'] // 1048576} MB."
    ),
    FileProblem.UTF8_TOO_LARGE: lambda f: (
        f"The file (as UTF-8) is over {f['limit'] // 1048576} MB; e-invoice XML is limited to "
        f"{f['limit'] // 1048576} MB."
    ),
}


def file_problem(problem: FileProblem, facts: Mapping[str, Any]) -> str:
    """Why a local file could not be read for an import."""
    return _FILES[problem](facts)


# One file of a batch import that failed in a way no code foresees; the batch goes on.
FILE_FAILED_UNEXPECTEDLY = "This file could not be handled; see the server's log."


_FORMATS = {"date": "a real calendar date written YYYY-MM-DD"}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _unexpected(names: Sequence[str], shown: int = 5, width: int = 40) -> str:
    """Property names for a message: a few, each cut short and escaped (a key may hold anything)."""
    words = [repr(n if len(n) <= width else n[:width] + "…") for n in names[:shown]]
    if len(names) > shown:
        words.append(f"and {len(names) - shown} more")
    return ", ".join(words) + (" was" if len(names) == 1 else " were")


def _form(problem: ArgumentProblem) -> str:
    """What a value with a pattern must be: the property's phrase, else the pattern's structure."""
    words = form_words(problem.name, problem.facts["pattern"])
    return f"must be {words}" if words else "does not have the expected form"


def _wrong_type(problem: ArgumentProblem) -> str:
    if problem.facts.get("not_finite"):
        return "must be a finite number"
    if problem.facts.get("pattern"):  # a value with a form: say what the form is
        return _form(problem)
    return "must be of type " + " or ".join(problem.facts["types"])


# What an argument that breaks a keyword of its schema says, by the keyword (finizi_b4b.validation.Keyword).
# Never the value: it may be a password.
_KEYWORDS: dict[Keyword, Callable[[ArgumentProblem], str]] = {
    Keyword.TYPE: _wrong_type,
    Keyword.ENUM: lambda p: "must be one of " + ", ".join(map(_dumps, p.facts["options"])),
    Keyword.CONST: lambda p: f"must be {_dumps(p.facts['value'])}",
    Keyword.PATTERN: _form,
    Keyword.FORMAT: lambda p: f"must be {_FORMATS[p.facts['format']]}",
    Keyword.MIN_LENGTH: lambda p: (
        "must not be empty" if p.facts["limit"] == 1 else f"must be at least {p.facts['limit']} characters"
    ),
    Keyword.MAX_LENGTH: lambda p: f"must be at most {p.facts['limit']} characters long",
    Keyword.MINIMUM: lambda p: f"must be >= {p.facts['limit']}",
    Keyword.MAXIMUM: lambda p: f"must be <= {p.facts['limit']}",
    Keyword.EXCLUSIVE_MINIMUM: lambda p: f"must be > {p.facts['limit']}",
    Keyword.EXCLUSIVE_MAXIMUM: lambda p: f"must be < {p.facts['limit']}",
    Keyword.MIN_ITEMS: lambda p: f"must have at least {p.facts['limit']} items",
    Keyword.MAX_ITEMS: lambda p: f"must have at most {p.facts['limit']} items",
    Keyword.UNIQUE_ITEMS: lambda p: "must not repeat items",
    Keyword.ITEMS: lambda p: "must be empty",
    Keyword.REQUIRED: lambda p: f"{p.facts['name']!r} is a required property",
    Keyword.ADDITIONAL_PROPERTIES: lambda p: (
        f"Additional properties are not allowed ({_unexpected(p.facts['names'])} unexpected)"
    ),
}


def argument_problem(problem: ArgumentProblem) -> str:
    """One problem of a tool's arguments: its place and the rule, e.g. "$.page_size: must be <= 200"."""
    return f"{problem.json_path}: {_KEYWORDS[problem.keyword](problem)}"


# -- summaries and batch imports (summarize_invoices, import_invoice_xml with file_paths) ----------


def too_many_invoices(matching: int | None, cap: int) -> str:
    """Why a summary was refused: more invoices match than it adds up."""
    found = f"{matching:,} invoices match" if matching is not None else f"More than {cap:,} invoices match"
    return (
        f"{found}; a summary adds up at most {cap:,}, and a partial sum would be a wrong total, so none "
        "was made. Narrow the question (a shorter date_from..date_to period, a direction, status or "
        "vendor_id) and combine the answers, e.g. one call per quarter."
    )


def batch_paths_invalid(problems: list[str]) -> str:
    """Why a batch was refused before any file was read."""
    return invalid_arguments(problems) + ". Nothing was read or uploaded."


def batch_summary(files: int, counts: dict[str, int], preview: bool) -> str:
    """The first line of a batch's result: how many files had each outcome."""
    said = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items() if n)
    if preview:
        text = f"Previewed {files} file(s): {said}. Nothing was uploaded."
    else:
        text = f"{files} file(s): {said}."
    if counts.get("not_reached"):
        text += (
            " The call's time limit came before the files not reached were read"
            + ("" if preview else " or uploaded")
            + "; call again with those files."
        )
    if counts.get("in_finizi"):
        text += (
            " in finizi: an upload's answer was lost and its retry was refused as a duplicate, so the "
            "first upload most likely imported it."
        )
    if counts.get("possibly_imported"):
        text += (
            " possibly imported: the entity has an invoice with the same series and number, and the API's "
            "list does not say its seller; check it with get_invoice before importing."
        )
    return text


def imported(label: str, invoice_id: str | None, *, answer_named_it: bool) -> str:
    """What a single import says when the upload was accepted."""
    if answer_named_it:
        return f"Invoice {label} imported."
    if invoice_id is not None:
        return f"Invoice {label} imported (id {invoice_id}, found by its series and number)."
    return (
        f"Invoice {label} was accepted by the API, whose answer did not name the new invoice, and a look-up "
        "by series and number did not find it yet (it may still be processing). Check with list_invoices "
        "and invoice_series, invoice_number in a moment; do not import it again."
    )


def in_finizi_after_retry(label: str, invoice_id: str | None) -> str:
    """A 409 after the upload was sent again (its first answer was lost)."""
    where = f" (id {invoice_id})" if invoice_id else ""
    text = (
        f"Invoice {label} is in Finizi{where}. The first upload's answer was lost on the way and the retry "
        "was refused as a duplicate, so the first upload most likely imported it (it may also have been "
        "imported before). Do not import it again."
    )
    if invoice_id is None:
        text += " A look-up by series and number did not find it yet: check with list_invoices in a moment."
    return text


def preview(
    parsed: ParsedInvoice, direction: str | None, entity_tax_id: str | None, existing: Existing | None
) -> str:
    """The sentence of an import preview."""
    label = f"{parsed.series}/{parsed.number}"
    if entity_tax_id is None:
        return (
            f"Invoice {label} could not be checked against the entity: the API's entity list gives no tax id "
            f"for it, so whether the seller ({parsed.seller.tax_id}) or the buyer "
            f"({parsed.buyer.tax_id or 'no tax id'}) is this entity is unknown. Nothing was uploaded."
        )
    if direction is None:
        return (
            f"Invoice {label} names neither seller ({parsed.seller.tax_id}) nor buyer "
            f"({parsed.buyer.tax_id or 'no tax id'}) as this entity (tax id {entity_tax_id}); "
            "importing it would be refused. Nothing was uploaded."
        )
    if existing is not None and existing.certain:
        return (
            f"Invoice {label} is already imported (id {existing.invoice_id}); importing it again is refused."
        )
    if existing is not None:
        return (
            f"Invoice {label} may already be imported: invoice {existing.invoice_id} has the same series and "
            "number, and the API's list does not say its seller. Check it with get_invoice before importing. "
            "Nothing was uploaded."
        )
    return f"Invoice {label} can be imported as a {direction} invoice. Nothing was uploaded."


def out_of_time(tool: str, budget: float) -> str:
    """What a call gets when it ran past its deadline and was stopped."""
    return (
        f"{tool} did not finish within the call's time limit ({budget:g} s, FINIZI_B4B_CALL_DEADLINE) and "
        "was stopped. Try again, or ask for less at a time."
    )


def summary_out_of_time(read: int, reported: int | None, budget: float | None) -> str:
    """Why a summary was refused: the deadline came before every invoice was read."""
    of = f" of {reported:,}" if reported is not None else ""
    limit = f" ({budget:g} s)" if budget else ""
    return (
        f"The summary could not be finished within the call's time limit{limit}: {read:,}{of} invoices "
        "were read, and a partial sum would be a wrong total, so none is given. Narrow the question (a "
        "shorter date_from..date_to period, a direction, status or vendor_id) and combine the answers."
    )


ALL_TIME_STATISTICS = (
    "All-time statistics, as the API's statistics summary gives them (it takes no period). "
    "For a period, give date_from and date_to: those figures are computed from the invoice list."
)


def period_statistics(period: dict[str, str], source: str, complete: bool) -> str:
    """What the statistics of a period are made from."""
    span = f"{period.get('date_from', 'the first invoice')} to {period.get('date_to', 'today')}"
    made = "the API's sums over the invoice list" if source == "aggregations" else "every invoice listed"
    text = f"Statistics of invoices issued {span}, computed from {made} (cancelled ones counted, not summed)."
    if not complete:
        text = "INCOMPLETE: the invoice list could not be read whole (see coverage); " + text
    return text


# -- confirming a write with the user (the line the client shows before the write is made) ---------


def _dotted(value: Decimal) -> str:
    """An amount as written in Vietnam: ``123.456.789`` (and a decimal comma, when there are decimals)."""
    whole = f"{int(value):,}".replace(",", ".")
    fraction = abs(value) - abs(int(value))
    return whole if not fraction else whole + "," + format(fraction.normalize(), "f")[2:]


def _entity_words(name: str | None, tax_id: str | None, entity_id: str) -> str:
    label = name or f"entity {entity_id}"
    return f"{label} (MST {tax_id})" if tax_id else label


def confirm_import(
    count: int, totals: dict[str, Decimal], unusable: int, entity: tuple[str | None, str | None, str]
) -> str:
    """The one line a user confirms before invoices are imported."""
    what = f"{count} e-invoice{'s' if count != 1 else ''}"
    money = ", ".join(f"{_dotted(total)} {currency}" for currency, total in totals.items())
    line = f"Import {what}" + (f", total {money}," if money else "") + f" into {_entity_words(*entity)}?"
    if unusable:
        line += f" ({unusable} other file{'s are' if unusable != 1 else ' is'} not a usable e-invoice and "
        line += "will not be sent.)"
    return line


def confirm_create(name: str | None, tax_id: str | None) -> str:
    return (
        f"Create the company {name or '(no name)'}" + (f" (MST {tax_id})" if tax_id else "") + " in Finizi?"
    )


def confirm_update(fields: Iterable[str], entity: tuple[str | None, str | None, str]) -> str:
    return f"Change {_names(fields)} of {_entity_words(*entity)} in Finizi?"


def _phone_shown(phone: str | None) -> str:
    """A phone number with its middle hidden: ``+84909…665``."""
    if not phone:
        return "the current account"
    return phone[:6] + "…" + phone[-3:] if len(phone) > 9 else phone


def confirm_switch(current: str | None, new: str) -> str:
    return f"Switch the Finizi account from {_phone_shown(current)} to {_phone_shown(new)}?"


# -- reports (generate_tax_report, send_tax_report_to_htkk, get_trial_balance, get_general_ledger) --

_SUBJECTS.update(
    {
        "tax_report": "The tax report request of entity {0}",
        "job": "The report job {0}",
        "trial_balance": "The trial balance of entity {0}",
        "general_ledger": "The general ledger of account {0} in entity {1}",
    }
)
REPORT_NAMES = {"vat": "VAT report", "pit": "PIT report", "cit": "CIT report", "bctc": "financial statements"}


def _vnd(value: Decimal) -> str:
    from finizi_b4b.api.money import amount_text

    return f"{amount_text(value)} VND"


def report_title(report_type: str, period: str) -> str:
    return f"{REPORT_NAMES.get(report_type, report_type)} for {period}"


def report_job_progress(status: str, poll: int) -> str:
    return f"Report job {status} (poll {poll})"


def _report_kept(report_id: str, url: str | None) -> str:
    link = f" and its download link {url}" if url else ""
    return f"the report id is {report_id}{link}"


def report_not_ready(title: str, report_id: str, url: str | None, status: str, budget: float | None) -> str:
    """Polling stopped at the call's deadline; the report may still be made."""
    limit = f" ({budget:g} s, FINIZI_B4B_CALL_DEADLINE)" if budget else ""
    return (
        f"The {title} was requested, but its job was still {status} when the call's time limit{limit} came, "
        f"so the server stopped waiting. Nothing is lost: {_report_kept(report_id, url)}. Download it there "
        "later; asking again generates a new report."
    )


def report_poll_failed(error: ToolError, title: str, report_id: str, url: str | None) -> ToolError:
    """A failure while following the job of a report that was requested: the error, naming the report."""
    error.message += (
        f" The {title} was requested and may still be made: {_report_kept(report_id, url)}; check the link "
        "later rather than asking for a new report."
    )
    return error


def report_job_failed(title: str, report_id: str, status: str, said: str | None) -> str:
    how = "was revoked (cancelled) on the API's side" if status == "revoked" else "failed"
    words = f" The API said: {said.rstrip('.')}." if said else ""
    return (
        f"The {title} was not generated: its job {how}.{words} Report id {report_id}. Check the period's "
        "invoices and try again; nothing was declared."
    )


def report_done(title: str, statuses: list[str], htkk: bool, url: str | None) -> str:
    ended = (
        f"job {', '.join(statuses)}"
        if statuses
        else "the API queued no job to follow, so it may not be ready"
    )
    where = f" Download: {url}." if url else " The API gave no download link."
    sent = " It was generated with upload_htkk, for the API to send to HTKK." if htkk else ""
    return f"{title[0].upper()}{title[1:]}: {ended}.{where}{sent}"


REPORT_FIGURES = (
    " The figures are the report's, read by field names the API does not document (assumed: output, input, "
    "amount, tax_amount, by_rate, payable); they are checked below."
)
OTHER_FIGURES = " The figures are the report's numeric fields as the API named them."
NO_REPORT_FIGURES = (
    " The job's answer carried no figures, so those below are computed from the period's invoices "
    "(issued, validated or paid; drafts counted apart), not the report's."
)
NO_FIGURES = " The job's answer carried no figures."
NO_PIT_FIGURES = " The job's answer carried no figures, and invoices hold nothing to compute PIT from."


def report_fields_missing(missing: list[str], inconsistent: list[str]) -> str:
    text = ""
    if missing:
        text += f" The report lacks {', '.join(missing)}: no figure was put in their place."
    if inconsistent:
        text += f" Within the report, {', '.join(inconsistent)} do not add up: read its figures with care."
    return text


def side_check(what: str, direction: str, row: dict) -> str:
    """One line of a cross-check: a report's figure (``what``) against the period's invoices."""
    invoices = Decimal(str(row["invoices"]))
    of = f"the {direction} invoices' ({_vnd(invoices)}, {row['count']} invoices, cancelled left out)"
    result = row["result"]
    if result == "not_checkable":
        return f"{what}: not in the report, so not checked against {of}."
    if result == "agrees":
        return f"{what} agrees with {of}."
    difference = Decimal(str(row["difference"]))
    text = f"{what} differs from {of} by {_vnd(difference)}"
    if result == "drafts":
        drafts = row["drafts"]
        return text + f": exactly the {drafts['count']} draft invoice(s), not declared until issued."
    return text + "; look for invoices issued late, re-dated or in another period."


def cross_check_words(lines: list[str], other_currencies: int, complete: bool) -> str:
    text = (" Cross-check against the period's invoices: " + " ".join(lines)) if lines else ""
    if other_currencies:
        text += f" {other_currencies} invoice(s) in other currencies were left out of the invoices' figures."
    if not complete:
        text = (
            " INCOMPLETE: the invoice list could not be read whole, or some invoices lacked an amount (see "
            "the summaries), so the invoices' figures cover only what was read." + text
        )
    return text


VAT_NAMES_UNREAD = (
    " The report holds no output or input under the assumed names, so it cannot be checked; invoice_figures "
    "are computed from the period's invoices (issued, validated or paid; drafts counted apart)."
)


def cross_check_not_made(why: str) -> str:
    return f" The cross-check against the invoices could not be made: {why}"


NOTHING_TO_CHECK = " PIT is not checked: invoices hold no payroll."


def confirm_htkk(report_type: str, period: str, entity: tuple[str | None, str | None, str]) -> str:
    """The one line a user confirms before a report is generated and sent to HTKK."""
    title = report_title(report_type, period)
    return f"Generate the {title} of {_entity_words(*entity)} and send it to HTKK?"


_BALANCE_CHECKS = (
    ("period_balanced", "period debits equal credits"),
    ("closing_balanced", "closing debit balances equal credit balances"),
)


def trial_balance_words(checks: dict, lacking: int) -> str:
    said = []
    for key, label in _BALANCE_CHECKS:
        value = checks.get(key)
        said.append(f"{label}: {'yes' if value else 'NO' if value is False else 'unknown'}")
    text = "Trial balance, balances signed (debit +, credit -), checked from its rows: " + "; ".join(said)
    text += "."
    if lacking:
        text += f" {lacking} row(s) lacked a figure, so those sums are not a check."
    if checks.get("api_totals_agree") is False:
        text += " The API's own totals differ from the sums of its rows."
    return text


def vat_accounts_words(rows: dict[str, dict]) -> str:
    said = []
    for code, row in rows.items():
        if row.get("agrees") is None:
            continue
        side = "debit" if "debit" in row else "credit"
        booked = row.get(side)
        shown = "not listed" if booked is None else _vnd(Decimal(str(booked)))
        tax = _vnd(Decimal(str(row["invoice_tax"])))
        verdict = "agrees with" if row["agrees"] else "DIFFERS from"
        said.append(f"{code} {side} movement ({shown}) {verdict} the invoices' tax ({tax})")
    if not said:
        return ""
    return " " + "; ".join(said) + " (invoices issued, validated or paid, as the journal books them)."


def account_not_found(account: str, entity_id: str) -> str:
    return (
        f"Account {account} is not in the chart of accounts of entity {entity_id}, or the entity is not "
        "accessible with your account. get_trial_balance lists the accounts with entries (1331, 331, ...)."
    )


def ledger_words(account: str, shown: int, total: int | None, has_balances: bool) -> str:
    of = f" of {total}" if total is not None else ""
    text = f"General ledger of account {account}: {shown}{of} lines on this page."
    if not has_balances:
        text += " The API sent no opening or closing balance or period totals for it."
    return text + " Descriptions are text written in the books (counterparty names come from invoices)."


# -- the registry and payments (lookup_company, check_suppliers, list_invoice_payments, record_payment,
# -- and summarize_invoices' payment_status) ----------------------------------------------------------

_SUBJECTS.update(
    {
        "company": "The registry's record of tax id {0} (entity {1})",
        "invoice_payments": "The payments of invoice {0} of entity {1}",
        "payment": "The payment of invoice {0} of entity {1}",
    }
)
_OTHERS_TEXT = " The name and address are the registry's data, written by others."


def _money(amounts: dict[str, Decimal]) -> str:
    """Amounts per currency in words: ``1,716,000 VND`` (``and`` between currencies)."""
    shown = [f"{amount_text(value)} {currency}" for currency, value in sorted(amounts.items()) if value]
    return " and ".join(shown) or "0"


def registry_unknown(tax_id: str) -> str:
    return (
        f"The company registry does not know the tax id {tax_id}: it has no company registered under it "
        "(HTTP 404). Check the number (a branch has its own -NNN tax id); an invoice from a seller the "
        "registry does not know deserves a closer look before its input VAT is deducted."
    )


def company_found(tax_id: str, company: RegistryCompany) -> str:
    text = f"The company registry's record of {tax_id}: {company.name or '(no name given)'}"
    text += f", {company.address}." if company.address else " (no address given)."
    if company.is_branch and company.parent_tax_code:
        text += f" It is a branch of {company.parent_tax_code}."
    if "status" not in company.raw:
        text += " The registry's answer gives no taxpayer status: do not state one."
    return text + _OTHERS_TEXT


def supplier_progress(what: str, done: int, total: int | None) -> str:
    if what == "purchase invoices":
        return f"Read {done} of {total if total is not None else 'the'} purchase invoices"
    if what == "vendors":
        return f"Found the tax id of {done} of {total} vendors"
    return f"Checked {done} of {total} suppliers with the registry"


def suppliers_out_of_time(read: int, reported: int | None, budget: float | None) -> str:
    of = f" of {reported:,}" if reported is not None else ""
    limit = f" ({budget:g} s)" if budget else ""
    return (
        f"The purchase invoices could not all be read within the call's time limit{limit}: {read:,}{of} "
        "were read, and a check of part of the suppliers would look complete, so none is given. Check a "
        "shorter period (date_from..date_to) at a time."
    )


def too_many_purchases(matching: int | None, cap: int) -> str:
    found = (
        f"{matching:,} purchase invoices" if matching is not None else f"More than {cap:,} purchase invoices"
    )
    return (
        f"{found} fall in this period; a supplier check reads at most {cap:,}. Check a shorter period "
        "(date_from..date_to) at a time, e.g. one quarter per call."
    )


_NOT_CHECKED = {
    "time": "the call's time limit came first (check again, or a shorter period)",
    "no_tax_id": "no tax id on the invoices or the vendor record",
    "vendor_not_found": "the invoice's vendor record was not found",
    "no_registry_name": "the registry's record gives no name to compare",
}


def supplier_check(period: dict[str, str], data: dict[str, Any], vat: dict[str, dict[str, Decimal]]) -> str:
    """What a supplier check found, in words; ``vat`` is the input VAT of the unknown and renamed ones."""
    text = ""
    coverage = data.get("coverage")
    if coverage is not None:
        text = (
            f"INCOMPLETE: only {coverage['read']:,} purchase invoices could be read of the "
            f"{coverage['reported'] or 'unknown number'} the API reported; suppliers of the others are "
            "missing. "
        )
    span = f"{period['date_from']} to {period['date_to']}"
    text += (
        f"{data['suppliers']} supplier(s) on {data['invoices']} purchase invoice(s) issued {span}; "
        f"{data['checked']} checked with the company registry: {data['confirmed']} confirmed"
    )
    unknown, renamed = data["unknown"], data["renamed"]
    text += (
        f", {len(unknown)} unknown to the registry"
        + (f" (input VAT {_money(vat['unknown'])})" if unknown else "")
        + f", {len(renamed)} named otherwise by the registry"
        + (
            f" (input VAT {_money(vat['renamed'])}; differs says whether only the legal form does)"
            if renamed
            else ""
        )
        + "."
    )
    if data["not_checked"]:
        reasons = sorted({entry["reason"] for entry in data["not_checked"]})
        said = "; ".join(_NOT_CHECKED.get(r, f"a failure ({r.removeprefix('error:')})") for r in reasons)
        text += f" {len(data['not_checked'])} not checked (see not_checked): {said}."
    if data["cancelled_left_out"]:
        text += f" {data['cancelled_left_out']} cancelled invoice(s) left out."
    if data.get("without_currency"):
        text += f" {data['without_currency']} invoice(s) came without a currency; their VAT was taken as VND."
    if data.get("without_vat"):
        text += f" {data['without_vat']} invoice(s) came without a tax amount; they add no input VAT."
    return text + " Names are as invoice issuers and the registry wrote them (data written by others)."


def _amount_of(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def invoice_payments(data: dict[str, Any]) -> str:
    currency, count = data["currency"], data["payment_count"]
    text = f"Invoice {data['invoice']}: {count} payment(s)"
    paid, left, total = (_amount_of(data[k]) for k in ("paid", "outstanding", "total"))
    if paid is None or total is None:
        missing = "its total" if total is None else "the amount of a payment"
        text += f"; what is paid and left cannot be computed, as the API gave no {missing}."
    else:
        state = str(data["payment_status"]).replace("_", " ")
        text += (
            f", {amount_text(paid)} {currency} paid of {amount_text(total)}, "
            f"{amount_text(left or Decimal(0))} {currency} outstanding ({state}). Computed here from the "
            "invoice's total and its payments that are not cancelled (basis payments)."
        )
    figures = data.get("api_figures")
    if figures and not figures["agree"]:
        theirs = ", ".join(
            f"{k.replace('_', ' ')} {figures[k]}"
            for k in ("paid_amount", "outstanding_amount")
            if k in figures
        )
        text += f" The API's own figures differ ({theirs}): the figures above are the ones computed here."
    elif figures:
        text += " The API's own figures agree."
    if count > len(data["payments"]):
        text += f" The first {len(data['payments'])} are listed."
    return text


def confirm_payment(
    amount: Decimal,
    currency: str,
    label: str,
    counterparty: str | None,
    entity: tuple[str | None, str | None, str],
) -> str:
    """The one line a user confirms before a payment is recorded."""
    of = f" of {counterparty}" if counterparty else ""
    where = _entity_words(*entity)
    return f"Record a payment of {_dotted(amount)} {currency} for invoice {label}{of} in {where}?"


def payment_conflict(label: str, status: str | None, exc: ApiError) -> str:
    state = f" is {status}" if status else " is in a state that"
    return (
        f"Invoice {label}{state} and cannot be paid: the API refused the payment as a conflict.{_said(exc)} "
        "Only an issued or validated invoice takes payments (a draft or a cancelled one does not). Nothing "
        "was recorded."
    )


def payment_refused(label: str, amount: Decimal, currency: str, exc: ApiError) -> str:
    return (
        f"The API refused the payment of {amount_text(amount)} {currency} for invoice {label}.{_said(exc)} "
        "It refuses an amount over what is left to pay, and a date before the invoice's issue date: "
        "list_invoice_payments shows what is outstanding. Nothing was recorded."
    )


def payment_recorded(data: dict[str, Any]) -> str:
    currency, paid = data["currency"], Decimal(str(data["amount"]))
    text = f"Recorded a payment of {amount_text(paid)} {currency} for invoice {data['invoice']}."
    left = _amount_of(data.get("outstanding"))
    if data["basis"] == "answer":
        if data.get("invoice_status"):
            text += f" The API says the invoice is now {data['invoice_status']}"
            text += f", with {amount_text(left)} {currency} outstanding." if left is not None else "."
        elif left is not None:
            text += f" The API says {amount_text(left)} {currency} is outstanding."
    else:
        state = data.get("payment_status")
        words = {"paid": "now paid in full", "partly_paid": "partly paid", "unpaid": "still unpaid"}
        text += " The API's answer said nothing of the invoice; its payments say it is "
        text += f"{words.get(state, 'of unknown payment status')}"
        text += f" ({amount_text(left)} {currency} outstanding)." if left is not None else "."
    return text


def payments_out_of_time(read: int) -> str:
    return (
        f"The entity's payments could not all be read within the call's time limit ({read:,} were read), "
        "and a payment status from part of them would be wrong, so no summary is given. Try again, or ask "
        "without payment_status."
    )


def too_many_payments(cap: int) -> str:
    return (
        f"The entity has more than {cap:,} payments; a payment status is told from at most that many, so no "
        "summary is given. Ask without payment_status, or with status='paid' for the invoices marked paid."
    )


_STATUS_BASIS_WHY = {
    "not_served": "the API does not serve the entity's payment list",
    "no_invoice_link": "the API's payments do not say which invoice they pay",
    "no_amount": "a payment in the API's list has no amount",
    "payments_incomplete": "the API's payment pages held fewer payments than it reported",
}


def _status_basis_why(basis: PaidBasis) -> str:
    return _STATUS_BASIS_WHY.get(basis.why or "", "the payments could not be read per invoice")


def partly_paid_unknown(basis: PaidBasis) -> str:
    return (
        "Partly paid invoices cannot be told apart here: "
        + _status_basis_why(basis)
        + ", so whether an invoice is paid comes from its status alone (paid or not). Ask for "
        "payment_status='unpaid' (invoices not marked paid, partly paid ones among them) instead."
    )


def payment_basis_note(scope: PaymentScope) -> str:
    """What a summary says of the basis its payment status rests on."""
    basis = scope.basis
    if basis.basis == "payments":
        text = (
            " Payment status from payments (payment_basis): each invoice's total against the sum of its "
            f"payments that are not cancelled ({basis.read:,} payments read)."
        )
        if basis.without_status:
            text += f" {basis.without_status} payment(s) carry no status and were counted as made."
    else:
        text = (
            f" Payment status from the invoice status (payment_basis status), as {_status_basis_why(basis)}: "
            "paid means marked paid; unpaid means not marked paid, and includes partly paid invoices."
        )
    if scope.unknown:
        text += f" {scope.unknown} invoice(s) have no total, so their payment status is unknown."
    return text


# -- VAT rates -------------------------------------------------------------------------------------


def vat_rates_unread(count: int) -> str:
    return (
        f"{count} product(s) carry a vat_rate that is not a fraction between 0 and 1, the form this server "
        "reads it in, so it is shown as null: get_invoice shows the rates on invoice lines. Every VAT rate "
        "here is in percent (8 for 8 %)."
    )


def line_rates_were_fractions(count: int) -> str:
    return (
        f"{count} line(s) carried vat_rate as a fraction (such as 0.08), not in percent as invoice lines "
        "usually do; they are shown in percent (8), as every VAT rate here is."
    )


# -- list_invoices: the API's sums beside a page ---------------------------------------------

LIST_SUMS_LEFT_OUT = (
    "The API sent sums over the matching invoices (total_amount, aggregations) that contradict each other "
    "or the count, so they were left out; summarize_invoices adds up the invoices themselves."
)


def list_sums_unchecked(total: int) -> str:
    return (
        f"total_amount is the API's own sum over all {total} matching invoice(s), shown as it was sent: "
        "nothing beside it could check it. summarize_invoices adds up the invoices themselves."
    )
