# signet.azure developer entry points. `make demo` and `make test` do all the setup on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
COLL_ROOT := $(CURDIR)/build/collections
COLL_LINK := $(COLL_ROOT)/ansible_collections/signet/azure
SANITY_DIR := $(CURDIR)/build/sanity/ansible_collections/signet/azure
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
PYTEST_ARGS ?=
# Sanity covers what the collection ships (galaxy.yml build_ignore drops the same paths): plugins, meta, roles,
# playbooks, extensions, docs, changelogs, tests/unit and tests/integration/targets. The pytest-only harness
# (tests/helpers, twin, reliability, ecosystem, the integration runners), tools/ and benchmarks/ are linted by ruff.
SANITY_EXCLUDE := ^(tools|benchmarks|node_modules|\.ansible|tests/(helpers|twin|reliability|ecosystem|output))/|^tests/integration/[^/]+$$|^tests/(conftest\.py|__init__\.py)$$

.PHONY: all venv demo test lint unit integration sanity sanity-2.16 ecosystem docs bench bench-smoke clean collection-link

all: test

$(VENV)/.stamp: requirements.txt requirements-test.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

venv: $(VENV)/.stamp node_modules/.stamp collection-link

collection-link:
	@mkdir -p $(dir $(COLL_LINK))
	@[ -L $(COLL_LINK) ] || ln -sfn $(CURDIR) $(COLL_LINK)

demo: venv
	$(BIN)/python tools/demo.py

lint: venv
	$(BIN)/ruff check plugins tests tools benchmarks
	$(BIN)/ruff format --check plugins tests tools benchmarks

unit: venv
	$(BIN)/pytest -q tests/unit $(PYTEST_ARGS)

integration: venv
	$(BIN)/pytest -q tests/integration tests/twin $(PYTEST_ARGS)

# ansible-test needs a real ansible_collections/<ns>/<name> directory: copy the tracked files there (not the test-only
# tools/ and benchmarks/, which are no part of the collection and are excluded from the galaxy build).
# ansible-test --venv bootstraps pip with a script from ci-files.testing.ansible.com; offline, use our ensurepip shim.
ANSIBLE_TEST_GET_PIP := $(HOME)/.ansible/test/cache/get_pip_24_2.py
sanity: venv
	@[ -f $(ANSIBLE_TEST_GET_PIP) ] || install -D -m 0644 tools/ansible_test_get_pip.py $(ANSIBLE_TEST_GET_PIP)
	rm -rf $(SANITY_DIR) && mkdir -p $(SANITY_DIR)
	git ls-files -co --exclude-standard -z | grep -zv -E '$(SANITY_EXCLUDE)' | tar --null -T - -cf - | tar -xf - -C $(SANITY_DIR)
	cd $(SANITY_DIR) && rm -rf node_modules build && git init -q && git add -A && \
	  $(BIN)/ansible-test sanity --python 3.11 --venv --color no $(SANITY_ARGS)

# The oldest supported ansible-core: its own venv (build/venv-2.16), the same copied tree, ansible-test's venvs.
VENV_216 := $(CURDIR)/build/venv-2.16
SANITY_216_DIR := $(CURDIR)/build/sanity-2.16/ansible_collections/signet/azure
SANITY_216_ARGS ?=
# The full 2.16 sanity run took 9 min on first use (building ansible-test venvs, loaded machine), 1m48s cached;
# `make test` runs these three (`make sanity-2.16` runs all).
SANITY_216_QUICK := --test validate-modules --test yamllint --test compile
$(VENV_216)/.stamp:
	$(PYTHON) -m venv $(VENV_216)
	$(VENV_216)/bin/pip install -q 'ansible-core==2.16.*'
	touch $@

sanity-2.16: venv $(VENV_216)/.stamp
	$(VENV_216)/bin/python tools/get_pip_offline.py --install
	rm -rf $(SANITY_216_DIR) && mkdir -p $(SANITY_216_DIR)
	git ls-files -co --exclude-standard -z | grep -zv -E '$(SANITY_EXCLUDE)' | tar --null -T - -cf - | tar -xf - -C $(SANITY_216_DIR)
	cd $(SANITY_216_DIR) && rm -rf node_modules build && git init -q && git add -A && \
	  PATH=$(VENV_216)/bin:$$PATH $(VENV_216)/bin/ansible-test sanity --python 3.11 --venv --color no $(SANITY_216_ARGS)

ecosystem: venv
	$(BIN)/pytest -q tests/ecosystem $(PYTEST_ARGS)

test: venv
	$(MAKE) lint
	$(BIN)/pytest -q -n 2 --dist loadgroup tests $(PYTEST_ARGS)
	$(MAKE) sanity
	$(MAKE) sanity-2.16 SANITY_216_ARGS="$(SANITY_216_QUICK)"
	@echo "make test: all green"

docs: venv
	$(BIN)/python tools/build_docs.py

bench: venv
	$(BIN)/python benchmarks/run.py

bench-smoke: venv
	$(BIN)/python benchmarks/run.py --smoke

clean:
	rm -rf build .pytest_cache .ruff_cache
