"""An embedded stand-in for the Finizi B4B API, for the demo, the tests and the benchmark.

The names below are imported lazily, so that ``finizi-b4b`` can offer the
``sandbox`` command without loading the web server until it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from finizi_b4b.sandbox.app import create_app
    from finizi_b4b.sandbox.data import DEMO_ACCOUNTANT, DEMO_ADMIN, DemoUser, build_state
    from finizi_b4b.sandbox.faults import Fault
    from finizi_b4b.sandbox.server import Sandbox
    from finizi_b4b.sandbox.traffic import SeenRequest

__all__ = [
    "DEMO_ACCOUNTANT",
    "DEMO_ADMIN",
    "DemoUser",
    "Fault",
    "Sandbox",
    "SeenRequest",
    "build_state",
    "create_app",
]

_HOMES = {
    "Sandbox": "finizi_b4b.sandbox.server",
    "create_app": "finizi_b4b.sandbox.app",
    "DEMO_ADMIN": "finizi_b4b.sandbox.data",
    "DEMO_ACCOUNTANT": "finizi_b4b.sandbox.data",
    "DemoUser": "finizi_b4b.sandbox.data",
    "build_state": "finizi_b4b.sandbox.data",
    "Fault": "finizi_b4b.sandbox.faults",
    "SeenRequest": "finizi_b4b.sandbox.traffic",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
