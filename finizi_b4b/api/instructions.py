"""Whether text written by a third party reads like instructions to an AI model, and why.

:func:`instruction_like` says whether free text reads like instructions to an
AI model, with a reason key from ``REASONS``. It reads the first 4,000
characters, cleaned and folded (NFKD, then ASCII only, so Vietnamese
matches with or without diacritics; lower case), against
``PATTERNS``; none is complete, and each needs more than one ordinary word:

- ``chat_template_token``: ``<|im_start|>`` and other ``<|...|>`` tokens,
  ``[INST]``, ``<<SYS>>``, ``<start_of_turn>``;
- ``tool_call_markup``: ``<tool_call>``, ``<function_calls>``, ``<invoke``,
  ``<parameter name=``, ``"name": "...", "arguments":``, ``"tool_calls":``;
- ``role_marker``: ``System:``, ``Assistant:``, ``Human:``, ``Developer:``,
  ``Trợ lý:`` opening a line, ``### Instruction``, ``<system>``, ``[SYSTEM]``;
- ``ignore_instructions``: ignore/disregard/forget/override/bypass +
  all/previous/prior/above/your... + instructions/prompts/rules...; forget
  everything above; bỏ qua/quên/phớt lờ + mọi/tất cả/toàn bộ or
  trước/trên/cũ + hướng dẫn/chỉ dẫn/lệnh/yêu cầu/quy tắc; hãy bỏ qua + object;
- ``imperative_to_assistant``: you are now, from now on you, as an AI, as a
  language model, you are an AI/assistant, new instructions:, call the
  tool, call a snake_case tool, import the files, switch to another
  account/entity, log in as, hi ChatGPT, note to the AI, do not tell the
  user; bạn là trợ lý, từ giờ bạn là, bạn bây giờ là, với tư cách là AI,
  hướng dẫn mới:, hãy gọi công cụ, hãy nhập tệp, không nói cho người dùng.

:func:`any_instruction_like` answers for many texts at once (one search over
them all), so that a result of a hundred names costs one search when none of
them reads like instructions, which is nearly always.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from finizi_b4b.api.untrusted import clean

__all__ = ["FLAG_LIMIT", "PATTERNS", "REASONS", "any_instruction_like", "instruction_like"]

FLAG_LIMIT = 4000  # characters of a text that instruction_like reads

# Read on folded text (see instruction_like); a space stands for any whitespace, " ?" for none or some.
PATTERNS: dict[str, tuple[str, ...]] = {
    "chat_template_token": (
        r"<\|[a-z0-9_.:/\s-]{1,40}\|>|\[/?inst\]|<</?sys>>",
        r"</?(?:start_of_turn|end_of_turn|im_start|im_end|im_sep|endoftext|eot_id)>",
    ),
    "tool_call_markup": (
        r"</?(?:tool_calls?|tool_use|tool_result|function_calls?|function_results?)\b",
        r"<invoke\b|<parameter name ?=",
        r'"name" ?: ?"[^"\n]{1,80}" ?, ?"(?:arguments|parameters|input|args)" ?:',
        r'"(?:tool_calls|function_call|tool_use)" ?:',
    ),
    "role_marker": (
        r"(?:^|\n)[>*#_\s-]{0,6}(?:system|assistant|human|developer|tro ly)\**:",
        r"(?:^|\n)#{1,6} ?(?:instructions?|system(?: prompt)?|response|new instructions?)\b",
        r"</?(?:system|assistant|user|human|instructions?|system[_-]?prompt|system[_-]reminder)>",
        r"\[(?:system|assistant|human|user)(?: message| prompt)?\]",
    ),
    "ignore_instructions": (
        r"\b(?:ignore|ignoring|disregard|disregarding|forget|override|bypass) (?:[a-z']++ ){0,2}?"
        r"(?:all|any|every|previous|prior|above|earlier|preceding|foregoing|former|original|initial|your"
        r"|system|these|those|other|existing|developer) (?:[a-z']++ ){0,2}?"
        r"(?:instructions?|prompts?|directives?|guidelines|rules|guardrails|commands|context|messages)\b",
        r"\b(?:ignore|disregard|forget) (?:all |everything |anything )?(?:of )?"
        r"(?:the |what'?s |what (?:is|was) )?(?:above|previous(?:ly)?|said above|written above)\b",
        r"\b(?:bo qua|quen(?: di)?|phot lo) (?:het |di )?(?:moi|tat ca|toan bo|het)(?: cac| nhung)? "
        r"(?:huong dan|chi dan|chi thi|lenh|yeu cau|quy tac|quy dinh|nguyen tac)\b",
        r"\b(?:bo qua|quen(?: di)?|phot lo)(?: cac| nhung)? "
        r"(?:huong dan|chi dan|chi thi|lenh|yeu cau|quy tac|quy dinh|nguyen tac)(?: da duoc dua ra| da dua ra"
        r"| da cho)? (?:truoc(?: do)?|(?:o )?tren|ban dau|cu|(?:cua )?he thong)\b",
        r"\bhay bo qua (?:moi|tat ca|toan bo|cac|nhung|het|huong dan|chi dan|lenh|yeu cau|quy tac)\b",
    ),
    "imperative_to_assistant": (
        r"\byou are now\b|\bfrom now on,? you\b|\bas an ai\b|\bas a (?:large )?language model\b",
        r"\byou are (?:an |a |the )?(?:ai|ai assistant|assistant|language model|chatbot|llm)\b",
        r"\b(?:new|updated|revised|additional|real|actual|true|important) (?:system )?instructions? ?:",
        r"\bnew system prompt\b|\b(?:call|invoke|execute|trigger) (?:the |this |a )?(?:tool|function)\b",
        r"\b(?:call|invoke|execute|run|use) (?:the )?[a-z]++_[a-z_]++\b",
        r"\bimport (?:the|this|these|that|all|every|each) (?:[a-z]++ )?(?:files?|invoices?|xml|documents?)\b",
        r"\bswitch (?:to )?(?:another|a different|the other) (?:account|entity|company|user)\b",
        r"\bswitch (?:the )?(?:entity|user)\b|\b(?:login|log in|sign in) as\b",
        r"\b(?:dear|hey|hello|hi)[,:\s]{1,3}(?:ai|llm|chatgpt|claude|gemini|copilot|language model)\b",
        r"\b(?:note|message|instructions?|reminder) (?:to|for) (?:the |any |all )?"
        r"(?:ai|llm|ai assistant|ai model|language model|chatbot|ai agent|agent|model)s?\b",
        r"\b(?:do not|don'?t|never) (?:tell|inform|show|notify|mention (?:this )?to) the user\b",
        r"\bwithout (?:telling|asking|informing|notifying|confirming with) the user\b",
        r"\bban (?:la|dong vai|dong vai tro|dong vai tro la|hay dong vai) (?:mot )?(?:tro ly|ai|chatbot)\b",
        r"\btu (?:gio|bay gio)(?: tro di)?,? ban (?:la|se|phai|hay)\b|\bban (?:bay gio|gio) (?:la|se|phai)\b",
        r"\bvoi tu cach (?:la )?(?:mot )?(?:ai|tro ly)\b|\b(?:chi dan|huong dan|chi thi|lenh) moi ?:",
        r"\b(?:hay|vui long|lap tuc) (?:goi (?:cong cu|ham|tool|chuc nang)"
        r"|nhap (?:cac |tat ca |toan bo )?(?:tep|file|tap tin|thu muc))\b",
        r"\bkhong (?:duoc )?(?:noi|bao|thong bao|cho biet) (?:cho|voi) nguoi dung\b",
    ),
}
REASONS = tuple(PATTERNS)


@functools.cache
def _flag_re() -> re.Pattern[bytes]:
    """All the patterns in one expression, compiled when first needed (not at start, where it cost some
    milliseconds): only text with a trigger (see below) is ever searched with it."""
    return re.compile(
        "|".join(f"(?P<{reason}>{'|'.join(patterns)})" for reason, patterns in PATTERNS.items())
        .replace(" ?", r"\s*+")
        .replace(" ", r"\s++")
        .encode("ascii")
    )


# Every pattern holds one of these characters or words: text without any is not searched.
_TRIGGER_CHARS_RE = re.compile(rb'[<\[":#_]')
_TRIGGER_WORDS = frozenset(
    b"ignore ignoring disregard disregarding forget override bypass qua quen phot you ai model models "
    b"prompt tool function import switch login log sign llm chatgpt claude gemini copilot agent agents "
    b"chatbot chatbots llms user tro gio goi tep file tap muc nguoi".split()
)
_WORD_TABLE = bytes(c if 0x61 <= c <= 0x7A else 0x20 for c in range(256))


def _fold(text: str) -> bytes:
    """``text`` as the patterns read it: ASCII, lower case, without diacritics (đ is d)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return text.encode("ascii", "ignore").lower()


def instruction_like(text: str) -> str | None:
    """The reason key (one of ``REASONS``) if ``text`` reads like instructions to an AI model, else None."""
    return _reason(_fold(clean(text[:FLAG_LIMIT])))


def any_instruction_like(texts: list[str]) -> bool:
    """Whether one of ``texts`` may read like instructions (one search over them all: never a miss,
    now and then a match across two of them, which :func:`instruction_like` then rules out)."""
    return _reason(_fold(clean("\n".join(text[:FLAG_LIMIT] for text in texts)))) is not None


def _reason(folded: bytes) -> str | None:
    words = folded.translate(_WORD_TABLE).split()
    if _TRIGGER_CHARS_RE.search(folded) is None and _TRIGGER_WORDS.isdisjoint(words):
        return None
    match = _flag_re().search(folded)
    return None if match is None else match.lastgroup
