# vz: build, test, lint, bench, docs and the demo. `make help` lists targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
PREFIX ?= /usr/local
TOOLS := vz-render vz-health vz-switch vz-scan-merge vz-backup vz-comply
# Release binaries: scripts/release.sh builds them (statically linked on
# Linux with glibc) and names their directory, asked once and only by the
# targets that use it (the first use replaces RELEASE with the answer).
RELEASE = $(eval RELEASE := $(shell scripts/release.sh dir))$(RELEASE)

.PHONY: help build test test-deps lint fmt bench man completions install demo security-gate comply backup-check verify-deployment deploy-blue-green canary rollback fuzz-check clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

build: ## Build the release binaries (static on Linux with glibc: scripts/release.sh)
	CARGO=$(CARGO) scripts/release.sh build --locked

test-deps: ## Install what the tests need (idempotent)
	scripts/test-deps.sh

# `make test` is a one-off build: incremental caches would only add ~1.3 GB.
test lint: export CARGO_INCREMENTAL := 0

test: test-deps lint fuzz-check ## Install test dependencies, lint, compile the fuzz targets, and run every test
	$(CARGO) test --workspace --locked

lint: ## rustfmt and clippy, warnings are errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

bench: ## Benchmarks against the peers, printed as ratios
	bench/run.sh
	bench/health.sh
	bench/scan.sh
	bench/backup.sh
	bench/comply.sh

man: build ## Regenerate man/ from the clap definitions
	@mkdir -p man
	@for t in $(TOOLS); do $(RELEASE)/$$t --generate man > man/$$t.1; echo "man/$$t.1"; done

completions: build ## Shell completions into target/completions
	@mkdir -p target/completions
	@for t in $(TOOLS); do \
	  $(RELEASE)/$$t --generate complete-bash > target/completions/$$t.bash; \
	  $(RELEASE)/$$t --generate complete-zsh > target/completions/_$$t; \
	  $(RELEASE)/$$t --generate complete-fish > target/completions/$$t.fish; \
	done; ls target/completions

install: build completions ## Install binaries, man pages and completions under PREFIX
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	@for t in $(TOOLS); do \
	  install -m 755 $(RELEASE)/$$t $(DESTDIR)$(PREFIX)/bin/$$t; \
	  install -m 644 man/$$t.1 $(DESTDIR)$(PREFIX)/share/man/man1/$$t.1; \
	  install -m 644 target/completions/$$t.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$t; \
	  install -m 644 target/completions/_$$t $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$t; \
	  install -m 644 target/completions/$$t.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$t.fish; \
	done

demo: ## Render the bundled examples for production, no cluster needed
	$(CARGO) build --locked --bin vz-render --bin vz-scan-merge --bin vz-comply
	scripts/demo.sh target/debug

security-gate: ## Merge scanner reports and gate: make security-gate REPORTS="trivy.json grype.json" [FAIL_ON=high] [IGNORE=file] [OUT=dir]
	@test -n "$(REPORTS)" || { echo 'usage: make security-gate REPORTS="trivy.json grype.json …" [FAIL_ON=high] [IGNORE=.vz-ignore.yaml] [BASELINE=merged.json] [OUT=dir]' >&2; exit 2; }
	CARGO=$(CARGO) scripts/release.sh build --locked --quiet --bin vz-scan-merge
	VZ_SCAN_MERGE=$(RELEASE)/vz-scan-merge scripts/security-gate.sh --fail-on $(or $(FAIL_ON),high) \
	  $(if $(IGNORE),--ignore "$(IGNORE)") $(if $(BASELINE),--baseline "$(BASELINE)") $(if $(OUT),--out "$(OUT)") $(REPORTS)

comply: ## Render and check in one pipeline: make comply ENV=production [DIR=examples/veza] [FRAMEWORK=pci,gdpr] [FAIL_ON=failed] [WAIVERS=file]
	@test -n "$(ENV)" || { echo 'usage: make comply ENV=production [DIR=examples/veza] [FRAMEWORK=pci,gdpr] [FAIL_ON=failed|warning] [WAIVERS=file] [OUTPUT=table]' >&2; exit 2; }
	CARGO=$(CARGO) scripts/release.sh build --locked --quiet --bin vz-render --bin vz-comply
	cd $(or $(DIR),examples/veza) && $(CURDIR)/$(RELEASE)/vz-render $(ENV) | $(CURDIR)/$(RELEASE)/vz-comply - \
	  --environment $(ENV) --fail-on $(or $(FAIL_ON),failed) -o $(or $(OUTPUT),table) \
	  $(if $(FRAMEWORK),--framework $(FRAMEWORK)) $(if $(WAIVERS),--waivers $(abspath $(WAIVERS)))

backup-check: ## Nightly backup check: make backup-check DIR=/var/backups/pg OUT=dir [RPO=1h] [DELETE=1]
	@test -n "$(DIR)" -a -n "$(OUT)" || { echo 'usage: make backup-check DIR=/var/backups/pg OUT=/var/lib/vz/pg [RPO=1h] [PATTERN=%Y%m%d_%H%M%S] [DELETE=1]' >&2; exit 2; }
	CARGO=$(CARGO) scripts/release.sh build --locked --quiet --bin vz-backup
	VZ_BACKUP=$(RELEASE)/vz-backup scripts/backup-check.sh --out "$(OUT)" --rpo $(or $(RPO),1h) \
	  $(if $(PATTERN),--time-from-name '$(PATTERN)') $(if $(DELETE),--delete) "$(DIR)"

verify-deployment: ## Smoke-check a deployment: make verify-deployment URL=https://… [CHECKS=smoke.yaml] [WAIT=2m]
	@test -n "$(URL)" || { echo "usage: make verify-deployment URL=https://… [CHECKS=file] [WAIT=2m]" >&2; exit 2; }
	CARGO=$(CARGO) scripts/release.sh build --locked --quiet --bin vz-health
	VZ_HEALTH=$(RELEASE)/vz-health WAIT=$(or $(WAIT),2m) scripts/smoke.sh "$(URL)" $(CHECKS)

# The deploy scripts run the release binaries; kubectl is the one on PATH.
DEPLOY_BUILD = CARGO=$(CARGO) scripts/release.sh build --locked --quiet --bin vz-render --bin vz-health --bin vz-switch
DEPLOY_TOOLS = VZ_RENDER=$(RELEASE)/vz-render VZ_HEALTH=$(RELEASE)/vz-health VZ_SWITCH=$(RELEASE)/vz-switch

deploy-blue-green: ## Blue/green: make deploy-blue-green VERSION=v1.2.3 [SPEC=vz.yaml] [DEPLOY_ENV=production] [NAMESPACE=ns] [ARGS=…]
	@test -n "$(VERSION)" || { echo "usage: make deploy-blue-green VERSION=v1.2.3 [SPEC=vz.yaml] [DEPLOY_ENV=production] [NAMESPACE=ns] [ARGS='--scale-down …']" >&2; exit 2; }
	$(DEPLOY_BUILD)
	$(DEPLOY_TOOLS) scripts/blue-green-deploy.sh "$(VERSION)" $(if $(SPEC),--spec "$(SPEC)") \
	  $(if $(DEPLOY_ENV),--env "$(DEPLOY_ENV)") $(if $(NAMESPACE),--namespace "$(NAMESPACE)") $(ARGS)

canary: ## Walk a canary: make canary CHECKS=file | PROMETHEUS=http://… [NAMESPACE=ns] [PLAN=5,25,50,100] [WATCH=2m] [ARGS=…]
	@test -n "$(CHECKS)$(PROMETHEUS)" || { echo "usage: make canary CHECKS=canary.yaml | PROMETHEUS=http://prometheus:9090 NAMESPACE=ns [PLAN=5,25,50,100] [WATCH=2m] [ARGS=…]" >&2; exit 2; }
	$(DEPLOY_BUILD)
	$(DEPLOY_TOOLS) scripts/canary.sh $(if $(CHECKS),--checks "$(CHECKS)") $(if $(PROMETHEUS),--prometheus "$(PROMETHEUS)") \
	  $(if $(NAMESPACE),--namespace "$(NAMESPACE)") $(if $(PLAN),--plan "$(PLAN)") $(if $(WATCH),--watch "$(WATCH)") $(ARGS)

rollback: ## Blue/green back to the previous colour: make rollback REASON="…" [NAMESPACE=ns] [URL=http://…] [ARGS=…]
	@test -n "$(REASON)" || { echo "usage: make rollback REASON='why' [NAMESPACE=ns] [URL=http://…] [ARGS=…]" >&2; exit 2; }
	$(DEPLOY_BUILD)
	$(DEPLOY_TOOLS) scripts/rollback.sh "$(REASON)" $(if $(NAMESPACE),--namespace "$(NAMESPACE)") $(if $(URL),--url "$(URL)") $(ARGS)

fuzz-check: ## Compile the fuzz targets (running them needs nightly: cargo +nightly fuzz run yaml)
	cd fuzz && $(CARGO) check --locked

clean: ## Remove build output
	$(CARGO) clean
