"""import_invoice_xml with file_paths: a batch of files, each with its own outcome, through a real client."""

from __future__ import annotations

import uuid

import anyio
import pytest

from tests.conftest import body_of, invoice_xml

pytestmark = pytest.mark.anyio


def upload_path(entity_id: str) -> str:
    return f"/api/v1/entities/{entity_id}/invoices/xml"


def uploads(box, entity_id: str) -> list:
    return [s for s in box.seen if s.method == "POST" and s.path == upload_path(entity_id)]


def series() -> str:
    """A series of its own for each test (up to 12 letters and digits), so that numbers never clash."""
    return "C26T" + uuid.uuid4().hex[:8].upper()


def stored(box, entity_id: str, series_: str) -> set[str]:
    invoices = box.state.invoices[entity_id]
    return {inv["invoice_number"] for inv in invoices if inv["invoice_series"] == series_}


@pytest.fixture
def mixed_batch(tmp_path, world):
    """new, new, duplicate of the first, not XML, not an e-invoice, someone else's, missing, new."""
    s = series()
    first = invoice_xml(s, world.big_tax_id, number="101")
    files = {
        "a-new.xml": first,
        "b-new.xml": invoice_xml(s, world.big_tax_id, number="102"),
        "c-same-as-a.xml": first,
        "d-broken.xml": b"<HDon><DLHDon>",
        "e-not-an-invoice.xml": b"<?xml version='1.0'?><Note>hello</Note>",
        "f-foreign.xml": invoice_xml(s, "0109999999", number="103"),
        "h-new-after-the-failures.xml": invoice_xml(s, world.big_tax_id, number="104"),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    paths = [str(tmp_path / name) for name in files]
    paths.insert(6, str(tmp_path / "g-missing.xml"))
    return s, paths


async def test_a_mixed_batch_reports_each_file_and_goes_on_after_failures(
    connect, sandbox, world, era, mixed_batch
):
    s, paths = mixed_batch
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress, total, message):
        seen.append((progress, total, message))

    async with connect(era) as client:
        sandbox.clear_seen()
        result = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "file_paths": paths}, progress_callback=on_progress
        )
    body = body_of(result)
    assert body["success"] is True, body
    data = body["data"]
    assert data["preview"] is False
    assert data["counts"] == {
        "imported": 3, "in_finizi": 0, "already_imported": 1, "invalid": 3, "failed": 1, "not_reached": 0
    }  # fmt: skip
    files = data["files"]
    assert [f["file"] for f in files] == paths
    assert [f["outcome"] for f in files] == [
        "imported", "imported", "already_imported", "invalid", "invalid", "invalid", "failed", "imported"
    ]  # fmt: skip
    imported = [f for f in files if f["outcome"] == "imported"]
    assert [(f["invoice_series"], f["invoice_number"]) for f in imported] == [
        (s, "101"), (s, "102"), (s, "104")
    ]  # fmt: skip
    ids = {inv["id"] for inv in sandbox.state.invoices[world.big]}
    assert all(f["invoice_id"] in ids for f in imported)
    assert files[2]["invoice_series"] == s and files[2]["invoice_number"] == "101"
    assert "not usable" in files[3]["reason"] and "Nothing was uploaded" in files[3]["reason"]
    # Not an e-invoice: refused here, before any upload (a real import sends only e-invoices).
    assert "root element is <Note>, not <HDon>" in files[4]["reason"]
    assert "Nothing was uploaded" in files[4]["reason"]
    assert len(uploads(sandbox, world.big)) == 5  # a, b, c (the duplicate), f (the API's refusal) and h
    assert "neither the seller" in files[5]["api_detail"]
    assert files[6]["code"] == "file_not_found" and "g-missing.xml" in files[6]["reason"]
    assert stored(sandbox, world.big, s) == {"101", "102", "104"}  # the last file came after the failures
    assert body["message"] == "8 file(s): 3 imported, 1 already imported, 3 invalid, 1 failed."
    assert [(p, t) for p, t, _ in seen] == [(i, 8) for i in range(9)]
    assert seen[0][2] == "File 1 of 8: a-new.xml"


async def test_the_same_batch_again_is_all_already_imported_or_refused(connect, world, mixed_batch):
    _, paths = mixed_batch
    async with connect() as client:
        await client.call_tool("import_invoice_xml", {"entity_id": world.big, "file_paths": paths})
        again = await client.call_tool("import_invoice_xml", {"entity_id": world.big, "file_paths": paths})
    body = body_of(again)
    assert body["data"]["counts"] == {
        "imported": 0, "in_finizi": 0, "already_imported": 4, "invalid": 3, "failed": 1, "not_reached": 0
    }  # fmt: skip


async def test_a_batch_preview_uploads_nothing(connect, sandbox, world, era, mixed_batch):
    _, paths = mixed_batch
    before = len(sandbox.state.invoices[world.big])
    async with connect(era) as client:
        sandbox.clear_seen()
        body = body_of(
            await client.call_tool(
                "import_invoice_xml", {"entity_id": world.big, "file_paths": paths, "preview": True}
            )
        )
    assert body["success"] is True, body
    assert uploads(sandbox, world.big) == []
    assert len(sandbox.state.invoices[world.big]) == before
    data = body["data"]
    assert data["preview"] is True
    # Nothing is imported yet, so the copy of the first file is new too: the preview looks at the API's data.
    assert data["counts"] == {
        "new": 4, "already_imported": 0, "possibly_imported": 0, "invalid": 3, "failed": 1, "not_reached": 0
    }  # fmt: skip
    new = [f for f in data["files"] if f["outcome"] == "new"]
    assert all(f["direction"] == "purchase" and f["total_amount"] == 1_716_000 for f in new)
    assert "neither seller" in data["files"][5]["reason"]
    assert body["message"].endswith("Nothing was uploaded.")


async def test_a_batch_preview_after_the_import_says_already_imported(connect, world, mixed_batch):
    _, paths = mixed_batch
    async with connect() as client:
        await client.call_tool("import_invoice_xml", {"entity_id": world.big, "file_paths": paths})
        body = body_of(
            await client.call_tool(
                "import_invoice_xml", {"entity_id": world.big, "file_paths": paths, "preview": True}
            )
        )
    files = body["data"]["files"]
    assert body["data"]["counts"]["already_imported"] == 4
    assert all(f["existing_invoice_id"] for f in files if f["outcome"] == "already_imported")


async def test_a_relative_path_refuses_the_whole_batch_before_reading(connect, sandbox, world, tmp_path):
    good = tmp_path / "good.xml"
    good.write_bytes(invoice_xml(series(), world.big_tax_id))
    async with connect() as client:
        sandbox.clear_seen()
        result = await client.call_tool(
            "import_invoice_xml", {"entity_id": world.big, "file_paths": [str(good), "invoices/b.xml"]}
        )
    body = body_of(result)
    assert result.is_error and body["code"] == "invalid_arguments"
    assert "$.file_paths[1]: must be an absolute path" in body["error"]
    assert uploads(sandbox, world.big) == []


@pytest.mark.parametrize(
    "given",
    [
        {"file_path": "/tmp/a.xml", "file_paths": ["/tmp/b.xml"]},  # noqa: S108 - refused before any read
        {"file_paths": ["/tmp/b.xml"], "xml_content": "<HDon/>"},  # noqa: S108 - refused before any read
        {},
    ],
    ids=["path-and-paths", "paths-and-text", "none"],
)
async def test_exactly_one_source(connect, world, given):
    async with connect() as client:
        result = await client.call_tool("import_invoice_xml", {"entity_id": world.big, **given})
    body = body_of(result)
    assert result.is_error and body["code"] == "invalid_arguments"
    assert "exactly one of file_path, file_paths and xml_content" in body["error"]


async def test_the_single_file_result_is_unchanged(connect, world, tmp_path):
    s = series()
    path = tmp_path / "one.xml"
    path.write_bytes(invoice_xml(s, world.big_tax_id, number="7"))
    async with connect() as client:
        arguments = {"entity_id": world.big, "file_path": str(path)}
        result = await client.call_tool("import_invoice_xml", arguments)
    body = body_of(result)
    assert body["message"] == f"Invoice {s}/7 imported."
    assert body["data"]["invoice_series"] == s and "files" not in body["data"]


async def test_cancelling_a_batch_stops_between_files(connect, sandbox, world, era, tmp_path):
    s = series()
    paths = []
    for number in ("201", "202", "203", "204"):
        path = tmp_path / f"{number}.xml"
        path.write_bytes(invoice_xml(s, world.big_tax_id, number=number))
        paths.append(str(path))
    second = anyio.Event()

    async def on_progress(progress, total, message):
        if progress >= 1:
            second.set()  # the first file is done; the second is about to start

    async with connect(era) as client:
        sandbox.clear_seen()
        sandbox.inject_fault(None, delay=0.5, count=10, path=upload_path(world.big), method="POST")
        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:

                async def run_batch() -> None:
                    await client.call_tool(
                        "import_invoice_xml",
                        {"entity_id": world.big, "file_paths": paths},
                        progress_callback=on_progress,
                    )

                group.start_soon(run_batch)
                await second.wait()
                group.cancel_scope.cancel()
        await anyio.sleep(1.5)  # an upload started after the cancellation would have been seen by now
        assert len(uploads(sandbox, world.big)) <= 2  # the first, and at most the second, already sent
        assert not stored(sandbox, world.big, s) & {"203", "204"}
        sandbox.clear_faults()
        rest = await client.call_tool("import_invoice_xml", {"entity_id": world.big, "file_paths": paths})
    body = body_of(rest)
    assert body["success"] is True  # the server is still usable, and the rest can be imported
    assert body["data"]["counts"]["imported"] + body["data"]["counts"]["already_imported"] == 4
    assert stored(sandbox, world.big, s) == {"201", "202", "203", "204"}
