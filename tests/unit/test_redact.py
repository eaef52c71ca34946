"""The one place that hides secrets: markers, short passwords, secret keys, nested values, JSON text."""

from __future__ import annotations

import json

import pytest

from finizi_b4b.api.redact import SECRET_KEYS, Redactor, is_marker


def test_numbered_markers_tell_secrets_apart_per_kind() -> None:
    redactor = Redactor(numbered=True)
    first = redactor.marker("eyJ-access-one", "access-token")
    second = redactor.marker("eyJ-access-two", "access-token")
    refresh = redactor.marker("rt-refresh-one", "refresh-token")
    assert (first, second, refresh) == (
        "[REDACTED:access-token-1]",
        "[REDACTED:access-token-2]",
        "[REDACTED:refresh-token-1]",
    )
    assert redactor.marker("eyJ-access-one", "access-token") == first  # the same secret, the same marker


def test_unnumbered_markers_are_plain() -> None:
    redactor = Redactor(["long-secret-1", "long-secret-2"])
    assert redactor.text("a long-secret-1 b long-secret-2") == "a [REDACTED] b [REDACTED]"


def test_a_marker_is_never_redacted_again() -> None:
    redactor = Redactor(numbered=True)
    marker = redactor.marker("eyJ-access-one", "access-token")
    assert redactor.marker(marker, "access-token") == marker
    assert is_marker(marker)
    assert not is_marker("[REDACTED")
    assert not is_marker(42)


def test_a_long_secret_is_replaced_wherever_it_occurs() -> None:
    redactor = Redactor(["hunter22"])
    assert redactor.text("pw=hunter22;xhunter22x") == "pw=[REDACTED];x[REDACTED]x"
    assert redactor.contains_secret("xhunter22x")


def test_a_short_password_is_redacted_only_as_a_whole_word() -> None:
    redactor = Redactor(["an"])
    assert redactor.text("an answer, and an") == "[REDACTED] answer, and [REDACTED]"
    assert redactor.text("banana and cancel") == "banana and cancel"
    assert redactor.contains_secret("it is an error")
    assert not redactor.contains_secret("banana")


def test_an_empty_or_blank_secret_is_ignored() -> None:
    redactor = Redactor(["", "   ", None])
    assert redactor.text("   nothing to hide ") == "   nothing to hide "
    assert not redactor.contains_secret("nothing")


@pytest.mark.parametrize("key", sorted(SECRET_KEYS))
def test_values_under_secret_keys_are_replaced_even_when_unknown(key) -> None:
    redactor = Redactor(numbered=True)
    out = redactor.value({key: "never-seen-before", "name": "kept"})
    assert out == {key: f"[REDACTED:{SECRET_KEYS[key]}-1]", "name": "kept"}
    assert redactor.text("echo never-seen-before") == f"echo [REDACTED:{SECRET_KEYS[key]}-1]"


def test_secret_keys_match_in_any_case() -> None:
    out = Redactor().value({"Authorization": "Bearer abcdef123", "Password": "pw"})
    assert out == {"Authorization": "[REDACTED]", "Password": "[REDACTED]"}


def test_nested_values_are_redacted_and_the_original_is_left_alone() -> None:
    redactor = Redactor(["tok-secret-9"], numbered=True)
    original = {
        "data": {"tokens": [{"access_token": "tok-secret-9"}, {"note": "was tok-secret-9"}]},
        "count": 2,
        "ok": True,
        "none": None,
    }
    out = redactor.value(original)
    assert out == {
        "data": {"tokens": [{"access_token": "[REDACTED:secret-1]"}, {"note": "was [REDACTED:secret-1]"}]},
        "count": 2,
        "ok": True,
        "none": None,
    }
    assert original["data"]["tokens"][0]["access_token"] == "tok-secret-9"


def test_a_short_password_in_json_text_is_redacted_inside_strings_only() -> None:
    redactor = Redactor(["12"])
    text = json.dumps({"password": "12", "page": 12, "items": [12, "12", "page 12 of 3"]})
    out = redactor.text(text)
    assert json.loads(out) == {
        "password": "[REDACTED]",
        "page": 12,
        "items": [12, "[REDACTED]", "page [REDACTED] of 3"],
    }


def test_a_short_password_as_a_number_in_json_is_not_a_secret_hit() -> None:
    redactor = Redactor(["12"])
    assert not redactor.contains_secret('{"page": 12}')
    assert redactor.contains_secret('{"note": "page 12"}')
    assert redactor.contains_secret("page 12")  # plain text: a whole word is a hit


def test_json_text_with_a_long_secret_stays_valid_json() -> None:
    redactor = Redactor(["s3cret-Pa55"], numbered=True)
    text = json.dumps({"phone": "+84909495665", "password": "s3cret-Pa55", "echo": ["s3cret-Pa55"]})
    out = json.loads(redactor.text(text))
    assert out == {
        "phone": "+84909495665",
        "password": "[REDACTED:secret-1]",
        "echo": ["[REDACTED:secret-1]"],
    }


def test_text_that_only_looks_like_json_is_redacted_as_text() -> None:
    redactor = Redactor(["ab"])
    assert redactor.text("{ab: not json") == "{[REDACTED]: not json"
