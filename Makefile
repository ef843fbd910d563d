# Abetworks — `make run` starts everything, `make test` runs every suite. Both install what is
# missing first, so they work on a fresh machine. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := 0.2.130
PYTHON ?= python3
VENV := python-agents/.venv
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/end2end/node_modules/.bin:$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

AGENT_SERVICE_URL ?= http://127.0.0.1:8001
LEPTOS_SITE_ADDR ?= 127.0.0.1:3000
export AGENT_SERVICE_URL LEPTOS_SITE_ADDR

.PHONY: help setup setup-rust setup-python setup-node setup-chromium build build-debug run test \
        test-rust test-python test-e2e lint fmt clean bench

help:
	@echo "make run    install what is missing, build, start the agent service and the server"
	@echo "make test   install what is missing and run every test suite"
	@echo "make lint   rustfmt, clippy and ruff"
	@echo "make bench  the load benchmark (release build; prints throughput, latency, memory)"

setup: setup-rust setup-python setup-node

setup-rust:
	@rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if ! cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)"; then \
	  echo "installing cargo-leptos $(CARGO_LEPTOS_VERSION) (about 10 minutes, once)"; \
	  cargo install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION); fi
	# Without --locked on purpose: its lockfile names a webpki-roots the registry lacks.
	@if ! wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)"; then \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); fi

setup-python:
	@if [ ! -x $(VENV)/bin/python ]; then $(PYTHON) -m venv $(VENV); fi
	@stamp=$(VENV)/.requirements.sha
	@want=$$(cat python-agents/requirements.txt python-agents/requirements-dev.txt | sha256sum)
	@if [ "$$(cat $$stamp 2>/dev/null)" != "$$want" ]; then \
	  $(VENV)/bin/pip install --quiet --disable-pip-version-check -r python-agents/requirements-dev.txt; \
	  echo "$$want" > $$stamp; fi

# Playwright, axe-core and binaryen's wasm-opt (used by the release build) come from npm.
setup-node:
	@if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then \
	  (cd end2end && npm ci --no-audit --no-fund); fi

setup-chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; fi

# ECharts is served from the site itself (never a CDN), taken from the npm package.
public/echarts.min.js: end2end/package-lock.json | setup-node
	cp end2end/node_modules/echarts/dist/echarts.min.js $@

build: setup-rust setup-node public/echarts.min.js
	cargo leptos build --release

build-debug: setup-rust setup-node public/echarts.min.js
	cargo leptos build

# Starts the agent service on AGENT_SERVICE_URL's host and port, then the server in the
# foreground; Ctrl-C stops both.
run: setup build
	@read -r agent_host agent_port < <($(PYTHON) -c 'import os,urllib.parse as u; p=u.urlparse(os.environ["AGENT_SERVICE_URL"]); print(p.hostname or "127.0.0.1", p.port or 80)')
	@(cd python-agents && exec .venv/bin/uvicorn service.main:app --host "$$agent_host" --port "$$agent_port" --log-level warning) &
	@agent_pid=$$!
	@trap 'kill $$agent_pid 2>/dev/null || true' EXIT INT TERM
	@echo "agent service on http://$$agent_host:$$agent_port, server on http://$(LEPTOS_SITE_ADDR)"
	@LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD $(TARGET_DIR)/release/server

test: setup setup-chromium test-rust test-python test-e2e

# SQLite always; PostgreSQL too when 127.0.0.1:5432 answers (each test makes its own database).
test-rust: setup-rust
	cargo fmt --all -- --check
	cargo test --workspace --exclude frontend

test-python: setup-python
	cd python-agents && .venv/bin/ruff format --check . && .venv/bin/ruff check . && .venv/bin/pytest -q

test-e2e: setup setup-chromium build-debug
	cd end2end && npx playwright test

lint: setup-python
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cd python-agents && .venv/bin/ruff format --check . && .venv/bin/ruff check .

# Release build, traffic to 127.0.0.1 only, bounded; BENCH_* variables size it (see the file).
bench:
	cargo bench -p server --bench load

fmt:
	cargo fmt --all

clean:
	rm -rf target data end2end/test-results end2end/playwright-report
