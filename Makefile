# Two commands:  make run   (set up and open the demo clinic)
#                make test  (set up and run every test)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

run: $(STAMP)
	./packaging/system-deps.sh run
	$(VENV)/bin/clinic-inbox demo

test: $(STAMP)
	./packaging/system-deps.sh test
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	./packaging/system-deps.sh test
	QT_QPA_PLATFORM=offscreen $(PY) -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check clinic_inbox tests
	$(VENV)/bin/ruff format --check clinic_inbox tests

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Clinic Inbox needs Python 3.11 or newer"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
