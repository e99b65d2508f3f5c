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

# The report's browser test needs Chromium; install it where we can (root on Debian), else the test skips.
test: setup
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y chromium >/dev/null) || \
	  echo "chromium not installed: the browser test will skip"; }
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(OUT)
