# Two entry points: `make run` (publish the last 7 days on the embedded chain) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
DATASETS := datasets
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export DAGSTER_DISABLE_TELEMETRY := 1
# Let Python cache compiled bytecode (in .venv): with PYTHONDONTWRITEBYTECODE=1 in the caller's
# environment every process (each pytest worker, each `publicar` a test starts) compiles
# dagster, Great Expectations, pandas, web3 ... from source again: ~10 s of CPU each here.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install browser run test test-fast lint ui serve clean-data bench

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(DAGSTER_HOME)/dagster.yaml: pipelines/dagster.yaml
	mkdir -p $(DAGSTER_HOME) && cp pipelines/dagster.yaml $@

run: install $(DAGSTER_HOME)/dagster.yaml
	$(VENV)/bin/publicar run --datasets $(DATASETS)
	@newest=$$($(PY) -c "import json; print(json.load(open('$(DATASETS)/index.json'))['days'][-1]['folder'])"); \
	echo; echo "== verificar $(DATASETS)/$$newest"; \
	$(VENV)/bin/verificar "$(DATASETS)/$$newest" --datasets $(DATASETS); \
	echo; echo "Published files: $(CURDIR)/$(DATASETS)/ (index: $(DATASETS)/index.json)"; \
	echo "Dagster UI:      make ui   (then open http://127.0.0.1:3000)"

# Lint, types and import contracts first (fast, and a failure there is a failure of CI), then pytest.
test: install browser lint
	$(VENV)/bin/pytest -n 2 --timeout 600

# Debian's Chromium for the browser-verifier tests (they skip, saying why, if it is missing).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; } || echo "chromium not installed: browser tests will be skipped"

test-fast: install
	$(VENV)/bin/pytest -n 2 -m "not chain and not browser"

# Every tool runs (one failure does not hide the next); exit 1 if any failed.
lint: install
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/mypy || status=1; \
	$(VENV)/bin/lint-imports || status=1; \
	exit $$status

# Benchmarks side by side with peer tools; rewrites benchmarks/README.md (not run by CI).
# BENCH_FLAGS=--quick for smaller inputs.
bench: install
	$(PY) benchmarks/run.py $(BENCH_FLAGS)

ui: install $(DAGSTER_HOME)/dagster.yaml
	$(VENV)/bin/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

serve: install
	$(VENV)/bin/publicar serve --datasets $(DATASETS)

clean-data:
	rm -rf $(DATASETS)/perucompras-ocam $(DATASETS)/index.json $(DATASETS)/trust.json .devchain .dagster_home .cache
