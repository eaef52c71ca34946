"""Folders too large to take whole: what is left out is said, never silently dropped.

A folder import plan takes at most 10,000 files and says how many more the
folder holds; a folder completion that stops looking (too many entries) or has
more matches than it may show says ``hasMore``. Empty files are enough: nothing
is read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import mcp.types as types
import pytest

from tests.integration.test_prompts import text_of

pytestmark = pytest.mark.anyio

FOLDER = types.PromptReference(name="import_invoice_folder")


def touch_all(folder: Path, names: list[str]) -> None:
    for name in names:
        os.close(os.open(folder / name, os.O_CREAT | os.O_WRONLY, 0o600))


def listed_paths(text: str, folder: Path) -> list[str]:
    """Every path the plan names, in order: the preview call's and each further batch's."""
    decoder, found, start = json.JSONDecoder(), [], 0
    while (at := text.find(f'["{folder}{os.sep}', start)) != -1:
        batch, start = decoder.raw_decode(text, at)
        found += batch
    return found


async def test_a_plan_of_a_folder_over_the_limit_says_how_many_were_left_out(connect, world, tmp_path):
    names = [f"{number:05d}.xml" for number in range(10_500)]
    touch_all(tmp_path, names)
    async with connect() as client:
        arguments = {"company": world.big, "folder": str(tmp_path)}
        text = text_of(await client.get_prompt("import_invoice_folder", arguments))
    assert "The other 500 .xml files of the folder were left out of this plan" in text
    assert "10500" in text.split("\n", 1)[0]  # the first line says how many the folder holds
    assert listed_paths(text, tmp_path) == [str(tmp_path / name) for name in names[:10_000]]


async def test_a_completion_cut_short_by_the_scan_says_there_is_more(connect, tmp_path):
    folders = [f"inv-{number:03d}" for number in range(150)]
    for name in folders:
        (tmp_path / name).mkdir()
    touch_all(tmp_path, [f"f{number:05d}" for number in range(60_000 - len(folders))])
    async with connect() as client:
        answer = await client.complete(FOLDER, {"name": "folder", "value": str(tmp_path / "inv-")})
    completion = answer.completion
    assert completion.has_more is True
    assert completion.values and len(completion.values) <= 100
    assert all(Path(value).parent == tmp_path and Path(value).name in folders for value in completion.values)
    assert completion.values == sorted(completion.values)
    assert completion.total is None or completion.total > len(completion.values)


async def test_more_matches_than_shown_are_the_first_in_name_order_with_their_count(connect, tmp_path):
    folders = [f"inv-{number:03d}" for number in range(150)]
    for name in reversed(folders):
        (tmp_path / name).mkdir()
    async with connect() as client:
        answer = await client.complete(FOLDER, {"name": "folder", "value": str(tmp_path / "inv-")})
    completion = answer.completion
    assert completion.values == [str(tmp_path / name) for name in folders[:100]]
    assert (completion.total, completion.has_more) == (150, True)
