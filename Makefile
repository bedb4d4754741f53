# The two quick-start commands: `make run` and `make test`. Both are idempotent.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 || command -v python3)
STAMP := $(VENV)/.installed

.PHONY: run test setup setup-test lint typecheck pytest bench package clean

run: setup
	$(VENV)/bin/earpiece

test: setup-test lint typecheck pytest

setup: $(STAMP)
	@scripts/system-deps.sh run

setup-test: $(STAMP)
	@scripts/system-deps.sh test

$(STAMP): pyproject.toml
	@scripts/system-deps.sh run
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Earpiece needs Python 3.11 (found %s)" % sys.version.split()[0]'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m earpiece.core.audio.install_models  # Smart Turn and Silero ONNX out of the pipecat-ai wheel
	touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check earpiece core sip desktop tests bench packaging
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The Qt tests run in a process of their own. The SIGSEGV that made this necessary is found and fixed
# (per-test qasync loops collected on the SIP thread left Qt timers registered: see
# tests/desktop/qasync_loop.py), and the two halves pass in one process; the split stays so that a
# fault in Qt cannot take the SIP and engine results down with it. The two halves run side by side
# (every test takes free ports and its own folders; most of their time is spent waiting on calls):
# on the 2-core machine ~17 min instead of ~21 one after the other. The Qt half keeps its own pytest
# cache (the two would write the same files at the end) and its output follows.
pytest: $(STAMP)
	@mkdir -p build
	@$(VENV)/bin/pytest -m "not slow" --durations=15 -o cache_dir=.pytest_cache/desktop tests/desktop > build/desktop-tests.log 2>&1 & qt=$$!; \
	$(VENV)/bin/pytest -m "not slow" --durations=30 --ignore=tests/desktop; rest=$$?; \
	wait $$qt; desktop=$$?; echo "--- tests/desktop (run beside the rest): build/desktop-tests.log"; \
	cat build/desktop-tests.log; test $$rest -eq 0 && test $$desktop -eq 0

bench: setup-test
	$(PY) -m bench

package: setup
	$(PY) -m PyInstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/earpiece.spec

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
