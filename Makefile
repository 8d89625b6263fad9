# OmniHub — `make demo` runs the local hub end to end, `make test` runs every suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
export PYTHONDONTWRITEBYTECODE := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: install demo local test unit integration workflows infra e2e lint typecheck schemas synth layer deploy bench lock clean

$(STAMP): requirements.lock pyproject.toml
	@command -v python3 >/dev/null || { echo "python3 (3.11+) is required"; exit 1; }
	@command -v node >/dev/null || { echo "node (for the CDK) is required"; exit 1; }
	@echo "Creating $(VENV) from requirements.lock (first run only, about a minute)..."
	@python3 -m venv $(VENV)
	@$(VENV)/bin/pip install -q -r requirements.lock 2> >(grep -v 'is ignored' >&2)
	@$(VENV)/bin/pip install -q --no-deps -e . 2> >(grep -v 'is ignored' >&2)
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) -m localhub.cli demo $(ARGS)

local: install
	$(PY) -m localhub.cli local $(ARGS)

test: install lint typecheck
	$(PY) -m pytest -n 2 --dist loadgroup $(ARGS)

unit: install ; $(PY) -m pytest tests/unit $(ARGS)
integration: install ; $(PY) -m pytest tests/integration $(ARGS)
workflows: install ; $(PY) -m pytest tests/workflows $(ARGS)
infra: install ; $(PY) -m pytest tests/infrastructure $(ARGS)
e2e: install ; $(PY) -m pytest tests/e2e $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy schemas hubcore connectors functions infra_cdk localhub

schemas: install
	$(PY) -m schemas.export

# Lambda dependencies for the deployment package: manylinux wheels for the Lambda runtime, no Docker.
# Bytecode is compiled by the runtime's own Python version (LAMBDA_PYTHON): Lambda's /opt and /var/task are
# read-only, so a module without a matching .pyc is compiled from source at every cold start (bare boto3
# took ~0.85 s that way instead of ~0.15 s). Layer bytecode is unchecked-hash (the layer never changes once
# built); the code's is checked-hash, so an edited source file is never shadowed by stale bytecode.
LAMBDA_PYTHON ?= $(or $(wildcard $(shell pyenv prefix 3.12 2>/dev/null)/bin/python3.12),python3.12)
RUNTIME_PACKAGES := schemas hubcore connectors functions

layer: install
	rm -rf .build/layer && mkdir -p .build/layer/python
	$(VENV)/bin/pip install -q --no-compile --target .build/layer/python --platform manylinux2014_x86_64 \
		--python-version 3.12 --only-binary=:all: --implementation cp -r requirements-lambda.lock
	@if command -v $(LAMBDA_PYTHON) >/dev/null && $(LAMBDA_PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then \
		$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash .build/layer/python >/dev/null; \
		$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode checked-hash $(RUNTIME_PACKAGES) >/dev/null; \
		echo "layer and code compiled to python3.12 bytecode"; \
	else \
		echo "WARNING: no Python 3.12 found as '$(LAMBDA_PYTHON)' (set LAMBDA_PYTHON=/path/to/python3.12):"; \
		echo "         the package ships without bytecode and every cold start compiles it from source."; \
	fi

synth: layer
	npx --yes aws-cdk@2 synth --app "$(PY) -m infra_cdk.app" --output cdk.out

deploy: layer
	npx --yes aws-cdk@2 deploy --app "$(PY) -m infra_cdk.app" --output cdk.out $(ARGS)

# Cold starts are measured in the deployment package that `make layer` builds.
bench: install layer
	LAMBDA_PYTHON=$(LAMBDA_PYTHON) $(PY) -m localhub.cli bench $(ARGS)

lock:
	$(PY) -m pip install -q uv && $(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.12 --python-platform x86_64-manylinux_2_28 -o requirements-lambda.lock

clean:
	rm -rf $(VENV) .build cdk.out bench-results
