"""File import never waits on what is at the path: FIFOs, devices, links swapped in, odd paths.

The path is opened without blocking and without following a final symbolic link,
and the opened descriptor itself is checked; nothing before the open is trusted.
"""

from __future__ import annotations

import contextlib
import os

import anyio
import pytest

from tests.conftest import body_of, invoice_xml

pytestmark = pytest.mark.anyio

ROUTE = "invoices.import_xml"


def _poke(fifo: str) -> None:
    """Give a reader blocked in open() on ``fifo`` a writer, so that it returns (EOF)."""
    with contextlib.suppress(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


async def guarded_call(client, arguments: dict, fifo: str):
    """The tool call, answered within 2 s; a call stuck on ``fifo`` is freed and reported."""
    hung = False

    async def watchdog() -> None:
        nonlocal hung
        await anyio.sleep(1.5)
        hung = True
        for _ in range(20):  # a blocked open() in a worker thread cannot be cancelled; free it
            _poke(fifo)
            await anyio.sleep(0.05)

    async with anyio.create_task_group() as group:
        group.start_soon(watchdog)
        with anyio.fail_after(2):
            result = await client.call_tool("import_invoice_xml", arguments)
        group.cancel_scope.cancel()
    assert not hung, "the call waited on the FIFO"
    return body_of(result)


def _refused(body: dict, code: str, words: str) -> None:
    assert body["success"] is False, body
    assert body["code"] == code, body
    assert words in body["error"], body


async def test_a_fifo_at_the_path_is_refused_at_once(connect, sandbox, world, tmp_path, era):
    fifo = tmp_path / "invoice.xml"
    os.mkfifo(fifo)
    async with connect(era) as client:
        await client.call_tool("login", {})
        before = sandbox.counts[ROUTE]
        body = await guarded_call(client, {"entity_id": world.big, "file_path": str(fifo)}, str(fifo))
        _refused(body, "file_not_found", "is not a regular file")
        assert sandbox.counts[ROUTE] == before


async def test_a_fifo_swapped_in_after_the_check_is_refused(connect, world, tmp_path, monkeypatch):
    """A regular file was there when looked at; a FIFO is there when opened."""
    path = tmp_path / "invoice.xml"
    path.write_bytes(invoice_xml("C26TSW", world.big_tax_id))
    regular = os.stat(path)
    path.unlink()
    os.mkfifo(path)
    real_stat = os.stat

    def stat_as_before(target, *args, **kwargs):
        # whoever looks at the path before opening it still sees the regular file
        if os.fspath(target) == str(path):
            return regular
        return real_stat(target, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat_as_before)
    async with connect() as client:
        await client.call_tool("login", {})
        body = await guarded_call(client, {"entity_id": world.big, "file_path": str(path)}, str(path))
    _refused(body, "file_not_found", "is not a regular file")


@pytest.mark.parametrize("target", ["fifo", "/dev/zero", "regular"])
async def test_a_final_symbolic_link_is_not_followed(connect, sandbox, world, tmp_path, target):
    if target == "fifo":
        pointed = tmp_path / "pipe"
        os.mkfifo(pointed)
    elif target == "regular":
        pointed = tmp_path / "real.xml"
        pointed.write_bytes(invoice_xml("C26TSL", world.big_tax_id))
    else:
        pointed = target
    link = tmp_path / "invoice.xml"
    link.symlink_to(pointed)
    async with connect() as client:
        await client.call_tool("login", {})
        before = sandbox.counts[ROUTE]
        body = await guarded_call(client, {"entity_id": world.big, "file_path": str(link)}, str(pointed))
        _refused(body, "file_not_found", "is a symbolic link; links are not followed")
        assert sandbox.counts[ROUTE] == before


async def test_a_device_at_the_path_is_refused_without_reading_it(connect, world):
    async with connect() as client:
        await client.call_tool("login", {})
        with anyio.fail_after(2):
            arguments = {"entity_id": world.big, "file_path": "/dev/zero"}
            body = body_of(await client.call_tool("import_invoice_xml", arguments))
    _refused(body, "file_not_found", "/dev/zero is not a regular file")


async def test_links_above_the_file_are_followed(connect, world, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "invoice.xml").write_bytes(invoice_xml("C26TSD", world.big_tax_id))
    (tmp_path / "linked").symlink_to(real, target_is_directory=True)
    async with connect() as client:
        await client.call_tool("login", {})
        body = body_of(
            await client.call_tool(
                "import_invoice_xml",
                {"entity_id": world.big, "file_path": str(tmp_path / "linked" / "invoice.xml")},
            )
        )
    assert body["success"] is True, body
    assert body["data"]["invoice_series"] == "C26TSD"


@pytest.mark.parametrize(
    ("path", "code", "words"),
    [
        ("/tmp/inv\x00oice.xml", "invalid_arguments", "NUL"),  # noqa: S108 - refused for the NUL, never opened
        ("\x00", "invalid_arguments", "NUL"),
        ("relative/invoice.xml", "invalid_arguments", "absolute path"),
        ("/", "file_not_found", "is not a regular file"),
        ("/no/such/dir/invoice.xml", "file_not_found", "No file at"),
    ],
)
async def test_odd_paths(connect, sandbox, world, era, path, code, words):
    async with connect(era) as client:
        await client.call_tool("login", {})
        before = sandbox.counts[ROUTE]
        with anyio.fail_after(2):
            body = body_of(
                await client.call_tool("import_invoice_xml", {"entity_id": world.big, "file_path": path})
            )
        _refused(body, code, words)
        assert sandbox.counts[ROUTE] == before


async def test_a_directory_and_an_oversized_file(connect, sandbox, world, tmp_path):
    big = tmp_path / "big.xml"
    with big.open("wb") as handle:
        handle.truncate(5 * 1024 * 1024 + 1)
    exact = tmp_path / "exact.xml"
    with exact.open("wb") as handle:  # 5 MB is allowed through the size check (and is not XML)
        handle.truncate(5 * 1024 * 1024)
    async with connect() as client:
        await client.call_tool("login", {})
        before = sandbox.counts[ROUTE]
        cases = [(tmp_path, "file_not_found", "is not a regular file"), (big, "file_too_large", "5.0 MB")]
        cases.append((exact, "invalid_xml", "Nothing was uploaded"))
        for path, code, words in cases:
            body = body_of(
                await client.call_tool("import_invoice_xml", {"entity_id": world.big, "file_path": str(path)})
            )
            _refused(body, code, words)
        assert sandbox.counts[ROUTE] == before
