# leadcenter developer commands (see README). Every target creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)/layers/leadcenter:$(CURDIR)
PORT ?= 3000
AWS_PORT ?= 4566

.PHONY: setup run test test-fast bench lint sam-validate sam-build clean test-lead

$(STAMP): requirements-dev.txt layers/leadcenter/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) -m local.runner --port $(PORT) --aws-port $(AWS_PORT)

# The browser tests drive one chromium against one runner: they run on their own, after the parallel suite.
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -q -m "not browser"
	$(PY) -m pytest -p no:xdist -q -m browser

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not browser and not slow"

bench: $(STAMP)
	$(PY) -m bench.run

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml

# aws-sam-cli lives in its own venv: its pins must not steer the app's dependencies.
.venv-sam/bin/sam:
	$(PYTHON) -m venv .venv-sam
	.venv-sam/bin/pip install --quiet aws-sam-cli

sam-validate: .venv-sam/bin/sam
	SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam validate --lint --region us-east-1 -t template.yaml

# sam build needs a python3.13 (the Lambda runtime) on PATH; pyenv's is used when present.
PY313_DIR := $(shell ls -d $$HOME/.pyenv/versions/3.13*/bin 2>/dev/null | tail -1)
sam-build: .venv-sam/bin/sam
	PATH="$(PY313_DIR):$$PATH" SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam build -t template.yaml

test-lead: $(STAMP)
	$(PY) -m local.send_test_event

clean:
	rm -rf $(VENV) .venv-sam .aws-sam .pytest_cache .mypy_cache .ruff_cache
