# The whole test suite runs against the real local MariaDB and PostgreSQL.
# .ci/run starts them when they are down.
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)

.PHONY: build test vet bench

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)" -o bin/gosqlguard ./cmd/gosqlguard

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal)" || { gofmt -l cmd internal; echo "gofmt needed"; exit 1; }

test: vet
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 30m ./...

bench:
	bash scripts/bench-memory.sh
