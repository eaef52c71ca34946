"""The finizi-b4b benchmark: what the server costs on top of what it cannot avoid.

Run it with ``make bench`` (or ``python -m bench``). It is not a test and never
runs inside ``make test``; ``tests/integration/test_bench.py`` only smoke-runs it once.
"""
