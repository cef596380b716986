# Petrel: the two commands the README gives, and the targets behind them.
#   make run    install what is missing, build, start a broker (no config:
#               127.0.0.1:1883 and 127.0.0.1:61613, anonymous). ARGS=... passes options.
#   make test   install what is missing, build (plain and ASan+UBSan), run the
#               unit, integration and short fuzz suites.
# Other targets: build, asan, unit, integration, fuzz, docs, bench, clean.
#   make bench  Petrel against mosquitto on the standard scenarios (bench/compare.sh;
#               BENCH_ARGS=... passes options, e.g. BENCH_ARGS="-s fanin-q1 -d 5").

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
ARGS ?=
BENCH_ARGS ?=

.PHONY: all deps build asan run test unit integration fuzz fuzz-build docs bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The ASan build also carries the test-only enhanced-auth method (PETREL_TEST_AUTH)
# that the integration tests of MQTT 5 AUTH use; release builds never do.
asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
		-DSANITIZE=address,undefined -DPETREL_TEST_AUTH=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

run: build
	$(BUILD)/bin/petrel $(ARGS)

test: deps
	@scripts/test.sh

unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

integration: build
	@/usr/bin/python3 tests/integration/run.py --bin $(BUILD)/bin

fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
		-DSANITIZE=address,undefined -DPETREL_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Long fuzzing run of every target (FUZZ_SECONDS each); `make test` runs a short one.
fuzz: fuzz-build
	@scripts/fuzz.sh $(FUZZ_BUILD)/fuzz $(FUZZ_SECONDS)

# Regenerates the README's config reference from the option table.
docs: build
	@scripts/gen-config-doc.sh $(BUILD)/bin/petrel

# Takes minutes: see docs/BENCHMARKS.md for what it measures.
bench: build
	@bench/compare.sh --bin $(BUILD)/bin $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
