"""The MCP Bundle's entry point: runs the finizi-b4b server from the unpacked bundle's folder.

The bundle's manifest starts it with ``uv run --frozen --directory <bundle> main.py``.
Run as a script, its folder comes first on ``sys.path``, so ``finizi_b4b`` is imported from
the bundle itself: uv installs only the locked dependencies and builds nothing.
"""

from finizi_b4b.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    raise SystemExit(main())
