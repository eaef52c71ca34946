"""Start-up settings: each wrong one is refused with one clear line and exit 2, and no secret is echoed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client

from finizi_b4b.config import ConfigError, Settings, api_base_url
from finizi_b4b.sandbox import DEMO_ADMIN
from finizi_b4b.server import build_server
from tests.conftest import body_of

pytestmark = pytest.mark.anyio

COMMAND = Path(sys.executable).with_name("finizi-b4b")
SECRET = "S3cret-Pw-91"


def start(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``finizi-b4b serve`` with stdin at its end, so that a server that does start stops at once."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [str(COMMAND), "serve", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **env},
        check=False,
    )


def assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("finizi-b4b: ") and "Traceback" not in done.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert done.stdout == ""
    return lines[0]


# -- FINIZI_B4B_TIMEOUT ----------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["nan", "NaN", "inf", "-inf", "Infinity", "-1", "0", "0.0", "-0", "abc", "1e999"]
)
def test_a_timeout_that_is_not_a_finite_positive_number_is_refused(raw):
    with pytest.raises(ConfigError, match="FINIZI_B4B_TIMEOUT"):
        Settings.from_env({"FINIZI_B4B_TIMEOUT": raw})


@pytest.mark.parametrize(("raw", "seconds"), [("", 30.0), ("2.5", 2.5), (" 45 ", 45.0), ("1e-3", 0.001)])
def test_a_finite_positive_timeout_is_taken(raw, seconds):
    assert Settings.from_env({"FINIZI_B4B_TIMEOUT": raw}).request_timeout == seconds


@pytest.mark.parametrize("raw", ["nan", "inf", "-1", "0", "abc"])
def test_the_command_refuses_a_bad_timeout_with_one_line(raw):
    expected = "a number of seconds" if raw == "abc" else "finite number of seconds above 0"
    assert_refused(start(env={"FINIZI_B4B_TIMEOUT": raw}), "FINIZI_B4B_TIMEOUT", expected)


# -- the log level -----------------------------------------------------------------


def test_a_bad_log_level_in_the_environment_is_one_line():
    line = assert_refused(start(env={"FINIZI_B4B_LOG_LEVEL": "LOUD"}), "FINIZI_B4B_LOG_LEVEL", "DEBUG")
    assert "LOUD" in line


@pytest.mark.parametrize("value", ["loud", "", "5"])
def test_a_bad_log_level_option_is_one_line_without_the_usage(value):
    line = assert_refused(start("--log-level", value, env={}), "--log-level", "INFO")
    assert "usage" not in line


@pytest.mark.parametrize("value", ["debug", "Warning", "ERROR"])
def test_a_log_level_in_any_case_is_taken(value):
    done = start("--log-level", value, env={"FINIZI_B4B_LOG_LEVEL": "nonsense-but-overridden"})
    assert done.returncode == 0, done.stderr


# -- FINIZI_API_URL ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "base"),
    [
        ("https://admin.finizi.ai", "https://admin.finizi.ai"),
        ("https://admin.finizi.ai/", "https://admin.finizi.ai"),
        ("https://admin.finizi.ai/api/v1", "https://admin.finizi.ai"),
        ("https://admin.finizi.ai/api/v1/", "https://admin.finizi.ai"),
        ("  http://127.0.0.1:8765/api/v1  ", "http://127.0.0.1:8765"),
        ("HTTP://Admin.Finizi.AI:443", "http://admin.finizi.ai:443"),
        ("http://[::1]:8765/api/v1/", "http://[::1]:8765"),
    ],
)
def test_the_api_address_is_accepted_and_normalised(raw, base):
    assert api_base_url(raw) == base
    assert Settings.from_env({"FINIZI_API_URL": raw}).api_url == base


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("https://admin.finizi.ai/api", ("path",)),
        ("https://admin.finizi.ai/api/v2", ("path",)),
        ("https://admin.finizi.ai/api/v1/auth/login", ("path",)),
        ("https://admin.finizi.ai/x/api/v1", ("path",)),
        ("https://admin.finizi.ai/?tenant=1", ("query",)),
        ("https://admin.finizi.ai/api/v1?", ("query",)),
        ("https://admin.finizi.ai/#top", ("fragment",)),
        ("admin.finizi.ai", ("http://",)),
        ("ftp://admin.finizi.ai", ("http://",)),
        ("https://", ("host",)),
        ("https://admin.finizi.ai:port", ("port",)),
        ("https://[::1", ("host",)),
        ("https://admin.fin izi.ai", ("spaces",)),
    ],
)
def test_any_other_api_address_is_refused(raw, words):
    with pytest.raises(ConfigError) as refused:
        api_base_url(raw)
    message = str(refused.value)
    assert "\n" not in message and "FINIZI_API_URL" in message
    assert all(word in message for word in words), message


@pytest.mark.parametrize(
    "raw",
    [
        f"https://user:{SECRET}@admin.finizi.ai",
        f"https://0909000000:{SECRET}@admin.finizi.ai/api/v1",
        f"https://{SECRET}@admin.finizi.ai",
        f"http://:{SECRET}@127.0.0.1:8765",
        f"https://user:{SECRET}@admin.finizi.ai/other?q=1",
    ],
)
def test_a_user_and_password_in_the_address_are_refused_and_never_shown(raw):
    with pytest.raises(ConfigError) as refused:
        api_base_url(raw)
    assert SECRET not in str(refused.value) and "user:password@" in str(refused.value)
    done = start("--log-level", "DEBUG", env={"FINIZI_API_URL": raw})
    assert_refused(done, "FINIZI_API_URL", "FINIZI_PASSWORD")
    assert SECRET not in done.stderr


async def test_an_api_address_ending_in_api_v1_reaches_the_api(sandbox):
    settings = Settings.from_env(
        {
            "FINIZI_API_URL": sandbox.url + "/api/v1/",
            "FINIZI_PHONE": DEMO_ADMIN.phone,
            "FINIZI_PASSWORD": DEMO_ADMIN.password,
        }
    )
    async with Client(build_server(settings), mode="legacy") as client:
        login = body_of(await client.call_tool("login", {}))
    assert login["success"] and login["user"]["email"] == DEMO_ADMIN.email


# -- what the start says -----------------------------------------------------------


def test_the_start_names_the_api_host_and_whether_credentials_are_configured():
    env = {"FINIZI_API_URL": "https://admin.finizi.ai/api/v1", "FINIZI_PHONE": "0909123456"}
    configured = start(env={**env, "FINIZI_PASSWORD": SECRET})
    assert configured.returncode == 0, configured.stderr
    lines = [line for line in configured.stderr.splitlines() if "serving on stdio" in line]
    assert len(lines) == 1 and " INFO " in lines[0]
    assert "API host admin.finizi.ai;" in lines[0] and "credentials configured" in lines[0]
    assert SECRET not in configured.stderr and "0909123456" not in configured.stderr

    bare = start(env={})
    assert bare.returncode == 0, bare.stderr
    assert "API host admin.finizi.ai;" in bare.stderr and "no credentials configured" in bare.stderr

    half = start(env={"FINIZI_PHONE": "0909123456"})
    assert "credentials incomplete (FINIZI_PASSWORD is not set)" in half.stderr
