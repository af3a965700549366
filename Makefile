# Two commands:  make run   (set up and open the demo clinic)
#                make test  (set up and run every test)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean package screenshots

run: $(STAMP)
	./packaging/system-deps.sh run
	$(VENV)/bin/clinic-inbox demo

# Test files run side by side, one worker more than there are cores (at most 4): a good part of
# the suite waits on servers, killed processes and timers, and a third worker on two cores ran it
# in 21.7 minutes instead of 26.6. Each worker has its own servers, keyring and temporary folders.
# PYTEST_WORKERS=0 runs them in one process.
PYTEST_WORKERS ?= $(shell n=$$(( $$(nproc 2>/dev/null || echo 1) + 1 )); [ $$n -gt 4 ] && n=4; echo $$n)

test: $(STAMP)
	./packaging/system-deps.sh test
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25 --junitxml=build/test-results.xml $(PYTEST_ARGS)

# The README's screenshots (docs/screenshots), made again by the GUI tests that take them.
# A plain test run writes its screenshots to build/screenshots and leaves these alone.
SCREENSHOT_TESTS ?= tests/ui tests/shared/test_conflict_screen.py \
	tests/shared/test_held_reply_screen.py tests/shared/test_key_rotation_ui.py \
	tests/shared/test_break_glass_review_clinic.py

screenshots: $(STAMP)
	./packaging/system-deps.sh test
	CLINIC_INBOX_SCREENSHOTS=docs QT_QPA_PLATFORM=offscreen $(PY) -m pytest \
		-n $(PYTEST_WORKERS) --dist loadfile $(SCREENSHOT_TESTS) $(PYTEST_ARGS)

bench: $(STAMP)
	./packaging/system-deps.sh test
	QT_QPA_PLATFORM=offscreen $(PY) -m bench $(BENCH_ARGS)

# A one-folder app for Linux in dist/clinic-inbox (PyInstaller; packaging/clinic-inbox.spec),
# then its smoke test: --version, --help, the demo clinic and a screenshot, from outside
# the checkout. Takes minutes; not part of `make test`.
package: $(STAMP)
	./packaging/system-deps.sh package
	$(PY) -m pip install -q -e ".[package]"
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/clinic-inbox.spec
	$(PY) packaging/smoke_bundle.py dist/clinic-inbox

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
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
