# neko: `make run` installs what is missing and starts the app (headless when
# there is no display); `make test` runs every test. See README.md.
SHELL := /bin/bash
GO ?= go
export GOFLAGS := -buildvcs=false
DESKTOP_TAGS := desktop,production,webkit2_41
BIN := build/bin
FRONTEND_SRC := $(shell find frontend -path frontend/node_modules -prune -o -path frontend/dist -prune -o -type f -print 2>/dev/null)

.PHONY: run run-headless test test-go test-frontend smoke bench deps frontend build desktop fuzz probe soak dist clean

deps:
	@scripts/deps.sh

# The frontend is built into frontend/dist and embedded into the binary.
frontend: frontend/dist/index.html
frontend/dist/index.html: $(FRONTEND_SRC) | deps
	@if [ -f frontend/package.json ]; then cd frontend && npm run build; fi

build: frontend
	CGO_ENABLED=0 $(GO) build -o $(BIN)/neko .

desktop: frontend
	CGO_ENABLED=1 $(GO) build -tags $(DESKTOP_TAGS) -o $(BIN)/neko-desktop .

run: deps frontend
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && CGO_ENABLED=1 $(GO) build -tags $(DESKTOP_TAGS) -o $(BIN)/neko-desktop . ; then \
		exec $(BIN)/neko-desktop $(ARGS); \
	else \
		echo "run: no display (or no desktop build); starting headless at http://127.0.0.1:48911/"; \
		CGO_ENABLED=0 $(GO) build -o $(BIN)/neko . && exec $(BIN)/neko $(ARGS); \
	fi

run-headless: deps frontend build
	exec $(BIN)/neko $(ARGS)

test: deps frontend test-go test-frontend smoke

# go vet on every build flavour; the headless binary must build without cgo;
# the race detector needs cgo, so the tests run with it (the oto player's
# real-device tests are cgo-only anyway).
test-go:
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet ./...
	CGO_ENABLED=1 $(GO) vet -tags $(DESKTOP_TAGS) .
	CGO_ENABLED=0 $(GO) build -o $(BIN)/neko .
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m ./...

test-frontend:
	@if [ -f frontend/package.json ]; then cd frontend && npm test && npm run e2e; fi

# The real Wails window under Xvfb: it starts, its three /health endpoints
# answer, and SIGTERM quits it cleanly.
smoke:
	scripts/desktop-smoke.sh

bench: deps build
	scripts/bench.sh

fuzz:
	@if [ -x scripts/fuzz.sh ]; then FUZZTIME=$${FUZZTIME:-30s} scripts/fuzz.sh; else echo "no fuzz runner"; fi

probe: build
	tools/probe/run.sh

# Drives three characters (text turns, memory, agent tasks, reconnects)
# against the real headless binary and judges RSS, goroutines and open
# files over time: `make soak` runs 10 min, `SOAK_DURATION=2h make soak`
# longer. Table also in build/test-artifacts/soak.csv.
soak: build
	$(GO) run ./tools/soak -bin $(BIN)/neko $(SOAK_ARGS)

dist: deps frontend
	scripts/dist.sh all

clean:
	rm -rf $(BIN) frontend/dist/assets frontend/dist/index.html
