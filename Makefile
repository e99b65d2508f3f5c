# The two commands (see README): `make demo` runs the whole job on the bundled sample,
# `make test` runs the test suite. Each sets up its own virtual environment first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out

.PHONY: demo test setup clean

setup: $(VENV)/.installed

# torch first, pinned to the CPU wheel, so the package's `torch` requirement does not pull a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: setup
	PATH="$(abspath $(BIN)):$$PATH" OUT="$(OUT)" bash scripts/demo.sh

test: setup
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(OUT)
