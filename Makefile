# Kosmos developer entry points. `make run` and `make test` are the README's quick start.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup system-deps openstack-deps run demo reset test test-unit lock bench clean package

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@echo "setting up $(VENV) with the pinned dependencies (the first time takes a minute or two)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

# Services the integration tests use for real (PowerDNS); a no-op when present.
system-deps:
	bash scripts/install-system-deps.sh

# Keystone, Designate and Octavia for the `openstack` tests, in a cache reused by later runs.
openstack-deps:
	bash scripts/install-openstack.sh

run: setup
	@echo "starting the runner: REST API http://127.0.0.1:8080/v1, dashboard http://127.0.0.1:8080/dashboard/?project=demo, DNS 127.0.0.1:5353 (Ctrl-C stops it)"
	$(BIN)/python local/runner.py

# The README's story as a script (against `make run`, or a runner of its own); runs twice.
demo: setup
	bash scripts/demo.sh

# Forget the runner's state (database and DNS records); the virtualenv stays.
reset:
	rm -f kosmos.sqlite3 kosmos.sqlite3-wal kosmos.sqlite3-shm kosmos.sqlite3.dns.json demo.sqlite3* demo-runner.log

test: setup system-deps openstack-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

test-unit: setup
	$(BIN)/python -m pytest tests/unit

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv && .lockenv/bin/pip install -q --upgrade pip
	.lockenv/bin/pip install -q -e '.[test]'
	.lockenv/bin/pip freeze --exclude-editable > constraints.txt
	rm -rf .lockenv

# Deployable artifacts of the four functions in build/functions (see infra/README.md).
package: setup
	bash scripts/package-functions.sh --out build/functions

bench: setup
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache kosmos.sqlite3 kosmos.sqlite3-wal kosmos.sqlite3-shm kosmos.sqlite3.dns.json
