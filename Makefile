# Todo Chatbot: the two commands a newcomer needs are `make run` and `make test`.
# Everything else is bootstrapped: uv (from PyPI, into .tools/) and the virtual environment (.venv/).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The project's version: the root pyproject.toml states it; charts and images follow it.
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' pyproject.toml | head -n 1)
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV := .venv/.synced

.PHONY: help run test lint format typecheck bench clean images deploy rollback status undeploy backup restore \
	cluster-up cluster-down

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	@echo "==> installing uv into .tools/ (one time)"
	@python3 -m venv .tools && .tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV): $(UV) uv.lock pyproject.toml backend/pyproject.toml frontend/pyproject.toml
	@echo "==> syncing the virtual environment (.venv)"
	@$(UV) sync --frozen --all-packages --quiet
	@touch $@

run: $(VENV) ## run both services locally (SQLite, built-in agent); Ctrl-C stops them
	@UV="$(UV)" scripts/run-local.sh

lint: $(VENV) ## ruff and mypy
	@echo "==> ruff"
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .
	@echo "==> mypy"
	@$(UV) run --frozen mypy backend/src frontend/src common/src bench

format: $(VENV) ## apply ruff's fixes and formatting
	@$(UV) run --frozen ruff check --fix .
	@$(UV) run --frozen ruff format .

typecheck: lint ## the same as lint: ruff, then mypy (strict)

test: lint ## lint, type-check and run every test
	@echo "==> pytest"
	@$(UV) run --frozen pytest $(PYTEST_ARGS)

bench: $(VENV) ## run the benchmarks (needs BENCH_DATABASE_URL or TEST_DATABASE_URL for PostgreSQL)
	@$(UV) run --frozen python bench/run_all.py

# The browser test that takes the README's picture, writing it to docs/ this time; CI=true makes a
# missing PostgreSQL or Chromium an error rather than a skip that would leave the old picture.
.PHONY: screenshot
screenshot: $(VENV) ## refresh docs/screenshot.png from a real browser (needs TEST_DATABASE_URL, Chromium)
	@CI=true SCREENSHOT_PATH="$(CURDIR)/docs/screenshot.png" \
		$(UV) run --frozen pytest -q -p no:cacheprovider tests/browser/test_readme_screenshot.py
	@echo "==> docs/screenshot.png"

# Debian's client where present: another `docker` earlier on PATH may lack BuildKit (cache mounts).
DOCKER ?= $(or $(wildcard /usr/bin/docker),docker)
DOCKER_BUILD_FLAGS ?= --network host
IMAGE_REVISION := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

images: ## build the container images todo-backend:VERSION and todo-frontend:VERSION (pyproject.toml)
	DOCKER_BUILDKIT=1 $(DOCKER) build $(DOCKER_BUILD_FLAGS) --build-arg VERSION=$(VERSION) \
		--build-arg REVISION=$(IMAGE_REVISION) -f Dockerfile.backend -t todo-backend:$(VERSION) .
	DOCKER_BUILDKIT=1 $(DOCKER) build $(DOCKER_BUILD_FLAGS) --build-arg VERSION=$(VERSION) \
		--build-arg REVISION=$(IMAGE_REVISION) -f Dockerfile.frontend -t todo-frontend:$(VERSION) .

# Minikube by default, or DEPLOY_TARGET=current with IMAGE_REGISTRY (scripts/k8s.sh; helm/QUICKSTART.md);
# configuration from the environment or .env; chart settings from BACKEND_VALUES/FRONTEND_VALUES files.
deploy: ## build both images, install both charts; BACKEND_VALUES=, FRONTEND_VALUES= your values files
	@DOCKER="$(DOCKER)" DOCKER_BUILD_FLAGS="$(DOCKER_BUILD_FLAGS)" scripts/k8s.sh deploy

rollback: ## helm rollback; CHART=backend|frontend (default both), REVISION=n (default previous)
	@scripts/k8s.sh rollback $(or $(CHART),all) $(REVISION)

status: ## releases, their history, pods, the code each answers with, and URLs
	@scripts/k8s.sh status

backup: ## pg_dump the in-cluster database into backups/ (prints the file)
	@scripts/k8s.sh backup

restore: ## restore a backup into the running release: BACKUP=backups/....dump
	@scripts/k8s.sh restore

undeploy: ## uninstall both charts; PURGE=1 also deletes the database volume and the Secrets
	@scripts/k8s.sh undeploy

# A real single-node Kubernetes on this Linux machine, for CI and Linux developers (cluster/).
cluster-up: ## start a local Kubernetes and image registry (root; builds the binaries once)
	@cluster/up.sh

cluster-down: ## stop them and remove what they changed on the machine
	@cluster/down.sh

# A least-privilege kubeconfig for AI tools (kubectl-ai, kagent): helm/AI-OPERATIONS.md.
.PHONY: ai-kubeconfig
ai-kubeconfig: ## kubeconfig for AI tools: read the release, scale it, no Secrets; NAMESPACE, AI_TOKEN_DURATION
	@scripts/ai-kubeconfig.sh

clean: ## remove local databases, caches and the virtual environment
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache todo.db test-artifacts
