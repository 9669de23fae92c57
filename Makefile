# Ops Console: `make demo` and `make test` on a fresh Debian 12 machine as root.
# Both install what they need; a second run skips what is already done.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := var/stamps
OPS := $(BIN)/ops
MO := console/translations/vi/LC_MESSAGES/messages.mo
ASSETS := console/static/vendor/.stamp

.PHONY: demo test check setup demo-setup serve messages clean wheelhouse

demo: demo-setup
	bash scripts/demo.sh

test: setup $(STAMPS)/debian-test
	bash scripts/run-tests.sh $(PYTEST_ARGS)

# The inner loop: no lab, browser or external server, in under 3 minutes (docs/testing.md).
check: setup
	bash scripts/run-tests.sh --check $(PYTEST_ARGS)

# What the demo runs; `setup` adds the test tools (pytest, Playwright, ansible-lint, ...) to the venv.
# On a fresh machine the demo does not wait for them (scripts/fresh-machine-check.sh).
demo-setup: $(STAMPS)/debian-base $(STAMPS)/venv $(ASSETS) $(MO)

setup: demo-setup $(STAMPS)/venv-test

$(STAMPS)/debian-base: scripts/install-debian-packages.sh
	bash scripts/install-debian-packages.sh base
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/debian-test: scripts/install-debian-packages.sh
	bash scripts/install-debian-packages.sh test
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/venv: pyproject.toml | $(STAMPS)/debian-base
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/venv-test: pyproject.toml $(STAMPS)/venv
	$(BIN)/pip install --quiet -e '.[test]'
	@mkdir -p $(STAMPS) && touch $@

$(ASSETS): package.json package-lock.json scripts/vendor-assets.py | $(STAMPS)/debian-base
	/usr/bin/python3 scripts/vendor-assets.py
	touch $@

$(MO): console/translations/vi/LC_MESSAGES/messages.po | $(STAMPS)/venv
	$(BIN)/pybabel compile --use-fuzzy -d console/translations -D messages

# Refresh messages.po after changing UI strings, then translate the new ones.
messages: $(STAMPS)/venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -o console/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i console/translations/messages.pot -d console/translations -D messages --no-fuzzy-matching

# The console's package and every dependency as wheels, for playbooks/console.yml
# (docs/install.md): dist/ops_console-*.whl and dist/wheelhouse/.
wheelhouse: setup
	rm -rf dist build
	/usr/bin/python3 -m pip wheel --quiet --no-deps --no-build-isolation --no-index -w dist .   # Debian's setuptools and wheel (base packages)
	$(BIN)/python -m pip wheel --quiet -w dist/wheelhouse dist/ops_console-*.whl
	rm -rf build

clean:
	rm -rf dist $(VENV) node_modules console/static/vendor $(STAMPS) $(MO)
