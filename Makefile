# vigil: the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
GOARCH ?= $(shell $(GO) env GOARCH)
PLATFORMS := amd64 arm64

.PHONY: all build cross examples-bin demo demo-docker go-service-profile test lint e2e bench image fuzz clean

all: build

## build: the static guard binary, bin/vigil, and the hub, bin/vigil-hub
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/vigil ./cmd/vigil
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/vigil-hub ./cmd/vigil-hub
	mkdir -p bin/linux-$(GOARCH) && cp bin/vigil bin/linux-$(GOARCH)/vigil

## cross: bin/linux-ARCH/vigil and vigil-hub for each platform of the base layer (amd64, arm64)
cross:
	@set -e; for arch in $(PLATFORMS); do \
		echo "linux/$$arch"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/linux-$$arch/vigil ./cmd/vigil; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/linux-$$arch/vigil-hub ./cmd/vigil-hub; \
	done

## demo: the vulnerable example under vigil as PID 1 in private namespaces, attacked, its events on vigil-hub
demo: build examples-bin
	@examples/demo/demo.sh

## demo-docker: the same with real images on a Docker engine
demo-docker: image examples-bin
	@examples/demo/demo-docker.sh

## examples-bin: the vulnerable example's app and its attacker, static
examples-bin:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/vulnerable-web ./examples/vulnerable-web
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/attacker ./examples/vulnerable-web/attacker

## test: format and vet checks, then every test (race detector on)
test:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
		if [ -n "$$unformatted" ]; then echo "not gofmt-formatted: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./examples/... ./docs/
	$(GO) test -race -count=1 ./...

## lint: staticcheck (installed from the module proxy when missing)
lint:
	@command -v staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck -tags e2e ./examples/... ./docs/

## e2e: the Docker end-to-end tests (needs a Docker engine)
e2e:
	$(GO) test -tags e2e -count=1 -v ./examples/... ./docs/

## bench: startup, RSS and size against tini, dumb-init and bare true
bench:
	bench/run.sh

## go-service-profile: relearn examples/go-service's seccomp profile and policy from its traffic (root), and fail if they changed
go-service-profile:
	examples/go-service/regen.sh
	git diff --exit-code examples/go-service/vigil/

## image: the base layer, vigil-base:dev (legacy builder: no layer cache, which ignores the platform)
image: build
	DOCKER_BUILDKIT=0 docker build --network=none --no-cache --platform linux/$(GOARCH) --build-arg TARGETARCH=$(GOARCH) -f Dockerfile.base -t vigil-base:$(VERSION) -t vigil-base:dev .

## fuzz: a short run of every fuzz target
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseFlags$$' -fuzztime 30s ./cmd/vigil
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./rules
	$(GO) test -run '^$$' -fuzz '^FuzzExecGlob$$' -fuzztime 30s ./rules
	$(GO) test -run '^$$' -fuzz '^FuzzPack$$' -fuzztime 30s ./rules
	$(GO) test -run '^$$' -fuzz '^FuzzLoadProfile$$' -fuzztime 30s ./supervisor/seccomp
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 30s ./events
	$(GO) test -run '^$$' -fuzz '^FuzzAggregatorKey$$' -fuzztime 30s ./events
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime 30s ./supervisor/filewatch
	$(GO) test -run '^$$' -fuzz '^FuzzOpen$$' -fuzztime 30s ./events/outbox

clean:
	rm -rf bin
