# vngov: `make demo` runs the platform with demo data; `make test` runs every test.
GO      ?= go
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN     := ./vngov
PG_BIN  := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))

.PHONY: all build demo test test-go test-e2e bench lint fmt clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/vngov

## demo: the whole platform with demo data on SQLite and embedded NATS (Ctrl-C stops it).
demo: build
	$(BIN) demo $(DEMO_FLAGS)

## test: Go tests (on SQLite, and on PostgreSQL when one is available) and the browser tests.
test: lint test-go test-e2e

# PostgreSQL: VNGOV_TEST_POSTGRES if set; otherwise a throwaway local server
# when PostgreSQL is installed; otherwise its tests say they are skipped.
test-go:
	@if [ -z "$$VNGOV_TEST_POSTGRES" ] && [ -n "$(PG_BIN)" ]; then \
	  export VNGOV_TEST_POSTGRES=$$(scripts/pg-test-server) || exit 1; \
	fi; \
	if [ -n "$$VNGOV_TEST_POSTGRES" ]; then echo "test: PostgreSQL tests run against $$VNGOV_TEST_POSTGRES"; \
	else echo "test: PostgreSQL tests SKIPPED (no PostgreSQL installed and VNGOV_TEST_POSTGRES unset)"; fi; \
	$(GO) test -timeout 20m ./...

test-e2e:
	@if [ -x /usr/bin/chromium ]; then \
	  $(GO) build -o e2e/.bin/vngov ./cmd/vngov && \
	  cd e2e && npm ci --no-audit --no-fund --loglevel=error && VNGOV_BIN=$(CURDIR)/e2e/.bin/vngov npm test; \
	else \
	  echo "test: browser tests SKIPPED: /usr/bin/chromium not installed (apt-get install chromium)"; \
	fi

## bench: every benchmark (vngov bench all); BENCH_FLAGS="--duration 30s" for longer runs.
bench: build
	$(BIN) bench all $(BENCH_FLAGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN) e2e/.bin vngov-data
