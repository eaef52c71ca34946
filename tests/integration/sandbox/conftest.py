"""Fixtures of the sandbox tests: a fresh sandbox per test, in each of its flavours."""

from __future__ import annotations

import pytest

from tests.integration.sandbox.client import client_for


async def _serve(**options):
    box, http, client = await client_for(**options)
    try:
        yield client
    finally:
        await http.close()
        await box.stop()


@pytest.fixture
async def api():
    """A client of a sandbox with the control endpoints (test modules may override this)."""
    async for client in _serve(control=True):
        yield client


@pytest.fixture
async def int_api():
    async for client in _serve(int_ids=True):
        yield client


@pytest.fixture
async def alt_api():
    async for client in _serve(alt_shapes=True):
        yield client


@pytest.fixture
async def minimal_api():
    async for client in _serve(minimal=True, control=True):
        yield client
