# AgentLedger: the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
SWIFT_FLAGS ?= -Xswiftc -warnings-as-errors
APT_PACKAGES := libzstd-dev libsqlite3-dev sqlite3 pkg-config
DEMO_STORE ?= $(CURDIR)/.build/demo-store
BIN_DEBUG := .build/debug/agentledger
BIN_RELEASE := .build/release/agentledger

.PHONY: all deps build release test demo lint format bench bench-compare stress clean

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
