# The assistant's workflow. The README promises two commands: `make run` and `make test`.
# Everything else here is a step those two use, or a tool for developers.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
RASA      := $(VENV)/bin/rasa
WEBCHAT   := web/node_modules/rasa-webchat/lib/index.js

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

# A model is named after the content of everything that shapes it, so `models/`
# either holds the model for the current data and config or training is due.
MODEL_INPUTS := config.yml $(sort $(shell find domain data components lexicons -type f \( -name '*.yml' -o -name '*.py' \) 2>/dev/null))
MODEL_HASH   := $(shell cat $(MODEL_INPUTS) 2>/dev/null | sha256sum | cut -c1-12)
MODEL        := models/tms-$(MODEL_HASH).tar.gz

.PHONY: help setup services packages run test train validate test-unit test-stories test-e2e \
	test-crisis test-browser test-robustness test-cluster eval bench soak cluster shell purge clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

setup: $(VENV)/.installed $(WEBCHAT)  ## create the venv and install the widget (done by run and test)

$(VENV)/.installed: requirements.txt requirements-dev.txt .python-version
	@scripts/setup_venv.sh $(VENV)
	@touch $@

$(WEBCHAT): web/package.json web/package-lock.json
	@echo "==> Installing the chat widget from the npm registry"
	@cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

services:  ## make sure PostgreSQL and Redis answer (starts or installs them)
	@scripts/ensure_services.sh

packages:  ## install nginx and Chromium from Debian's packages when missing
	@scripts/ensure_packages.sh nginx chromium

train: $(MODEL)  ## train a model unless models/ already holds one for the current data and config

$(MODEL): $(VENV)/.installed
	@echo "==> Training $(MODEL)"
	@$(PY) -m scripts.train_with_speedups --config config.yml --domain domain --data data --out models \
		--fixed-model-name tms-$(MODEL_HASH)

run: setup train  ## start the assistant: action server, Rasa server, demo page
	@PYTHONWARNINGS=ignore $(PY) scripts/run_assistant.py --model $(MODEL)

validate: $(VENV)/.installed  ## check training data and domain
	@$(PY) scripts/validate_data.py

test-unit: $(VENV)/.installed services
	@$(PY) -m pytest -q tests/unit

test-stories: setup train
	@$(RASA) test core --model $(MODEL) --stories tests/test_stories \
		--e2e --fail-on-prediction-errors --out results/test_stories

test-e2e: setup train
	@TMS_MODEL=$(MODEL) $(PY) -m pytest -q tests/e2e

# The held-out set is held to the 1% false-alarm target; the development set, which holds
# the retired fresh sets with their hardest lookalikes, near what was measured (8.6%): see
# the README, "Accuracy".
test-crisis: setup train  ## crisis recall 100% on the held-out and development sets, false alarms at most 1% / 9%
	@$(PY) scripts/evaluate.py --quick --fail-under-targets --model $(MODEL)
	@$(PY) scripts/evaluate.py --quick --fail-under-targets --max-false-alarms 0.09 --set tests/dev \
		--out results/eval-dev --model $(MODEL)

test-browser: setup train packages  ## the demo page and widget in headless Chromium (Playwright)
	@TMS_MODEL=$(MODEL) $(PY) -m pytest -q tests/browser

test-robustness: setup train  ## faults, generated and hostile input, a short soak
	@TMS_MODEL=$(MODEL) $(PY) -m pytest -q tests/robustness

test: setup validate test-unit train test-stories test-crisis test-e2e test-browser \
	test-robustness test-cluster  ## set up and run the whole suite

eval: setup train  ## held-out evaluation and 5-fold cross-validation: results/eval/
	@$(PY) scripts/evaluate.py --model $(MODEL)

bench: setup  ## latency, throughput, memory, cold start, training, against Rasa's stock config: results/bench/
	@PYTHONWARNINGS=ignore $(PY) scripts/benchmark.py $(BENCH_ARGS)

soak: setup train  ## 200 conversations for 60 s over loopback (SOAK_ARGS=... to change)
	@$(PY) scripts/soak.py --start --model $(MODEL) --json results/soak/report.json $(SOAK_ARGS)

cluster: setup train packages  ## production profile here: PostgreSQL, Redis, 2 Rasa servers, nginx on :8000 (CLUSTER_ARGS=...)
	@PYTHONWARNINGS=ignore $(PY) scripts/cluster.py --model $(MODEL) $(CLUSTER_ARGS)

test-cluster: setup train services packages
	@TMS_MODEL=$(MODEL) $(PY) -m pytest -q tests/cluster

shell: setup train  ## talk to the assistant in the terminal (starts the action server too)
	@$(PY) scripts/run_assistant.py --model $(MODEL) --shell

ENDPOINTS ?= endpoints.yml
purge: $(VENV)/.installed  ## delete conversations older than clinic.yml's retention (DAYS=n, ENDPOINTS=file to override)
	@$(PY) scripts/purge_conversations.py --endpoints $(ENDPOINTS) $(if $(DAYS),--days $(DAYS))

clean:  ## remove trained models and test output (keeps conversations)
	rm -rf models/*.tar.gz results .pytest_cache
