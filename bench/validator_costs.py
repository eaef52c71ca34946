"""What validating a tool call's arguments costs: the server's own validator against jsonschema.

``python -m bench.validator_costs`` (``--quick``: smaller sizes, one round)
measures both on the real tool schemas and prints three tables:

1. typical arguments, per call: each tool's examples and valid case files
   (``tests/schema-cases/<tool>/valid``), then its invalid case files, every
   problem listed;
2. hostile worst cases, each in a child process of its own under a time limit:
   a 1,000,000-item array where ``maxItems`` is 100 (of strings, then of
   objects), a 100,000-deep nested value under ``uniqueItems``, a 5 MB string
   under a pattern and a ``maxLength``, and ``uniqueItems`` over 100 strings
   of 4,096 characters;
3. what each costs the server's process to import: the peak resident set
   (``ru_maxrss``) of a fresh child that has imported what the server imports
   and loaded the tool schemas, before and after importing the validator,
   compiling every tool schema and validating each example once. Every child
   reads compiled bytecode (written by a first child into a cache outside the
   checkout), as an installed package does, so that neither side pays for
   compiling its source.

jsonschema is ``Draft202012Validator`` with its format checker, extended as
``finizi_b4b/checks/reference.py`` does (whole-value patterns, finite
numbers), loaded from that file alone, without the rest of check-schemas.
It is not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "schema-cases"
VALIDATORS = ("ours", "jsonschema")
SERVER_IMPORTS = ("anyio", "aiohttp", "attrs", "cattrs", "mcp.server.lowlevel", "mcp.types")


def _maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _definitions() -> dict[str, dict[str, Any]]:
    from finizi_b4b.schemas import load_definitions

    return load_definitions()


def _jsonschema_factory() -> Callable[[dict[str, Any]], Any]:
    """``reference_validator`` from checks/reference.py, loaded without the check-schemas package."""
    spec = importlib.util.spec_from_file_location(
        "_reference", ROOT / "finizi_b4b" / "checks" / "reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_validator


def compiled(kind: str, schema: dict[str, Any]) -> Callable[[Any], list[Any]]:
    """A function listing every problem of an instance, with the validator ``kind``."""
    if kind == "ours":
        from finizi_b4b.validation import Validator

        return Validator(schema).problems
    validator = _jsonschema_factory()(schema)
    return lambda instance: list(validator.iter_errors(instance))


# -- 1. typical arguments -----------------------------------------------------------------------------


def _instances(name: str, schema: dict[str, Any], folder: str) -> list[Any]:
    found = list(schema.get("examples", [])) if folder == "valid" else []
    found += [json.loads(p.read_text("utf-8")) for p in sorted((CASES / name / folder).glob("*.json"))]
    return found


def typical(rounds: int) -> list[str]:
    definitions = _definitions()
    rows = []
    check = {  # built once, outside the timed part
        kind: {name: compiled(kind, definition["inputSchema"]) for name, definition in definitions.items()}
        for kind in VALIDATORS
    }
    for folder in ("valid", "invalid"):
        calls = [
            (name, instance)
            for name, definition in sorted(definitions.items())
            for instance in _instances(name, definition["inputSchema"], folder)
        ]
        per_call: dict[str, list[float]] = {kind: [] for kind in VALIDATORS}
        for _ in range(rounds):
            for kind in VALIDATORS:  # interleaved, so that a noisy moment hits both
                started = time.perf_counter()
                for _ in range(20):
                    for name, instance in calls:
                        check[kind][name](instance)
                per_call[kind].append((time.perf_counter() - started) / (20 * len(calls)) * 1e6)
        ours, theirs = (statistics.median(per_call[kind]) for kind in VALIDATORS)
        rows.append(
            f"| {folder} arguments ({len(calls)} calls over {len(definitions)} tools) | {ours:.1f} µs "
            f"| {theirs:.1f} µs | {theirs / ours:.1f}x |"
        )
    return rows


# -- 2. hostile worst cases ---------------------------------------------------------------------------


def _deep(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def hostile_instance(case: str, size: int) -> tuple[str, Any]:
    """(tool, arguments) of a hostile case; ``size`` scales it."""
    if case == "strings":  # file_paths: maxItems 100, uniqueItems, strings of at most 4,096 characters
        return "import_invoice_xml", {"entity_id": "42", "file_paths": [f"/x/{i}.xml" for i in range(size)]}
    if case == "objects":  # the same, with items no sort can order
        return "import_invoice_xml", {"entity_id": "42", "file_paths": [{"n": i} for i in range(size)]}
    if case == "deep":  # two values nested `size` deep, under uniqueItems
        deep = _deep(size)
        return "import_invoice_xml", {"entity_id": "42", "file_paths": [deep, [deep]]}
    if case == "long_string":  # a pattern and a maxLength of 12
        return "list_invoices", {"entity_id": "42", "invoice_series": "A" * size}
    if case == "long_email":  # a pattern that backtracks over the whole string, and a maxLength of 254
        return "update_entity", {"entity_id": "42", "email": "a" * size}
    if case == "unique_long":  # uniqueItems over `size` valid paths of 4,096 characters, alike but the end
        return "import_invoice_xml", {
            "entity_id": "42",
            "file_paths": ["/" + "x" * 4090 + f"{i:05d}" for i in range(size)],
        }
    raise ValueError(case)


HOSTILE = {  # case: (what it is, for its size n or m MiB; its size; its quick size)
    "strings": ("{n:,} strings where maxItems is 100", 1_000_000, 100_000),
    "objects": ("{n:,} objects where maxItems is 100", 1_000_000, 2_000),
    "deep": ("a value nested {n:,} deep, twice, under uniqueItems", 100_000, 100_000),
    "long_string": ("a {m:g} MiB string under a pattern and maxLength 12", 5 * 1024 * 1024, 1024 * 1024),
    "long_email": ("a {m:g} MiB string under a backtracking pattern", 5 * 1024 * 1024, 1024 * 1024),
    "unique_long": ("uniqueItems over {n} strings of 4,096 characters", 100, 100),
}
# jsonschema compares unsortable items pairwise (quadratic): it is timed at these sizes and extrapolated.
OBJECT_STEPS, QUICK_OBJECT_STEPS = (1_000, 2_000, 4_000), (250, 500)


def child_hostile(case: str, kind: str, size: int) -> dict[str, Any]:
    """In the child: validate one hostile instance; the time, the outcome and the RSS growth."""
    tool, arguments = hostile_instance(case, size)
    check = compiled(kind, _definitions()[tool]["inputSchema"])
    before = _maxrss_kib()
    started = time.perf_counter()
    try:
        outcome = f"problems: {len(check(arguments))}"
    except RecursionError:
        outcome = "RecursionError"
    return {
        "seconds": time.perf_counter() - started,
        "outcome": outcome,
        "rss_mib": (_maxrss_kib() - before) / 1024,
    }


def _child(args: list[str], timeout: float) -> dict[str, Any] | None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "finizi-b4b-validator-costs")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.validator_costs", "--child", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env=env,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout)


def _duration(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds:,.0f} s"
    return f"{seconds / 3600:,.0f} hours" if seconds < 2 * 86_400 else f"{seconds / 86_400:,.0f} days"


def _hostile_cell(result: dict[str, Any] | None, timeout: float) -> str:
    if result is None:
        return f"not done in {timeout:g} s"
    return f"{result['seconds']:.3f} s, {result['outcome']}, +{result['rss_mib']:.0f} MiB"


def hostile(quick: bool, timeout: float) -> list[str]:
    rows = []
    for case, (what, size, quick_size) in HOSTILE.items():
        n = quick_size if quick else size
        cells = [
            _hostile_cell(_child(["hostile", case, kind, str(n)], timeout), timeout) for kind in VALIDATORS
        ]
        if case == "objects":
            sizes = QUICK_OBJECT_STEPS if quick else OBJECT_STEPS
            steps = [(s, _child(["hostile", case, "jsonschema", str(s)], timeout)) for s in sizes]
            timed = [(s, r["seconds"]) for s, r in steps if r is not None]
            if len(timed) >= 2:
                (_, t1), (s2, t2) = timed[-2], timed[-1]  # each step doubles the size
                growth = t2 / t1
                estimate = t2 * (n / s2) ** 2  # quadratic: the time grows as the size squared
                shown = ", ".join(f"{s:,}: {t:.2f} s" for s, t in timed)
                cells[1] += f"; {shown} (x{growth:.1f} per doubling), about {_duration(estimate)} at {n:,}"
        rows.append(f"| {what.format(n=n, m=n / 1048576)} | {cells[0]} | {cells[1]} |")
    return rows


# -- 3. the cost of importing ---------------------------------------------------------------------------


def child_import(kind: str) -> dict[str, Any]:
    """In the child: what importing and compiling the validator ``kind`` adds to the peak RSS."""
    import importlib

    for module in SERVER_IMPORTS:
        importlib.import_module(module)
    definitions = _definitions()
    before = _maxrss_kib()
    started = time.perf_counter()
    checks = {name: compiled(kind, d["inputSchema"]) for name, d in definitions.items()}
    for name, definition in definitions.items():
        for example in definition["inputSchema"].get("examples", []):
            checks[name](example)
    return {"seconds": time.perf_counter() - started, "rss_kib": _maxrss_kib() - before}


def imports(reps: int, timeout: float) -> list[str]:
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in VALIDATORS}
    for kind in VALIDATORS:  # writes the bytecode the measured children read
        _child(["import", kind], timeout)
    for _ in range(reps):
        for kind in VALIDATORS:
            result = _child(["import", kind], timeout)
            assert result is not None, f"importing {kind} took over {timeout} s"
            found[kind].append(result)
    rows = []
    for kind in VALIDATORS:
        rss = statistics.median(r["rss_kib"] for r in found[kind]) / 1024
        ms = statistics.median(r["seconds"] for r in found[kind]) * 1000
        rows.append(f"| {kind} | +{rss:.2f} MiB | {ms:.1f} ms |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.validator_costs", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes and one round (a smoke run)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a hostile case may take")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.child:
        what, *rest = args.child
        hostile_case = what == "hostile"
        print(
            json.dumps(
                child_hostile(rest[0], rest[1], int(rest[2])) if hostile_case else child_import(rest[0])
            )
        )
        return 0
    reps = 1 if args.quick else 5
    print(f"Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| arguments | ours, per call | jsonschema, per call | ratio |\n|---|---|---|---|")
    print("\n".join(typical(reps)), end="\n\n", flush=True)
    print("| hostile case | ours | jsonschema |\n|---|---|---|")
    print("\n".join(hostile(args.quick, args.timeout)), end="\n\n", flush=True)
    print("| imported into the server process | peak RSS | time |\n|---|---|---|")
    print("\n".join(imports(reps, args.timeout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
