# AgentLedger: the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
SWIFT_FLAGS ?= -Xswiftc -warnings-as-errors
APT_PACKAGES := libzstd-dev libsqlite3-dev sqlite3 pkg-config
DEMO_STORE ?= $(CURDIR)/.build/demo-store
BIN_DEBUG := .build/debug/agentledger
BIN_RELEASE := .build/release/agentledger

.PHONY: all deps build release test demo lint format bench bench-compare sdk-check semantics-check bench-venv stress tsan clean

all: build

## deps: install the system packages the build needs, only when missing (apt-get, as root or with sudo)
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "Installing missing system packages:$$missing"; \
	    SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

release: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS)

## test: everything CI runs (.ci/run calls this target)
test: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift Plugins

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift Plugins

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift Plugins

## demo: record the sample conversations from Fixtures/ into a fresh store and show what the ledger keeps
demo: release
	@bash Scripts/demo.sh $(BIN_RELEASE) "$(DEMO_STORE)"

bench: release
	$(BIN_RELEASE) bench

clean:
	rm -rf .build

## bench-compare: AgentLedger against the OpenAI Agents SDK's SQLite sessions, one table
## (Benchmarks/README.md); e.g. make bench-compare BENCH_ARGS="--reps 5 --duration 10".
## compare.py refuses to start when the release binary is missing (unless --only sdk).
BENCH_VENV := .build/bench-venv
SDK_VERSION := 0.24.0
## bench-venv: the Python virtual environment with the SDK, created and filled when missing
bench-venv:
	@[ -x $(BENCH_VENV)/bin/python ] || python3 -m venv $(BENCH_VENV)
	@$(BENCH_VENV)/bin/python -c "import importlib.metadata as m, sys; \
	    sys.exit(m.version('openai-agents') != '$(SDK_VERSION)')" 2>/dev/null || \
	    $(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	        'openai-agents==$(SDK_VERSION)'

bench-compare: release bench-venv
	$(BENCH_VENV)/bin/python Benchmarks/compare.py --binary $(BIN_RELEASE) $(BENCH_ARGS)

## sdk-check: randomized AdvancedSQLiteSession databases written by the real SDK (the version
## above), imported with import-sdk-sqlite; every branch must read back as the SDK reads it.
SDK_CHECK_SEEDS ?= 1 41
sdk-check: release bench-venv
	$(BENCH_VENV)/bin/python Benchmarks/sdk_import_check.py $(BIN_RELEASE) $(SDK_CHECK_SEEDS)

## semantics-check: the CLI driven by random operations (seeded) against a Python model of
## ../shared/SEMANTICS.md, current and as of past sequence numbers and times, through checkout,
## a deleted read model and export/import; about 4 minutes per seed of 300 operations.
SEMANTICS_SEEDS ?= 1,2
semantics-check: release
	python3 Scripts/semantics_check.py --bin $(BIN_RELEASE) --seeds $(SEMANTICS_SEEDS) --ops 300 \
	    --work .build/semantics-check --quiet

## tsan: the test suite under ThreadSanitizer, in .build-tsan (not part of `make test`: the
## build and the run take about half an hour here). The package's `Mutex` is swapped for one on
## pthread_mutex_t, which the sanitizer sees (Sources/AgentLedger/Sanitizer/ThreadSanitizerMutex.swift);
## the CLI tests run the sanitized agentledger. Fails on any report; e.g. TSAN_TEST_ARGS=--no-parallel.
TSAN_FLAGS := --sanitize=thread --scratch-path .build-tsan -Xswiftc -DAGENTLEDGER_TSAN_MUTEX
TSAN_TEST_ARGS ?=
tsan: deps
	$(SWIFT) build --build-tests $(TSAN_FLAGS)
	@set -o pipefail; TSAN_OPTIONS="halt_on_error=0 $(TSAN_OPTIONS)" \
	    $(SWIFT) test --skip-build $(TSAN_FLAGS) $(TSAN_TEST_ARGS) 2>&1 | tee .build-tsan/tests.log; status=$$?; \
	    reports=$$(grep -c 'WARNING: ThreadSanitizer' .build-tsan/tests.log); \
	    echo "ThreadSanitizer: $$reports reports (.build-tsan/tests.log)"; \
	    [ $$status -eq 0 ] && [ $$reports -eq 0 ]

## stress: the long runs of RELIABILITY.md: a 1,000,000-operation soak printing its memory (the
## release ledger-torture), 500 kill -9 runs, ten times the seeded fuzzing of `make test`, and
## libFuzzer on the event decoder when the toolchain can build -sanitize=fuzzer.
## e.g. make stress STRESS_OPS=200000 STRESS_KILLS=100 STRESS_FUZZ_SCALE=2 STRESS_LIBFUZZER_SECONDS=60
STRESS_OPS ?= 1000000
STRESS_KILLS ?= 500
STRESS_FUZZ_SCALE ?= 10
STRESS_LIBFUZZER_SECONDS ?= 300
STRESS_LIBFUZZER_DIR := .build/libfuzzer
SWIFTC ?= swiftc
stress: deps
	$(SWIFT) build -c release --product ledger-torture $(SWIFT_FLAGS)
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	AGENTLEDGER_STRESS=1 AGENTLEDGER_STRESS_OPS=$(STRESS_OPS) AGENTLEDGER_STRESS_KILLS=$(STRESS_KILLS) \
	    AGENTLEDGER_FUZZ_SCALE=$(STRESS_FUZZ_SCALE) LEDGER_TORTURE=$(CURDIR)/.build/release/ledger-torture \
	    $(SWIFT) test --skip-build --filter 'ReliabilityStressTests|ReliabilityFuzzTests'
	@mkdir -p $(STRESS_LIBFUZZER_DIR)/corpus && rm -f $(STRESS_LIBFUZZER_DIR)/crash-*
	@printf '@_cdecl("LLVMFuzzerTestOneInput") public func f(_ p: UnsafeRawPointer, _ n: Int) -> CInt { 0 }\n' \
	    > $(STRESS_LIBFUZZER_DIR)/probe.swift
	@if $(SWIFTC) -sanitize=fuzzer -parse-as-library $(STRESS_LIBFUZZER_DIR)/probe.swift \
	        -o $(STRESS_LIBFUZZER_DIR)/probe >/dev/null 2>&1; then \
	    $(SWIFTC) -sanitize=fuzzer -parse-as-library -swift-version 6 -module-name AgentLedgerFuzz \
	        Sources/AgentLedger/Events/*.swift Sources/AgentLedger/Items/*.swift \
	        Sources/AgentLedger/Errors/LedgerError.swift Tests/AgentLedgerTests/ReliabilityLibFuzzerTarget.swift \
	        -o $(STRESS_LIBFUZZER_DIR)/event-decoder || exit 1; \
	    echo "libFuzzer: the event decoder for $(STRESS_LIBFUZZER_SECONDS) s (crashes: $(STRESS_LIBFUZZER_DIR)/crash-*)"; \
	    SWIFT_BACKTRACE=enable=no $(STRESS_LIBFUZZER_DIR)/event-decoder -max_total_time=$(STRESS_LIBFUZZER_SECONDS) \
	        -fork=1 -ignore_crashes=1 -print_final_stats=1 -artifact_prefix=$(STRESS_LIBFUZZER_DIR)/ \
	        $(STRESS_LIBFUZZER_DIR)/corpus 2>&1 | grep -E '^#[0-9]+|INFO: fuzzed|crash|stat::' | tail -n 8; \
	    crashes=$$(ls $(STRESS_LIBFUZZER_DIR)/crash-* 2>/dev/null | wc -l); \
	    echo "libFuzzer: $$crashes crashing inputs saved"; test $$crashes -eq 0; \
	else \
	    echo "libFuzzer: skipped, this toolchain cannot build -sanitize=fuzzer"; \
	fi
