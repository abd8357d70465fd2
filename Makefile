# The README's two commands are `make run` and `make test`.
# Build modes live in CMakePresets.json: release, debug, sanitize.

SHELL := /bin/bash
# ccache keys on paths relative to the checkout, so every clone (CI's
# included) shares one cache.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= true
PY := /usr/bin/python3
RELEASE := build/release
SANITIZE := build/sanitize
DATA_DIR ?= ./data
ATOLLD_ARGS ?=

.PHONY: deps peers compat build build-debug build-sanitize run test unit-test sanitize-test sim-test \
        fuzz-replay fuzz bench-smoke bench-micro bench bench-system-smoke protocol-test integration-test integration-test-sanitize format \
        format-check clean

deps:
	bash tools/install-deps.sh

# Test peers and clients from Maven Central, the Go module proxy and PyPI,
# pinned by lock files (tests/compat/README.md); never linked into atolld.
peers: deps
	bash tools/install-peers.sh

$(RELEASE)/build.ninja:
	cmake --preset release

$(SANITIZE)/build.ninja:
	cmake --preset sanitize

build/debug/build.ninja:
	cmake --preset debug

build: $(RELEASE)/build.ninja
	cmake --build --preset release

build-debug: build/debug/build.ninja
	cmake --build --preset debug

build-sanitize: $(SANITIZE)/build.ninja
	cmake --build --preset sanitize

# A single-node broker on the embedded defaults: data under ./data, the
# Kafka API on 127.0.0.1:9092. Ctrl-C stops it cleanly.
run: deps build
	exec $(RELEASE)/bin/atolld --data-dir $(DATA_DIR) $(ATOLLD_ARGS)

# Everything CI runs (.ci/run calls this).
test: deps format-check build unit-test build-sanitize sanitize-test sim-test fuzz-replay \
      protocol-test integration-test integration-test-sanitize compat bench-smoke \
      bench-system-smoke
	@echo "make test: all stages passed"

unit-test: build
	ctest --test-dir $(RELEASE) -L unit --output-on-failure

sanitize-test: build-sanitize
	ctest --test-dir $(SANITIZE) -L unit --output-on-failure

# The seeded Raft simulation: 1,000 seeds in release, 100 under ASan/UBSan,
# and the deliberately broken cores it must catch. A failing seed prints the
# command that replays it (build/<mode>/bin/raft_sim --first N --seeds 1).
sim-test: build build-sanitize
	ctest --test-dir $(RELEASE) -L sim --output-on-failure
	ctest --test-dir $(SANITIZE) -L sim --output-on-failure

# Replays the checked-in corpus through every fuzz target (sanitize build).
fuzz-replay: build-sanitize
	ctest --test-dir $(SANITIZE) -L fuzz --output-on-failure

# Explores with libFuzzer for FUZZ_SECONDS per target, growing the corpus.
FUZZ_SECONDS ?= 60
fuzz: build-sanitize
	for t in $(SANITIZE)/bin/fuzz_*; do \
	  name=$$(basename $$t); mkdir -p tests/fuzz/corpus/$$name; \
	  $$t -max_total_time=$(FUZZ_SECONDS) tests/fuzz/corpus/$$name || exit 1; \
	done

# Every microbenchmark runs briefly, so none rots.
bench-smoke: build
	ctest --test-dir $(RELEASE) -L bench --output-on-failure

# Microbenchmark figures: median and spread of 5 repetitions each, interleaved
# so that a pair compared in one run (log vs raw disk) sees the same machine.
bench-micro: build
	for b in $(RELEASE)/bin/bench_*; do \
	  $$b --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
	    --benchmark_enable_random_interleaving=true || exit 1; \
	done

# System benchmarks (issue 7): the machine's limits (bench/system/limits),
# then the standard workloads with atoll-bench against a fresh release atolld
# and against librdkafka's in-memory mock; writes bench/results/<date>.md
# with every figure, the ratios to the targets and latency plots (PNG).
# A shorter run: make bench BENCH_ARGS="--duration-s 10 --warmup-s 2".
BENCH_ARGS ?=
bench: build peers
	$(PY) bench/system/run_suite.py $(BENCH_ARGS)

# A seconds-long run of the same path (limits --quick, smoke.yaml against
# atolld and the mock, report to a temporary directory), so it never rots.
bench-system-smoke: build peers
	$(PY) bench/system/run_suite.py --smoke

# Codecs against kafka-python's encoders and real clients' bytes.
protocol-test: build
	cd tests/protocol && $(PY) -m pytest -q

# The differential suite: every scenario against Apache Kafka 4.4 and atolld,
# compared (tests/compat); about 4 minutes.
COMPAT_PY := tests/compat/.venv/bin/python
compat: build peers
	cd tests/compat && ../../$(COMPAT_PY) -m pytest -q

integration-test: build
	cd tests/integration && $(PY) -m pytest -q

# The same suite against the ASan/UBSan broker: hostile input must not
# touch memory it should not.
integration-test-sanitize: build-sanitize
	cd tests/integration && ATOLLD=$(CURDIR)/$(SANITIZE)/bin/atolld $(PY) -m pytest -q

format:
	git ls-files '*.h' '*.cc' | xargs clang-format-14 -i

format-check:
	git ls-files '*.h' '*.cc' | xargs clang-format-14 --dry-run --Werror

clean:
	rm -rf build
