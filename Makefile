# Seal's build. `make test` is what CI runs; see README.md.

GO      ?= go
BIN     := bin
TOOLS   := $(BIN)/tools
PKGS    := ./...

.PHONY: build test unit testbin lint generate tools clean

## build: the seal and seal-agent binaries, into bin/
build:
	$(GO) build -trimpath -o $(BIN)/ ./cmd/seal ./cmd/seal-agent

## testbin: build (first time only) kube-apiserver, etcd, kubectl and sops
## from source into the user cache; a cold machine takes about 7 minutes
testbin:
	@$(GO) run ./test/cmd/testbin

## test: everything: unit, integration and end-to-end tests
test: build testbin
	$(GO) test -timeout 30m $(PKGS)

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
	$(GO) generate $(PKGS)

clean:
	rm -rf $(BIN)
