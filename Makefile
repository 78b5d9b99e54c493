# The whole test suite runs against the real local MariaDB and PostgreSQL.
# .ci/run starts them when they are down.
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)

.PHONY: build test vet bench release

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)" -o bin/gosqlguard ./cmd/gosqlguard

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal e2e tools)" || { gofmt -l cmd internal e2e tools; echo "gofmt needed"; exit 1; }

test: vet chart-test monitoring-test
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 30m ./...

# The Helm chart: helm lint, then the tools module's tests (the chart rendered
# and decoded into the Kubernetes API types, its configs checked by
# `gosqlguard config validate`, deploy/kubernetes up to date). helm is built
# from the pinned tools module on first use (a few minutes, then cached).
.PHONY: chart-test
chart-test:
	cd tools && $(GO) tool helm lint --strict ../deploy/helm/gosqlguard
	cd tools && $(GO) test -count=1 -timeout 20m ./...

# The alert rules and Grafana dashboard in deploy/monitoring (docs/monitoring.md):
# promtool checks the rules and runs their unit tests; the Go tests check that
# every series they query is in the /metrics exposition and that the
# dashboard's queries parse. promtool is built from
# the pinned tools module on first use (about 15 minutes on two cores, then cached).
.PHONY: monitoring-test
monitoring-test:
	cd tools && $(GO) tool promtool check rules ../deploy/monitoring/gosqlguard-rules.yaml
	cd tools && $(GO) tool promtool test rules ../deploy/monitoring/gosqlguard-rules.test.yaml
	PROMTOOL="$$(cd tools && $(GO) tool -n promtool)" $(GO) test -count=1 -run '^TestMonitoring' ./internal/metrics

bench:
	bash scripts/bench-memory.sh

# Backup and restore benchmark suite, both engines, against the CLI pipelines
# (docs/performance.md). Not a test. SIZE_MB (default 100), RUNS (3),
# ENGINES, BENCH_FLAGS (e.g. -clean, -profile DIR, -o FILE).
.PHONY: bench-suite
bench-suite:
	$(GO) run ./scripts/bench $(BENCH_FLAGS)

# Static binaries for linux/amd64, linux/arm64 and darwin/arm64 in dist/,
# with the version stamped, and dist/SHA256SUMS (see the README's "Deploy").
release:
	GO=$(GO) bash scripts/release.sh $(VERSION) $(COMMIT)
