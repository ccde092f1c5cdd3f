# Two commands for a newcomer: `make demo` and `make test`.
# Everything they need is installed here, into ignored folders:
#   .venv/         JupyterHub from PyPI (pinned in requirements.txt)
#   node_modules/  configurable-http-proxy from npm (pinned in package.json)

PYTHON     ?= python3
VENV       := .venv
JUPYTERHUB := $(VENV)/bin/jupyterhub
CHP        := node_modules/.bin/configurable-http-proxy
# Third-party web apps the hubauth-proxy tests run behind the proxy (Bokeh),
# in a venv of their own so they never change the hub's.
APPS_VENV  := .venv-apps
BOKEH      := $(APPS_VENV)/bin/bokeh
# Debian's Chromium, for the one real-browser test (never a downloaded browser).
CHROMIUM   ?= /usr/bin/chromium
GO         ?= go
GOFLAGS_TEST ?= -race -count=1

.PHONY: all deps apps browser wrk build vet test unit demo bench clean

all: build

## deps: install the pinned JupyterHub and configurable-http-proxy (idempotent)
deps: $(JUPYTERHUB) $(CHP)

## apps: install the pinned third-party apps of the hubauth-proxy tests (idempotent)
apps: $(BOKEH)

$(BOKEH): requirements-apps.txt
	test -x $(APPS_VENV)/bin/python || $(PYTHON) -m venv $(APPS_VENV)
	$(APPS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-apps.txt
	touch $@

## browser: Debian's chromium for the browser test (needs root, as on CI)
browser: $(CHROMIUM)

$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then echo "the browser test needs Debian's chromium: sudo apt-get install chromium"; exit 1; fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

$(JUPYTERHUB): requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(CHP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## wrk: Debian's wrk, the load generator of make bench (needs root)
wrk: /usr/bin/wrk

/usr/bin/wrk:
	@if [ "$$(id -u)" != 0 ]; then echo "make bench needs Debian's wrk: sudo apt-get install wrk"; exit 1; fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk

## build: the commands (the two services and hubauth-proxy), into bin/
build:
	$(GO) build -o bin/ ./cmd/...

## vet: formatting and go vet
vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

## unit: unit tests only (integration tests skip, saying how to run them)
unit:
	$(GO) test $(GOFLAGS_TEST) ./...

## test: vet, unit tests and the integration tests against a real JupyterHub
test: deps browser vet
	HUBTEST_REQUIRE=1 CHROMIUM=$(CHROMIUM) $(GO) test $(GOFLAGS_TEST) ./...

## demo: a real JupyterHub with both services on http://127.0.0.1:8000
demo: deps build
	mkdir -p .demo
	cd .demo && PATH="$(CURDIR)/node_modules/.bin:$$PATH" \
		WHOAMI_BIN_DIR="$(CURDIR)/bin" \
		"$(CURDIR)/$(JUPYTERHUB)" -f "$(CURDIR)/examples/service-whoami/jupyterhub_config.py"

## bench: whoami-api, the Python reference and a bare net/http ceiling side
## by side against a real hub, then hubauth-proxy, a bare ReverseProxy and
## jhsingle-native-proxy; writes bench/RESULTS.md and bench/PROXY_RESULTS.md
## (takes a few minutes)
bench: deps apps wrk
	$(GO) test -tags bench -run TestBench -count=1 -v -timeout 30m ./bench/

clean:
	rm -rf bin .demo
