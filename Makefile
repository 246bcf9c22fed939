# The two commands of the README:
#   make run    set everything up, then run the server in demo mode (embedded broker)
#   make test   set everything up, then run the whole test suite
# Both work on a fresh Debian machine: they install what is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test setup system-deps lint bench clean

run: setup
	COBROWSE_DEMO=$${COBROWSE_DEMO-1} PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py app:app

test: setup
	$(BIN)/ruff check cobrowse tests bench app.py gunicorn.conf.py
	$(BIN)/pytest -q --durations=15 $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run.py

setup: system-deps $(VENV)/.installed

system-deps:
	@missing=""; \
	for pair in redis-server:redis-server chromium:chromium squid:squid node:nodejs npm:npm nginx:nginx haproxy:haproxy; do \
		cmd=$${pair%%:*}; pkg=$${pair#*:}; \
		PATH=$$PATH:/usr/sbin command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	[ -f /usr/share/doc/python3/html/genindex-all.html ] || missing="$$missing python3-doc"; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

lint: setup
	$(BIN)/ruff check cobrowse tests bench app.py gunicorn.conf.py

clean:
	rm -rf $(VENV) var *.egg-info .pytest_cache
