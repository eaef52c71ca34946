# finizi-b4b: `make demo` and `make test` are the only commands a new user needs;
# each creates .venv and installs the project on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
DEV    := $(VENV)/.ready-dev
# The MCPB CLI (npm: @anthropic-ai/mcpb) that validates and packs the bundle; pinned here only.
MCPB_VERSION := 2.1.2

.PHONY: demo test serve sandbox lint format check-schemas metaschema snapshot cassettes bench docs lock bundle release-artifacts clean

$(READY): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "finizi-b4b needs Python 3.11 or newer (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

$(DEV): $(READY)
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	@touch $@

## demo: start the embedded sandbox and run a scripted session through every tool
demo: $(READY)
	$(BIN)/finizi-b4b demo

## test: the schema checks, then the test suite (needs Node.js for the MCP Inspector checks)
test: $(READY)
	@command -v npx >/dev/null || { echo "make test needs Node.js (npx) for the MCP Inspector checks: install Node.js 18+" >&2; exit 1; }
	$(BIN)/finizi-b4b check-schemas
	$(BIN)/python -m pytest

## serve: the stdio server against the embedded sandbox (what a desktop client would run)
serve: $(READY)
	$(BIN)/finizi-b4b serve --sandbox

## sandbox: the sandbox API alone on http://127.0.0.1:8765
sandbox: $(READY)
	$(BIN)/finizi-b4b sandbox

## check-schemas: the schema-validation job CI runs
check-schemas: $(READY)
	$(BIN)/finizi-b4b check-schemas

## metaschema: a second opinion for CI: check-jsonschema checks each input and output schema against 2020-12
metaschema: $(DEV)
	rm -rf build/schemas && mkdir -p build/schemas
	$(BIN)/python -c 'import json, pathlib; \
	[pathlib.Path("build/schemas", f"{p.stem}.{k}.json").write_text(json.dumps( \
	    {"$$schema": "https://json-schema.org/draft/2020-12/schema", **json.loads(p.read_text())[k]})) \
	 for p in sorted(pathlib.Path("schemas/tools").glob("*.json")) for k in ("inputSchema", "outputSchema")]'
	$(BIN)/check-jsonschema --check-metaschema build/schemas/*.json

## snapshot: rewrite tests/snapshots/tools-list.json after an intended change to the tool schemas
snapshot: $(READY)
	$(BIN)/finizi-b4b check-schemas --update-snapshot

## cassettes: re-record tests/cassettes from the demo scenarios (when a change to results is intended)
cassettes: $(READY)
	rm -f tests/cassettes/full.jsonl tests/cassettes/expiry.jsonl tests/cassettes/failures.jsonl
	$(BIN)/finizi-b4b demo --scenario full --record tests/cassettes/full.jsonl
	$(BIN)/finizi-b4b demo --scenario expiry --record tests/cassettes/expiry.jsonl
	$(BIN)/finizi-b4b demo --scenario failures --record tests/cassettes/failures.jsonl

## docs: rewrite docs/tools.md and the README's tool list from schemas/tools (a test fails when they are stale)
docs: $(READY)
	$(BIN)/python -m finizi_b4b.devtools.reference

## bench: the benchmark with its budgets (not part of `make test`)
bench: $(READY)
	$(BIN)/python -m bench

## lock: refresh uv.lock after a change to the dependencies in pyproject.toml (the bundle ships it; commit it)
lock: $(READY)
	$(BIN)/uv lock

## bundle: the MCP Bundle for one-click install in Claude Desktop: dist/finizi-b4b-<version>.mcpb (needs npx)
## (it refuses a uv.lock that does not match pyproject.toml: run `make lock`)
bundle: $(READY)
	$(BIN)/python bundle/build.py --mcpb-version $(MCPB_VERSION) --stage build/bundle --dist dist

## release-artifacts: dist/ gets the wheel, the sdist, the .mcpb (validated), server.json and SHA256SUMS
## (TAG=vX.Y.Z also checks the tag names the version; the release workflow passes it). Publishes nothing.
release-artifacts: $(READY)
	$(BIN)/python bundle/release.py --mcpb-version $(MCPB_VERSION) --stage build/bundle --dist dist $(if $(TAG),--tag $(TAG))

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
