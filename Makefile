# Tandem — build, test and run every module of the workspace from the root.
# At a workspace root with no go.mod, `go test ./...` does not span the modules,
# so every target expands the module directories that go.work lists.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GO          ?= go
MODULES     := $(shell $(GO) list -m -f '{{.Dir}}')
PKGS        := $(addsuffix /...,$(MODULES))
BIN         := bin

# Tools run at pinned versions through `go run`; nothing is installed globally.
BUF_VERSION         := v1.75.0
STATICCHECK_VERSION := v0.8.2
BUF         := $(GO) run github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

TEST_FLAGS  ?= -race -count=1 -timeout 20m
BENCH_FLAGS ?= -run '^$$' -bench . -benchmem -count 5
# The matching benchmarks' corpus: 100,000 organisations, 1,000,000 competencies.
MATCHING_BENCH_ORGS ?= 100000

SERVICES := profiles competencies matching meetings messaging gateway

.PHONY: all run build images images-test test screenshots chaos eval lint fmt-check vet buf-lint buf-breaking staticcheck proto proto-check bench bench-schedule tidy clean

all: lint test

## run: start the six services in one process with demo data (tandem dev).
run:
	$(GO) run ./cmd/tandem dev

## build: compile every service binary and the tandem CLI into ./bin.
build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/tandem ./cmd/tandem
	@for s in $(SERVICES); do echo "build $$s"; $(GO) build -o $(BIN)/$$s ./services/$$s/cmd/$$s; done

## images: one image per service with buildah (static binary on scratch, non-root, CA certificates,
## tzdata, OCI labels, CycloneDX SBOM) into bin/images and buildah's storage as localhost/tandem/<service>.
images:
	bash deploy/images/build.sh

## images-test: build the images, then run each from its root filesystem and check that it serves
## (one NATS server; then a cluster of three with two replicas of each service behind the gateway).
images-test: images
	IMAGES_DIR=$(CURDIR)/bin/images $(GO) test -count=1 -run 'TestImages' -v ./deploy/

## test: all modules, race detector on, integration tests against real NATS and Redis.
test:
	$(GO) test $(TEST_FLAGS) $(PKGS)

## screenshots: run the web UI's browser tests (Chromium) with TANDEM_SCREENSHOTS=1, which rewrites
## docs/screenshots; other runs of the tests write no screenshots.
screenshots:
	TANDEM_SCREENSHOTS=1 $(GO) test -count=1 -timeout 20m ./services/gateway/webui/

## chaos: the production shape (3 NATS nodes, R3 streams, Redis, two replicas of each service as
## processes) under load through the gateway while faults are injected one at a time; prints a table.
chaos:
	$(GO) test -tags chaos -count=1 -run 'TestChaos' -v -timeout 10m ./deploy/

## lint: gofmt, go vet, buf lint and breaking, staticcheck, generated code up to date.
lint: fmt-check vet buf-lint buf-breaking staticcheck proto-check

fmt-check:
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

buf-lint:
	$(BUF) lint

# Compares the API with the main branch when it exists (a fresh repository has nothing to compare).
buf-breaking:
	@if git rev-parse --verify -q main >/dev/null; then $(BUF) breaking --against '.git#branch=main'; else echo "buf breaking: no main branch yet"; fi

staticcheck:
	$(STATICCHECK) $(PKGS)

## proto: regenerate the Go code from proto/ (committed).
proto:
	$(BUF) generate

# Regenerates into a scratch folder and fails when the committed code differs.
proto-check:
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(BUF) generate -o $$tmp; \
	if ! diff -r $$tmp/proto/gen proto/gen >/dev/null; then echo "generated code is stale: run make proto"; diff -r $$tmp/proto/gen proto/gen | head -20; exit 1; fi; \
	if ! diff -r $$tmp/services/gateway/internal/openapi/gen services/gateway/internal/openapi/gen >/dev/null; then echo "generated OpenAPI is stale: run make proto"; exit 1; fi

## eval: offline suggestion quality on held-out bio.tools and CORDIS collaborations, 3 seeds, with baselines (fails when a target is missed).
eval:
	nice $(GO) run ./services/matching/cmd/eval -biotools ../shared/data/biotools -cordis ../shared/data/cordis -out docs/matching.md

## bench: run every benchmark (medians via -count); prints a note while there are none.
bench:
	@if grep -rqs --include='*_test.go' '^func Benchmark' $(MODULES); then \
		MATCHING_BENCH_ORGS=$(MATCHING_BENCH_ORGS) $(GO) test $(BENCH_FLAGS) $(PKGS); \
	else echo "no benchmarks yet"; fi
	@$(MAKE) --no-print-directory bench-schedule

## bench-schedule: the scheduler per policy against CBC's optima and the greedy baseline.
bench-schedule:
	@if command -v cbc >/dev/null; then $(GO) run ./services/meetings/cmd/schedbench; \
	else echo "bench-schedule: cbc not installed (apt-get install coinor-cbc); skipping the optima"; \
	$(GO) run ./services/meetings/cmd/schedbench -mip-max 0; fi

tidy:
	@for m in $(MODULES); do (cd $$m && $(GO) mod tidy); done

clean:
	rm -rf $(BIN) data
