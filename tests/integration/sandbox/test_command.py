"""``finizi-b4b sandbox`` from a shell: the first line, a real request, a clean exit on SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import urllib.request


def first_line(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert lines, "the sandbox printed nothing"
    return lines[0].rstrip("\n")


def test_the_command_serves_until_sigterm_and_exits_0():
    proc = subprocess.Popen(
        [sys.executable, "-m", "finizi_b4b", "sandbox", "--port", "0", "--token-ttl", "60", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = first_line(proc)
        assert re.fullmatch(r"Sandbox listening on http://127\.0\.0\.1:\d+", line), line
        url = line.removeprefix("Sandbox listening on ")
        with urllib.request.urlopen(url + "/api/v1/health", timeout=10) as resp:
            assert json.load(resp) == {"status": "ok"}
        login = urllib.request.Request(
            url + "/api/v1/auth/login",
            data=json.dumps({"phone": "0909495665", "password": "Admin123@"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=10) as resp:
            assert json.load(resp)["expires_in"] == 60
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        rest = proc.stdout.read()
        assert "Admin123@" in rest and "Demo123@" in rest  # the demo credentials follow the first line
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_help():
    done = subprocess.run(
        [sys.executable, "-m", "finizi_b4b", "sandbox", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    options = (
        "--host",
        "--port",
        "--token-ttl",
        "--seed",
        "--control",
        "--int-ids",
        "--alt-shapes",
        "--minimal",
    )
    for option in options:
        assert option in done.stdout


def test_the_switches_for_integer_ids_and_alternative_shapes():
    proc = subprocess.Popen(
        [sys.executable, "-m", "finizi_b4b", "sandbox", "--port", "0", "--int-ids", "--alt-shapes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = first_line(proc).removeprefix("Sandbox listening on ")
        login = urllib.request.Request(
            url + "/api/v1/auth/login",
            data=json.dumps({"phone": "0909495665", "password": "Admin123@"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=10) as resp:
            token = json.load(resp)["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        mine = urllib.request.Request(url + "/api/v1/users/me/entities", headers=bearer)
        with urllib.request.urlopen(mine, timeout=10) as resp:
            entity_id = json.load(resp)["items"][0]["id"]  # the alternative shape
        listed = f"{url}/api/v1/entities/{entity_id}/invoices?page_size=2"
        page = urllib.request.Request(listed, headers=bearer)
        with urllib.request.urlopen(page, timeout=10) as resp:
            assert all(type(item["id"]) is int for item in json.load(resp)["items"])
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
