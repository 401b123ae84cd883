# adwatch developer entry points. `make test` is what CI runs (via .ci/run).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
BENCH_LOCAL := detect worker venue failover
BENCH_STACK := ingest api

.PHONY: help install test lint demo stack-up stack-down stack-status bench \
        $(addprefix bench-,$(BENCH_LOCAL) $(BENCH_STACK))

help:
	@echo "make install | test | lint | demo | bench | stack-up | stack-down | stack-status"

# The venv is (re)installed only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q -e '.[all,dev]'
	@touch $(STAMP)

install: $(STAMP)

stack-up:
	ops/stack up

stack-down:
	ops/stack down

stack-status:
	ops/stack status

# Stack up, unit + integration tests with ADWATCH_REQUIRE_STACK=1, stack down (always).
test: install
	ops/test.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy schemas edge broker cloud

demo: install
	@if [ -x ops/demo.sh ]; then ops/demo.sh; \
	else ops/with-stack $(VENV)/bin/python ops/demo.py; fi

bench: $(addprefix bench-,$(BENCH_LOCAL) $(BENCH_STACK))

$(addprefix bench-,$(BENCH_LOCAL)): bench-%: install
	$(VENV)/bin/python tests/bench/bench_$*.py

$(addprefix bench-,$(BENCH_STACK)): bench-%: install
	ops/with-stack $(VENV)/bin/python tests/bench/bench_$*.py
