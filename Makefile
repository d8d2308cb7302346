# signet.azure developer entry points. `make demo` and `make test` do all the setup on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
COLL_ROOT := $(CURDIR)/build/collections
COLL_LINK := $(COLL_ROOT)/ansible_collections/signet/azure
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
PYTEST_ARGS ?=
# Sanity covers what the collection ships (galaxy.yml build_ignore drops the same paths): plugins, meta, roles,
# playbooks, extensions, docs, changelogs, tests/unit and tests/integration/targets. The pytest-only harness
# (tests/helpers, twin, reliability, ecosystem, the integration runners), tools/ and benchmarks/ are linted by ruff.
SANITY_EXCLUDE := ^(tools|benchmarks|node_modules|\.ansible|tests/(helpers|twin|reliability|ecosystem|output))/|^tests/integration/[^/]+$$|^tests/(conftest\.py|__init__\.py)$$|^requirements-(test|matrix)\.txt$$

# The support matrix (README.md "Support matrix"; meta/runtime.yml requires_ansible is the oldest line):
#   newest ansible-core  CORE_NEWEST on Python 3.12: sanity (every test), units, the integration targets
#   development line     .venv (requirements-test.txt) on $(PYTHON): everything in pytest, sanity SANITY_QUICK
#   oldest supported     CORE_OLDEST on $(PYTHON): sanity SANITY_QUICK
# Module-side Pythons 3.9 and 3.13 run in tests/ecosystem/test_python_support.py.
CORE_NEWEST := 2.21
CORE_OLDEST := 2.16
# Interpreters come from PATH or `pyenv root` (tools/find_python.sh); override with e.g. `make PY312=/usr/bin/python3.12`.
ifndef PY312
PY312 := $(shell tools/find_python.sh 3.12 2>/dev/null)
endif
VENV_NEWEST := $(CURDIR)/build/venv-$(CORE_NEWEST)
VENV_OLDEST := $(CURDIR)/build/venv-$(CORE_OLDEST)
# The tests ansible-test runs for the older lines in `make test` (`make sanity` / `make sanity-2.16` run every test).
SANITY_QUICK := --test validate-modules --test yamllint --test compile --test runtime-metadata
SANITY_ARGS ?=
SANITY_216_ARGS ?=
SANITY_NEWEST_ARGS ?=

# ansible-test keeps its sanity venvs in ~/.ansible/test/venv and looks for its pip bootstrap script in
# ~/.ansible/test/cache: it runs with HOME=build/ansible-test-home, so both are cached under build/ (built on first use,
# reused while ansible-test's requirements are unchanged). Offline, the bootstrap script is tools/get_pip_offline.py.
AT_HOME := $(CURDIR)/build/ansible-test-home
AT_GET_PIP := $(AT_HOME)/.ansible/test/cache/signet-pip.conf
STAGE := $(CURDIR)/tools/stage.sh

.PHONY: all venv venvs demo test test-pytest test-matrix lint unit integration sanity sanity-2.16 sanity-2.21 \
	units-2.21 integration-2.21 ecosystem docs bench bench-smoke clean collection-link

all: test

$(VENV)/.stamp: requirements.txt requirements-matrix.txt requirements-test.txt
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

# The newest ansible-core: its own venv on Python 3.12 (ansible-core 2.21's controller needs 3.12 or later), with the
# runtime and unit-test requirements; its ansible-playbook and python also run the integration targets.
$(VENV_NEWEST)/.stamp: requirements.txt requirements-matrix.txt
	@[ -n "$(PY312)" ] || { echo "Python 3.12 not found on PATH or under \`pyenv root\` (tools/find_python.sh 3.12)"; exit 1; }
	rm -rf $(VENV_NEWEST) && $(PY312) -m venv $(VENV_NEWEST)
	$(VENV_NEWEST)/bin/pip install -q 'ansible-core==$(CORE_NEWEST).*' -r requirements-matrix.txt
	touch $@

$(VENV_OLDEST)/.stamp:
	rm -rf $(VENV_OLDEST) && $(PYTHON) -m venv $(VENV_OLDEST)
	$(VENV_OLDEST)/bin/pip install -q 'ansible-core==$(CORE_OLDEST).*'
	touch $@

$(AT_GET_PIP): tools/get_pip_offline.py
	$(PYTHON) tools/get_pip_offline.py --install $(dir $@)

venvs: venv $(VENV_NEWEST)/.stamp $(VENV_OLDEST)/.stamp $(AT_GET_PIP)

demo: venv
	$(BIN)/python tools/demo.py

lint: venv
	$(BIN)/ruff check plugins tests tools benchmarks
	$(BIN)/ruff format --check plugins tests tools benchmarks

unit: venv
	$(BIN)/pytest -q tests/unit $(PYTEST_ARGS)

integration: venv
	$(BIN)/pytest -q tests/integration tests/twin $(PYTEST_ARGS)

# $(call sanity,<line>,<venv bin>,<python version>,<ansible-test sanity args>)
# ansible-test needs a real ansible_collections/<ns>/<name> directory: copy the shipped files (SANITY_EXCLUDE) to
# build/sanity-<line>/ansible_collections/signet/azure, carrying over ansible-test's --venv delegation venv
# (tests/output/.tmp/delegation) from the last run, and run ansible-test sanity --venv there.
define sanity
	@tree=$(CURDIR)/build/sanity-$(1)/ansible_collections/signet/azure; \
	rm -rf $$tree.new && mkdir -p $$tree.new && \
	git ls-files -co --exclude-standard -z | grep -zv -E '$(SANITY_EXCLUDE)' | tar --null -T - -cf - | tar -xf - -C $$tree.new && \
	if [ -d $$tree/tests/output/.tmp/delegation ]; then \
	  mkdir -p $$tree.new/tests/output/.tmp && mv $$tree/tests/output/.tmp/delegation $$tree.new/tests/output/.tmp/; fi && \
	rm -rf $$tree && mv $$tree.new $$tree && cd $$tree && git init -q && git add -A && \
	echo "ansible-test sanity ($(1), Python $(3)) in $$tree" && \
	HOME=$(AT_HOME) PATH=$(2):$$PATH $(2)/ansible-test sanity --python $(3) --venv --color no $(4)
endef

# The development line (.venv), every sanity test.
sanity: venv $(AT_GET_PIP)
	$(call sanity,2.19,$(BIN),3.11,$(SANITY_ARGS))

# The oldest supported line (meta/runtime.yml requires_ansible), every sanity test unless SANITY_216_ARGS says which.
sanity-2.16: venv $(VENV_OLDEST)/.stamp $(AT_GET_PIP)
	$(call sanity,$(CORE_OLDEST),$(VENV_OLDEST)/bin,3.11,$(SANITY_216_ARGS))

# The newest line: every sanity test on Python 3.12, and the target-side tests (compile, import) on 3.13 when present.
sanity-2.21: venv $(VENV_NEWEST)/.stamp $(AT_GET_PIP)
	$(call sanity,$(CORE_NEWEST),$(VENV_NEWEST)/bin,3.12,$(SANITY_NEWEST_ARGS))
	@py313=$$(tools/find_python.sh 3.13 2>/dev/null) || { echo "no Python 3.13: compile/import on 3.13 skipped"; exit 0; }; \
	cd build/sanity-$(CORE_NEWEST)/ansible_collections/signet/azure && \
	HOME=$(AT_HOME) PATH=$(VENV_NEWEST)/bin:$$(dirname $$py313):$$PATH \
	  $(VENV_NEWEST)/bin/ansible-test sanity --python 3.13 --venv --color no --test compile --test import

units-2.21: venv $(VENV_NEWEST)/.stamp
	$(VENV_NEWEST)/bin/python -m pytest -q -p no:cacheprovider tests/unit $(PYTEST_ARGS)

# The integration targets (tests/integration/test_targets.py) with the newest line's ansible-playbook, and its Python
# as module interpreter: the runner honours SIGNET_ANSIBLE_VENV (tests/helpers/playbook.py).
integration-2.21: venv $(VENV_NEWEST)/.stamp
	SIGNET_ANSIBLE_VENV=$(VENV_NEWEST) $(BIN)/pytest -q -p no:cacheprovider -n 2 tests/integration/test_targets.py $(PYTEST_ARGS)

ecosystem: venv
	$(BIN)/pytest -q tests/ecosystem $(PYTEST_ARGS)

# `make test`: venvs (built on first use, cached under build/), ruff, then two lanes side by side: the pytest suite
# (2 workers) and the ansible-core matrix (sanity, units, integration targets on the newest line; sanity subsets of
# the older lines). Each stage prints its wall time, and the table of all of them comes at the end.
test:
	@mkdir -p build && rm -f build/stage-times.txt
	@$(STAGE) venvs $(MAKE) --no-print-directory venvs
	@$(STAGE) lint $(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-pytest test-matrix; rc=$$?; $(STAGE) --report; \
	  [ $$rc = 0 ] || { echo "make test: FAILED"; exit $$rc; }
	@echo "make test: all green"

test-pytest: venv
	@$(STAGE) pytest $(BIN)/pytest -q -n 2 --dist loadgroup tests $(PYTEST_ARGS)

# One after the other (ansible-test and the playbooks use about one core), every stage even after a failure.
test-matrix: venvs
	@rc=0; \
	$(STAGE) sanity-2.21 $(MAKE) --no-print-directory sanity-2.21 || rc=1; \
	$(STAGE) units-2.21 $(MAKE) --no-print-directory units-2.21 || rc=1; \
	$(STAGE) integration-2.21 $(MAKE) --no-print-directory integration-2.21 || rc=1; \
	$(STAGE) sanity-2.19-quick $(MAKE) --no-print-directory sanity SANITY_ARGS="$(SANITY_QUICK)" || rc=1; \
	$(STAGE) sanity-2.16-quick $(MAKE) --no-print-directory sanity-2.16 SANITY_216_ARGS="$(SANITY_QUICK)" || rc=1; \
	exit $$rc

docs: venv
	$(BIN)/python tools/build_docs.py

bench: venv
	$(BIN)/python benchmarks/run.py

bench-smoke: venv
	$(BIN)/python benchmarks/run.py --smoke

clean:
	rm -rf build .pytest_cache .ruff_cache
