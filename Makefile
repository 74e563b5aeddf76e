# Dartboard. `make run` and `make test` install whatever is missing (the project-local venv with
# PyTorch 2.11.0, which tch 0.24 links against), then run. See ../shared/TOOLCHAIN.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

VENV := .venv
TORCH_VERSION := 2.11.0
# h5py and tifffile write the HDF5 and TIFF files the import tests read (reference writers).
PY_PACKAGES := torch==$(TORCH_VERSION) numpy h5py tifffile
VENV_MARK := $(VENV)/.installed-torch-$(TORCH_VERSION)-h5py-tifffile
# tch's build finds libtorch inside the venv's torch package; the binary gets an rpath to it.
WITH_TORCH := scripts/with-torch
TIMED := scripts/timed
BIN := target/release/dartboard

# The shared datasets tests and benchmarks read (CI has shared/ beside its clone).
export DARTBOARD_DATASETS ?= $(abspath ../shared/datasets)

.PHONY: all site chromium scaleout packages build server test-build lane-main lane-cluster run demo test bench bench-server bench-executors soak fuzz faults check-defaults fmt clean

all: build

$(VENV_MARK):
	$(TIMED) venv bash -c 'python3 -m venv $(VENV) && $(VENV)/bin/pip install --disable-pip-version-check -q $(PY_PACKAGES)'
	touch $@

venv: $(VENV_MARK)

# The browser half (wasm, JS, CSS) into target/site/pkg; installs the wasm tools it lacks.
site:
	$(TIMED) site scripts/build-site

# The server and the site build side by side (separate target folders, so neither waits for the
# other's lock): each has stretches where it keeps one core busy (a C++ file, a final link,
# wasm-opt), which the other fills.
build:
	$(MAKE) --no-print-directory -j2 server site

server: venv
	$(TIMED) build $(WITH_TORCH) cargo build --release -p server

# The web server on http://127.0.0.1:3000 with an embedded SQLite store in dartboard-data/ and the
# built-in sample (the sklearn digits) imported, so a search can start at once.
ADDR ?= 127.0.0.1:3000
DATA_DIR ?= dartboard-data
run: build
	$(BIN) serve --addr $(ADDR) --data-dir $(DATA_DIR) --sample data/sample/digits.csv.gz

# A short demo search on the built-in sample from the command line, printing the genotype.
demo: build
	@out=runs/demo-$$(date +%Y%m%d-%H%M%S); \
	echo "demo search on data/sample/digits.csv.gz into $$out"; \
	$(BIN) search --data data/sample/digits.csv.gz --preset quick --out $$out >/dev/null; \
	echo "genotype ($$out/genotype.json): $$(tr -d ' \n' < $$out/genotype.json)"; \
	echo "result ($$out/result.json): $$(tr -d ' \n' < $$out/result.json)"

# Debian's Chromium for the browser tests (root, or sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || $(TIMED) chromium bash -c '$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium >/dev/null'

# Every test, in the release profile so it shares the binary's compiled dependencies; then the
# browser tests against the release server. `frontend` (the wasm entry) is built by `site` only:
# built with the server, its `hydrate` feature would be unified into the server's `app`.
# The tests' build, the site, the venv and the system packages are made side by side; then every
# suite runs beside a throwaway one-node Slurm cluster and PostgreSQL (scripts/scaleout: installed
# once from Debian's packages, started in temporary folders, stopped after), in two lanes at once:
#   lane-main     the cargo tests (all but the cluster's);
#   lane-cluster  the Slurm and PostgreSQL suites, then the server suites again with PostgreSQL as
#                 their store (in folders of their own): mostly waiting on daemons and jobs; then
#                 the browser tests (the lanes take 339 s and 424 s on a fresh 2-core machine).
# (The crates have no doc tests; naming test targets leaves them out.)
CARGO_TESTS := --release --workspace --exclude frontend
WITH_CLUSTER := scripts/scaleout/with-cluster
CLUSTER_SUITES := slurm postgres restarts
MAIN_SUITES := $(filter-out $(CLUSTER_SUITES),$(basename $(notdir $(wildcard engine/tests/*.rs server/tests/*.rs))))
PG_SUITES := api races access jobs studies training_runs cross_site hostile_input sweep_api
scaleout:
	$(TIMED) scaleout scripts/scaleout/install

packages: chromium
	$(MAKE) --no-print-directory scaleout

test:
	@test -d "$$DARTBOARD_DATASETS" || { echo "DARTBOARD_DATASETS=$$DARTBOARD_DATASETS is not a folder (expected ../shared/datasets beside the repo)"; exit 1; }
	@start=$$EPOCHREALTIME; \
	$(MAKE) --no-print-directory -j3 test-build site packages && \
	$(TIMED) tests $(WITH_CLUSTER) $(MAKE) --no-print-directory -j2 -Oline lane-main lane-cluster; \
	rc=$$?; awk -v s="$$start" -v e="$$EPOCHREALTIME" 'BEGIN { printf "[phase] total    %7.1f s\n", e - s }' >&2; \
	exit $$rc

test-build: venv
	$(TIMED) build $(WITH_TORCH) cargo test $(CARGO_TESTS) --no-run

# One libtorch thread per test: cargo runs two tests at once beside the other lane, and two
# threads each would oversubscribe the two cores (the server tests' workers use one already).
lane-main:
	$(TIMED) test env OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(WITH_TORCH) cargo test $(CARGO_TESTS) --no-fail-fast --lib --bins $(MAIN_SUITES:%=--test %)

lane-cluster:
	$(TIMED) cluster $(WITH_TORCH) cargo test $(CARGO_TESTS) --no-fail-fast $(CLUSTER_SUITES:%=--test %)
	$(TIMED) postgres env DARTBOARD_TEST_STORE=postgres $(WITH_TORCH) cargo test $(CARGO_TESTS) --no-fail-fast $(PG_SUITES:%=--test %)
	$(TIMED) browser node tests/browser.mjs

# The speed benchmark of the issue (the peer's configuration); prints JSON.
bench: build
	$(BIN) bench --batch 32 --size 28 --channels 1 --init-channels 8 --layers 5 --steps 5 --device cpu

# 200 websocket viewers on one running search: epoch time with and without them (3 rounds).
bench-server: build
	$(WITH_TORCH) cargo run --release -p server --example ws_load

# 50 tiny runs through the local and the Slurm executor, beside a throwaway one-node cluster:
# runs per minute and each run's overhead (submit to first event, last event to recorded end).
bench-executors: build scaleout
	$(WITH_CLUSTER) $(WITH_TORCH) cargo run --release -p server --example executors

# 500 tiny runs through the API with websocket viewers coming and going: the server's memory
# and its event channels every 50 runs (tens of minutes; SOAK_RUNS=N for another count).
soak: build
	$(WITH_TORCH) cargo run --release -p server --example soak

# The fault suite alone (make test runs it too): the data directory on a small tmpfs filled and
# made read-only under a running server (needs root or password-less sudo to mount), then
# PostgreSQL and slurmctld restarted under it, beside the throwaway cluster.
faults: venv
	$(TIMED) faults $(WITH_TORCH) cargo test $(CARGO_TESTS) --test faults --test jobs
	$(TIMED) faults-cluster $(WITH_CLUSTER) $(WITH_TORCH) cargo test $(CARGO_TESTS) --test restarts

# The importers' property tests with many more cases than `make test` runs.
FUZZ_CASES ?= 5000
fuzz: venv
	PROPTEST_CASES=$(FUZZ_CASES) $(WITH_TORCH) cargo test --release -p engine --test import_props

# The default preset on every shared dataset, 2 epochs of 20 steps (tens of minutes on a CPU).
check-defaults: build
	scripts/check-defaults

fmt:
	cargo fmt --all

clean:
	cargo clean
