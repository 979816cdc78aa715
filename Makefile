# zonesim — the two commands a newcomer needs: `make demo` and `make test`.
GO ?= go
BIN := bin/zonesim
STATICCHECK_VERSION := v0.8.2
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
# zonesim runs kustomize's builtin transformers only: leaving out its Go-plugin loader keeps the "plugin"
# package, and the linker's dead-code limits it brings, out of the binary (about 20 MB smaller).
TAGS := kustomize_disable_go_plugin_support

.PHONY: all build demo test test-deps vet lint bench install clean e2e e2e-deps fuzz kind-image kind-deps e2e-kind

all: build

build:
	$(GO) build -tags $(TAGS) -o $(BIN) ./cmd/zonesim

install:
	$(GO) install -tags $(TAGS) ./cmd/zonesim

# The main job on the embedded two-zone scenario: the zone matrix, one allowed A->B query, one denied B->A query.
demo: build
	@echo '$$ zonesim matrix --level zone'
	@$(BIN) matrix --level zone
	@echo
	@echo '$$ zonesim query from shop-web/deployment/frontend to svc:payments/payments --port 443'
	@$(BIN) query from shop-web/deployment/frontend to svc:payments/payments --port 443
	@echo
	@echo '$$ zonesim query from payments/deployment/payments to shop-web/deployment/frontend --port 8080'
	@$(BIN) query from payments/deployment/payments to shop-web/deployment/frontend --port 8080; \
	  code=$$?; echo "(exit code $$code: denied, as the zone contract wants)"; test $$code -eq 1

# Unit, conformance and golden tests, plus formatting, vet and staticcheck. The TUI's terminal tests drive
# it through tmux, and the HTML reports are opened in a headless Chromium: both installed here when missing.
test: vet lint test-deps
	ZONESIM_BROWSER=required $(GO) test ./...

test-deps:
	@for t in tmux chromium; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

vet:
	@test -z "$$(gofmt -l cmd pkg internal e2e scenarios hack)" || { echo "gofmt needed:"; gofmt -l cmd pkg internal e2e scenarios hack; exit 1; }
	$(GO) vet ./...

lint:
	@test -x $(GOBIN_DIR)/staticcheck || GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN_DIR)/staticcheck ./...

# Real-traffic e2e on the local lab (root): etcd, kube-apiserver and kube-router, pods as network namespaces.
# Installs the system packages it needs; kube-apiserver and kube-router are built from the Go module proxy
# once and cached in ~/.cache/zonesim (ZONESIM_CACHE). ZONESIM_E2E_SEEDS sets the random policy sets.
e2e: e2e-deps
	$(GO) test -tags e2e -count=1 -timeout 80m -v ./e2e/

e2e-deps:
	@for t in etcd iptables ipset ip; do command -v $$t >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing etcd-server iptables ipset iproute2"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server iptables ipset iproute2 >/dev/null; \
	fi

# Every fuzz target for FUZZTIME each (CI: 30s); what they find is kept under testdata/fuzz and rerun by make test.
FUZZTIME ?= 30s
# Minimizing each new input by count, not time: the loader finds new coverage at nearly every step, and
# the default (60s of minimizing per input) leaves no time for fuzzing.
FUZZMINIMIZE ?= 100x
FUZZ_TARGETS := pkg/capture:FuzzReadFlows pkg/capture:FuzzDecoderKey pkg/capture:FuzzReadLogs pkg/model:FuzzLoader pkg/model:FuzzReadAhead pkg/model:FuzzFastDocument pkg/model:FuzzDecodeInto pkg/model:FuzzScenario pkg/model:FuzzNameChecks pkg/probe:FuzzReadJob pkg/sources/gitrev:FuzzParse \
	pkg/simulate:FuzzParsePort pkg/simulate:FuzzResolveEndpoint pkg/simulate:FuzzEngine
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; echo "fuzz $$fn ($$pkg, $(FUZZTIME))"; \
	  $(GO) test ./$$pkg -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) || exit 1; done

# kind with podman and no image registry (root): kind-image builds a kind node image and the probe image
# archive here (hack/kindnode: Debian packages and the Go module proxy; cached in $(ZONESIM_CACHE)/kind).
# e2e-kind runs `zonesim e2e --backend kind` on the two-zone scenario, then the e2e suite (the upstream
# NetworkPolicy cases, random policy sets) on a kind cluster it creates and deletes.
ZONESIM_CACHE ?= $(HOME)/.cache/zonesim
export ZONESIM_CACHE
KIND_IMAGE ?= localhost/zonesim/kind-node:v1.37.2
KIND_PROBE := $(ZONESIM_CACHE)/kind/images/registry.k8s.io_e2e-test-images_agnhost_2.66.1.tar
KIND_FLAGS := --backend kind --kind-image $(KIND_IMAGE) --kind-load $(KIND_PROBE)

kind-image: kind-deps
	$(GO) run -trimpath ./hack/kindnode -image $(KIND_IMAGE)

e2e-kind: build kind-image
	$(BIN) e2e $(KIND_FLAGS)
	ZONESIM_E2E_BACKEND=kind ZONESIM_E2E_KIND_IMAGE=$(KIND_IMAGE) ZONESIM_E2E_KIND_LOAD=$(KIND_PROBE) \
	  $(GO) test -tags e2e -count=1 -timeout 80m -v ./e2e/

# podman and runc to run nodes, debootstrap to make their root file system; kind mounts /lib/modules into
# every node, and a kernel with its drivers built in may have none.
kind-deps:
	@for t in podman runc debootstrap; do command -v $$t >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing podman runc debootstrap"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null; \
	fi
	@mkdir -p /lib/modules

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x ./pkg/simulate/

clean:
	rm -rf bin
