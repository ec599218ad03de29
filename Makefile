# Seal's build. `make test` is what CI runs; see README.md.

GO      ?= go
BIN     := bin
TOOLS   := $(BIN)/tools
PKGS    := ./...

.PHONY: build test testbin fuzz bench lint generate tools clean demo

# The version and commit `seal version` and `seal-agent --version` print
# (internal/version); override VERSION for a release build.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X github.com/seal-gitops/seal/internal/version.version=$(VERSION) \
	-X github.com/seal-gitops/seal/internal/version.commit=$(COMMIT)

## build: the seal and seal-agent binaries, into bin/
build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/seal ./cmd/seal-agent

## testbin: build (first time only) kube-apiserver, etcd, kubectl, sops, helm
## and gitea from source into the user cache; a cold machine takes about
## 7 minutes plus 13 CPU-minutes for gitea (which needs cgo: gcc)
testbin:
	@$(GO) run ./test/cmd/testbin

## test: everything: unit, integration and end-to-end tests, then a short
## run of every fuzz target
test: build testbin
	$(GO) test -timeout 30m $(PKGS)
	@$(MAKE) --no-print-directory fuzz

# Fuzz targets (package:Target) that `make test` runs for FUZZTIME each;
# run one longer with e.g. `make fuzz FUZZ=./crypto:FuzzDecrypt FUZZTIME=10m`.
FUZZTIME ?= 3s
FUZZ ?= ./crypto:FuzzDecrypt ./crypto:FuzzInspect ./crypto:FuzzFindPlaintext ./crypto:FuzzEncrypt \
	./keys:FuzzParseIdentities ./keys:FuzzLoadConfig ./keys:FuzzUpsert \
	./agent/render:FuzzDecodeManifests ./agent/sealcheck:FuzzKustomizations

## fuzz: run each fuzz target briefly (seed corpus plus FUZZTIME of new inputs)
fuzz:
	@for t in $(FUZZ); do \
		echo "fuzz: $${t##*:} in $${t%%:*} for $(FUZZTIME)"; \
		out=$$($(GO) test -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}" 2>&1) || \
			{ echo "$$out"; exit 1; }; \
	done

## bench: the benchmarks: the agent against a bare parallel apply at
## BENCH_SIZES objects (the table; bin/bench.json, compared with the last
## run's, kept as bin/bench-previous.json), push to applied through the
## webhook receiver (test/bench), encryption against the sops CLI (crypto),
## apply and render; figures are ratios within one run, never absolute
## goals. `make bench BENCH_SIZES=1000` for a quick run.
BENCH_SIZES ?= 1000,5000,10000
bench: build testbin
	@if [ -f $(BIN)/bench.json ]; then cp $(BIN)/bench.json $(BIN)/bench-previous.json; fi
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./test/bench/ -args -bench-sizes $(BENCH_SIZES) \
		-bench-json $(CURDIR)/$(BIN)/bench.json $$([ -f $(BIN)/bench-previous.json ] && echo -bench-compare $(CURDIR)/$(BIN)/bench-previous.json)
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./crypto/ ./agent/apply/ ./agent/render/ ./agent/source/

## demo: a narrated run of Seal on this machine: a local kube-apiserver and
## etcd, a git server, a Secret sealed with seal and synced by seal-agent,
## drift corrected, a commit rolled out, a file pruned; cleans up after itself
demo:
	@echo "make demo: building seal and seal-agent, then running test/demo. The first run on a machine also builds kube-apiserver and etcd from source (about 7 minutes, once); after that it takes about half a minute."
	@$(MAKE) --no-print-directory build
	@$(GO) run ./test/demo --bin $(BIN)

## tools: staticcheck and controller-gen, pinned in test/tools/dev
tools:
	cd test/tools/dev && $(GO) build -o ../../../$(TOOLS)/ honnef.co/go/tools/cmd/staticcheck sigs.k8s.io/controller-tools/cmd/controller-gen

## lint: gofmt, go vet and staticcheck
lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(TOOLS)/staticcheck $(PKGS)

## generate: code and manifests generated from Go sources
generate: tools
	$(TOOLS)/controller-gen object paths=./agent/api/... crd output:crd:artifacts:config=manifests/crd
	cp manifests/crd/seal.dev_gitsyncs.yaml manifests/crd/seal.dev_receivers.yaml charts/seal-agent/files/
	$(GO) generate $(PKGS)

## image: the seal-agent container image, from Dockerfile. Needs a Docker
## engine with BuildKit, which the development machines and CI here do not
## have, so `make test` never runs it; test/install checks the Dockerfile
## against the install manifests instead.
IMAGE ?= ghcr.io/seal-gitops/seal-agent:dev
.PHONY: image
image:
	docker build -t $(IMAGE) .

clean:
	rm -rf $(BIN)
