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

.PHONY: help install toolchain repro test lint format bench gate release clean-venv

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

# CONFIG=configs/X.yaml runs the pipeline as a DVC experiment with that overlay applied to params.yaml.
CONFIG ?=
repro: install toolchain  ## run the DVC pipeline on params.yaml (CONFIG=configs/X.yaml for a real run)
ifeq ($(CONFIG),)
	$(RUN) dvc repro $(DVC_ARGS)
else
	$(RUN) eval dvc exp run $$($(PY) -m cmd_correct.params set-args $(CONFIG)) $(DVC_ARGS)
endif

test: install toolchain  ## run the test suite (slow tests included)
	$(RUN) $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install  ## ruff
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

format: install
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

bench: install toolchain  ## print benchmark figures as JSON (bench/*.py)
	for b in bench/bench_*.py; do echo "# $$b"; $(RUN) $(PY) $$b; done

clean-venv:
	rm -rf $(VENV)
