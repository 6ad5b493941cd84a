# Stagepass developer commands. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV ?= .venv
PACKAGE_VENV ?= .venv-package
PYTHON ?= python3
CARGO ?= cargo

.PHONY: run run-aws test fuzz web browser lint cfn-lint openapi-lint openapi schemas unit bench package sam-build clean

## Run the whole system locally on http://127.0.0.1:3000 (embedded store in ./.data): the API
## and the web app at / (built first).
run: web
	$(CARGO) run -q -p stagepass-local --bin stagepass-local

## The web app (web/): npm installs it once, Vite builds it into web/dist when a source changed.
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.js
web: web/dist/index.html

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build

## The web app in headless Chromium (/usr/bin/chromium, or CHROMIUM=...) against a real local
## server: screenshots of each test's last page in target/browser/.
browser: web
	$(CARGO) build -q -p stagepass-local --bin stagepass-local
	cd web && npm test

## The cloud-shaped stack on http://127.0.0.1:3000: every resource of template.yaml on moto,
## every function's real binary under a local Lambda Runtime API with its template environment,
## API Gateway, the saga, the queue and the stream as AWS runs them. Same demo data as `make run`.
run-aws: $(VENV)/.installed
	$(CARGO) build -q --workspace --bins
	bash infra/with-test-endpoint.sh ./target/debug/stagepass-cloud

## Every test: formatting, clippy, template lint, unit, contract (embedded + DynamoDB on moto),
## end-to-end over HTTP on the embedded stack, and the journey on the cloud-shaped stack (the
## function binaries, built first) with every AWS call judged against the template's policies;
## then schemathesis against the local server and the web app in headless Chromium.
## Starts and stops moto itself unless AWS_ENDPOINT_URL is set.
test: lint cfn-lint openapi-lint
	mkdir -p target
	$(CARGO) build --workspace --bins
	bash infra/with-test-endpoint.sh $(CARGO) test --workspace --all-targets 2>&1 | tee target/test-output.log
	@awk '/^test result:/ {p += $$4; f += $$6} END {printf "summary: %d passed, %d failed\n", p, f}' target/test-output.log
	$(MAKE) fuzz
	$(MAKE) browser

## Schemathesis against the local server from shared/api/openapi.json (infra/schemathesis.toml):
## no 5xx and every answer as documented, in about 2 minutes. FUZZ_ARGS="--max-time 600" for more.
fuzz: $(VENV)/.installed
	$(CARGO) build -q -p stagepass-local --bin stagepass-local
	$(VENV)/bin/python infra/fuzz_api.py $(FUZZ_ARGS)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

cfn-lint: $(VENV)/.installed
	$(VENV)/bin/cfn-lint template.yaml

## The OpenAPI document (shared/api/openapi.json) is valid OpenAPI 3.1. `make openapi` writes
## it again from the code after a route, its types or its errors change (a test fails until then).
openapi-lint: $(VENV)/.installed
	$(VENV)/bin/openapi-spec-validator shared/api/openapi.json

## The integration events' JSON Schemas (events/schemas/ and template.yaml's schema registry),
## generated from the Rust event types.
schemas:
	STAGEPASS_WRITE_SCHEMAS=1 $(CARGO) test -q -p stagepass-tests --test e2e -- the_checked_in_event_schemas

openapi:
	STAGEPASS_WRITE_OPENAPI=1 $(CARGO) test -q -p stagepass-tests --test e2e -- the_checked_in_openapi_document

$(VENV)/.installed: infra/requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r infra/requirements-test.txt
	touch $@

# The test endpoint needs the venv too.
test: $(VENV)/.installed

## Benchmarks (release build): holds/s and latency through the local server, logins, bookings/s
## through the local saga, DynamoDB writes per booking (on moto), and every function's binary
## size and init time. Each function is built on its own, as SAM builds it, so it carries only
## the adapters its Cargo.toml enables.
bench: $(VENV)/.installed
	$(CARGO) build --release -p stagepass-tests --bin bench --bin bare-lambda
	for f in functions/*/; do $(CARGO) build -q --release -p $$(basename $$f) || exit 1; done
	bash infra/with-test-endpoint.sh ./target/release/bench --functions ./target/release

## Deployable artifacts, no Docker: `sam validate --lint`, then every function's arm64 `bootstrap`
## in one workspace build (cargo-lambda, zig as the linker), zipped in
## target/lambda/<function>/bootstrap.zip, each checked to be an arm64 executable.
package: $(PACKAGE_VENV)/.installed
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 $(PACKAGE_VENV)/bin/sam validate --lint
	rustup target add aarch64-unknown-linux-gnu
	PATH="$(abspath $(PACKAGE_VENV))/bin:$$PATH" $(CARGO) lambda build --release --arm64 \
		--output-format zip $(foreach f,$(wildcard functions/*/Cargo.toml),-p $(notdir $(patsubst %/,%,$(dir $(f)))))
	$(PYTHON) infra/check_artifacts.py

$(PACKAGE_VENV)/.installed: infra/requirements-package.txt
	$(PYTHON) -m venv $(PACKAGE_VENV)
	$(PACKAGE_VENV)/bin/pip install -q --disable-pip-version-check -r infra/requirements-package.txt
	touch $@

## Deployable arm64 artifacts with AWS SAM (needs `pip install aws-sam-cli cargo-lambda`).
sam-build:
	sam build --beta-features

clean:
	$(CARGO) clean
	rm -rf .aws-sam
