# Two commands for a newcomer: `make demo` and `make test`; `make help`
# lists every target with what it does.
# Everything they need is installed here, into ignored folders:
#   .venv/         JupyterHub from PyPI (pinned in requirements.txt)
#   .venv-4.1/     older JupyterHub releases for make test's matrix
#   .venv-5/       (pinned in requirements-4.1.txt, requirements-5.txt)
#   node_modules/  configurable-http-proxy from npm (pinned in package.json)

PYTHON     ?= python3
VENV       := .venv
JUPYTERHUB := $(VENV)/bin/jupyterhub
# The JupyterHub releases make test runs the integration tests against, one
# after the other; `make test HUB_VERSIONS=6.1` runs a subset. Each has its
# own virtualenv: .venv-<v>/ from requirements-<v>.txt, except DEMO_HUB,
# the release in requirements.txt, which is .venv/ (make demo's).
HUB_VERSIONS ?= 4.1 5 6.1
DEMO_HUB   := 6.1
hub_venv    = $(if $(filter $(DEMO_HUB),$(1)),$(VENV),.venv-$(1))
CHP        := node_modules/.bin/configurable-http-proxy
# Third-party web apps the hubauth-proxy tests run behind the proxy (Bokeh,
# Streamlit, Dash, Gradio), in a venv of their own so they never change the
# hub's.
APPS_VENV  := .venv-apps
BOKEH      := $(APPS_VENV)/bin/bokeh
# Third-party OpenID Connect clients the hubauth-oidc tests log in with:
# oauth2-proxy, built from its Go module into .tools/ (one folder per
# version), and a second JupyterHub with oauthenticator's
# GenericOAuthenticator, in .venv-oauthenticator/ (pinned in
# requirements-oauthenticator.txt; the .venv-% rule installs it).
OAUTH2_PROXY_VERSION := v7.15.6
OAUTH2_PROXY := .tools/oauth2-proxy-$(OAUTH2_PROXY_VERSION)/oauth2-proxy
OIDC_HUB     := .venv-oauthenticator/bin/jupyterhub
# Debian's Chromium, for the real-browser tests (never a downloaded browser).
CHROMIUM   ?= /usr/bin/chromium
# Debian's nginx, the ingress of the forward-auth test (auth_request).
NGINX      ?= /usr/sbin/nginx
GO         ?= go
GOFLAGS_TEST ?= -race -count=1

# check_prereqs WHAT,COMMANDS,DEBIAN,DEBIAN_WITH_RECOMMENDS: stop at once,
# with one message, when one of COMMANDS is not on PATH or, unless we are
# root, when a Debian package of DEBIAN or DEBIAN_WITH_RECOMMENDS (each
# NAME=PATH, PATH being the file it installs) is missing; the message gives
# the command to run as root. As root the rules below install the packages
# (DEBIAN with --no-install-recommends, DEBIAN_WITH_RECOMMENDS without), so
# they are not checked here. make test and make bench list their check as
# their first prerequisite, so that make (without -j) runs it before
# anything else.
check_prereqs = \
	lacking=""; tools=""; lean=""; full=""; \
	for c in $(2); do \
		command -v "$$c" >/dev/null 2>&1 || { tools="$${tools:+$$tools, }$$c"; lacking="$$lacking  $$c: not on PATH\n"; }; \
	done; \
	if [ "$$(id -u)" != 0 ]; then \
		for p in $(3); do \
			[ -e "$${p\#*=}" ] || { lean="$$lean $${p%%=*}"; lacking="$$lacking  $${p%%=*}: no $${p\#*=}\n"; }; \
		done; \
		for p in $(4); do \
			[ -e "$${p\#*=}" ] || { full="$$full $${p%%=*}"; lacking="$$lacking  $${p%%=*}: no $${p\#*=}\n"; }; \
		done; \
	fi; \
	[ -z "$$lacking" ] && exit 0; \
	{ \
		printf '%s needs what is missing here:\n%b' "$(1)" "$$lacking"; \
		[ -z "$$tools" ] || echo "Install $$tools first (GO= and PYTHON= name other commands)."; \
		if [ -n "$$lean$$full" ]; then \
			cmd="apt-get update"; \
			[ -z "$$lean" ] || cmd="$$cmd && apt-get install -y --no-install-recommends$$lean"; \
			[ -z "$$full" ] || cmd="$$cmd && apt-get install -y$$full"; \
			echo "Run this as root (or run $(1) itself as root, which installs them):"; \
			echo "  sudo sh -c '$$cmd'"; \
		fi; \
	} >&2; \
	exit 1

.PHONY: all help deps hubs apps browser nginx podman wrk build vet test test-prereqs unit demo bench bench-prereqs soak soak-ci clean

## all: the default (plain make): build
all: build

## help: this list, from the `## target:` comments in this Makefile
help:
	@awk ' \
	/^## / { \
		line = substr($$0, 4); \
		if (!inblock) { \
			inblock = 1; cur = 0; \
			if (match(line, /^[^ :]+: /)) { \
				cur = ++n; name[n] = substr(line, 1, RLENGTH - 2); text[n] = substr(line, RLENGTH + 1); \
				if (length(name[n]) > w) w = length(name[n]); \
			} \
		} else if (cur) text[cur] = text[cur] " " line; \
		next; \
	} \
	{ inblock = 0 } \
	END { \
		print "Start with make demo (try it) and make test (everything). Targets:"; \
		fmt = "  %-" w "s  %s\n"; width = 78 - w - 4; \
		for (i = 1; i <= n; i++) { \
			k = split(text[i], word, " "); out = ""; first = name[i]; \
			for (j = 1; j <= k; j++) { \
				if (out != "" && length(out) + 1 + length(word[j]) > width) { printf fmt, first, out; first = ""; out = "" } \
				out = (out == "" ? word[j] : out " " word[j]); \
			} \
			printf fmt, first, out; \
		} \
	}' $(MAKEFILE_LIST)

## deps: install the pinned JupyterHub and configurable-http-proxy (idempotent)
deps: $(JUPYTERHUB) $(CHP)

## apps: install the pinned third-party apps and clients the tests run:
## Bokeh, Streamlit, Dash, Gradio and jhsingle-native-proxy (hubauth-proxy),
## oauth2-proxy and a JupyterHub with oauthenticator (hubauth-oidc)
## (idempotent)
apps: $(BOKEH) $(OAUTH2_PROXY) $(OIDC_HUB)

$(OAUTH2_PROXY):
	GOBIN=$(CURDIR)/$(dir $@) $(GO) install github.com/oauth2-proxy/oauth2-proxy/v7@$(OAUTH2_PROXY_VERSION)

$(BOKEH): requirements-apps.txt
	test -x $(APPS_VENV)/bin/python || $(PYTHON) -m venv $(APPS_VENV)
	$(APPS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-apps.txt
	touch $@

## browser: Debian's chromium for the browser test (needs root, as on CI)
browser: $(CHROMIUM)

$(CHROMIUM):
	@$(call check_prereqs,make browser,,chromium=$(CHROMIUM),)
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

## nginx: Debian's nginx, the ingress of the forward-auth test (needs root,
## as on CI); the test runs its own, never the system's service
nginx: $(NGINX)

$(NGINX):
	@$(call check_prereqs,make nginx,,nginx=$(NGINX),)
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx

## hubs: install the virtualenv of every release in HUB_VERSIONS (idempotent)
hubs: $(foreach v,$(HUB_VERSIONS),$(call hub_venv,$(v))/bin/jupyterhub)

# install_hub VENV,REQUIREMENTS: a virtualenv with the pinned hub in it.
define install_hub
	test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --disable-pip-version-check -r $(2)
	touch $(1)/bin/jupyterhub
endef

$(JUPYTERHUB): requirements.txt
	$(call install_hub,$(VENV),requirements.txt)

.venv-%/bin/jupyterhub: requirements-%.txt
	$(call install_hub,.venv-$*,$<)

$(CHP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## podman: Debian's podman and runc, for the test that builds the Dockerfile
## and runs the image against a real hub (needs root, as on CI). runc, not
## crun: crun refuses this machine's hybrid cgroup hierarchy.
podman: /usr/bin/podman /usr/sbin/runc

/usr/bin/podman /usr/sbin/runc:
	@$(call check_prereqs,make podman,,,podman=/usr/bin/podman runc=/usr/sbin/runc)
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc

## wrk: Debian's wrk, the load generator of make bench (needs root)
wrk: /usr/bin/wrk

/usr/bin/wrk:
	@$(call check_prereqs,make wrk,,wrk=/usr/bin/wrk,)
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk

## build: the commands (the two services, hubauth-proxy and hubauth-oidc), into bin/
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

# The packages whose tests start a real hub (they import internal/hubtest,
# or are it): make test runs them once per hub release, the others once.
HUB_PACKAGES   = $(shell $(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | awk '/\/internal\/hubtest( |$$)/ {print $$1}')
OTHER_PACKAGES = $(filter-out $(HUB_PACKAGES),$(shell $(GO) list ./...))

## test-prereqs: what make test checks before it installs anything: go,
## python3 (PYTHON) and npm on PATH and, unless root (who gets them
## installed), Debian's chromium, nginx, podman and runc; names what is
## missing and how to install it
test-prereqs:
	@$(call check_prereqs,make test,$(GO) $(PYTHON) npm,chromium=$(CHROMIUM) nginx=$(NGINX),podman=/usr/bin/podman runc=/usr/sbin/runc)

## test: vet, unit tests, and the integration tests against a real JupyterHub
## of each release in HUB_VERSIONS; says which releases failed, if any.
## Needs root for Debian's chromium, nginx, podman and runc, unless
## installed (see test-prereqs)
test: test-prereqs deps apps browser nginx podman vet
	@echo "==== unit tests"
	$(GO) test $(GOFLAGS_TEST) $(OTHER_PACKAGES)
	@failed=""; for v in $(HUB_VERSIONS); do \
		$(MAKE) --no-print-directory hub-test-$$v || failed="$$failed $$v"; \
	done; \
	if [ -n "$$failed" ]; then echo "==== integration tests FAILED against JupyterHub$$failed"; exit 1; fi; \
	echo "==== integration tests passed against JupyterHub $(HUB_VERSIONS)"

## hub-test-<v>: the integration tests against the JupyterHub release v alone
## (one of HUB_VERSIONS' names), installing it first if needed. The tests
## this release cannot run are listed after them (go test shows a skip's
## reason only with -v).
.SECONDEXPANSION:
hub-test-%: $$(call hub_venv,$$*)/bin/jupyterhub $(CHP) browser nginx
	@echo "==== integration tests against JupyterHub $* ($$($(call hub_venv,$*)/bin/jupyterhub --version) in $(call hub_venv,$*)/)"
	@skips=$$(mktemp); \
	HUBTEST_SKIP_LOG=$$skips HUBTEST_VENV=$(call hub_venv,$*) HUBTEST_REQUIRE=1 CHROMIUM=$(CHROMIUM) NGINX=$(NGINX) \
		OAUTH2_PROXY=$(CURDIR)/$(OAUTH2_PROXY) \
		$(GO) test $(GOFLAGS_TEST) $(HUB_PACKAGES); status=$$?; \
	cat $$skips; rm -f $$skips; exit $$status

## demo: a real JupyterHub with both services on http://127.0.0.1:8000
demo: deps build
	mkdir -p .demo
	cd .demo && PATH="$(CURDIR)/node_modules/.bin:$$PATH" \
		WHOAMI_BIN_DIR="$(CURDIR)/bin" \
		"$(CURDIR)/$(JUPYTERHUB)" -f "$(CURDIR)/examples/service-whoami/jupyterhub_config.py"

## bench: whoami-api, the Python reference and a bare net/http ceiling side
## by side against a real hub, then hubauth-proxy, a bare ReverseProxy and
## jhsingle-native-proxy, then hubauth-oidc's userinfo beside the hub's
## GET /user and the ceiling, and full logins per second through the hub;
## writes bench/RESULTS.md, bench/PROXY_RESULTS.md and bench/OIDC_RESULTS.md
## (takes several minutes). Needs root for Debian's wrk, unless installed
## (see bench-prereqs)
bench: bench-prereqs deps apps wrk
	$(GO) test -tags bench -run '^(TestBench|TestBenchProxy|TestBenchOIDC)$$' -count=1 -v -timeout 40m ./bench/

## bench-prereqs: what make bench checks before it installs anything: go,
## python3 (PYTHON) and npm on PATH and, unless root, Debian's wrk
bench-prereqs:
	@$(call check_prereqs,make bench,$(GO) $(PYTHON) npm,wrk=/usr/bin/wrk,)

## soak: the services under 64 connections for SOAK_SECONDS (default 600)
## while the hub stops, restarts and slows and a replica is killed; fails on
## any broken check and writes bench/SOAK.md and bench/soak.png
SOAK_SECONDS ?= 600
SOAK_OUT     ?= $(CURDIR)/bench
soak: deps
	SOAK_SECONDS=$(SOAK_SECONDS) SOAK_OUT=$(SOAK_OUT) HUBTEST_REQUIRE=1 \
		$(GO) test -tags soak -run TestSoak -count=1 -v -timeout $$(( $(SOAK_SECONDS) + 900 ))s ./bench/

## soak-ci: the 60-second soak CI runs; its report goes to
## $TMPDIR/hubauth-soak-ci/ so the committed ten-minute one stays
soak-ci:
	$(MAKE) --no-print-directory soak SOAK_SECONDS=60 SOAK_OUT=$${TMPDIR:-/tmp}/hubauth-soak-ci

## clean: remove bin/ and .demo/ (the virtualenvs and node_modules/ stay)
clean:
	rm -rf bin .demo
