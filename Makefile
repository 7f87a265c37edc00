# The verbs of the repository. Everything runs from the virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := $(wildcard libs/*/pyproject.toml services/*/pyproject.toml gateway/pyproject.toml)
PROTOS := $(shell find protos -name '*.proto')

.PHONY: setup proto run test lint breaking fmt migrate revision docs bench

setup: $(VENV)/.installed

$(VENV)/.installed: requirements/dev.txt $(PACKAGES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $@

proto: setup .build/proto.stamp

.build/proto.stamp: $(PROTOS) $(VENV)/.installed libs/devstack/devstack/protos.py
	$(BIN)/python -m devstack proto
	mkdir -p .build && touch $@

run: proto
	$(BIN)/python -m devstack run

test: proto
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: proto
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/buf lint
	$(BIN)/python -m devstack lint-migrations

breaking: proto
	$(BIN)/python -m devstack breaking --against $(or $(AGAINST),main)

fmt: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: proto
	$(BIN)/python -m devstack migrate

revision: proto
	$(BIN)/python -m devstack revision $(SERVICE) -m "$(MESSAGE)"

docs: proto
	$(BIN)/python -m devstack docs

bench: proto
	$(BIN)/python -m devstack bench $(BENCH_ARGS)
