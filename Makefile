# bedplan: the two set-up commands of the README are `make demo` and `make test`.
# Both create .venv with Python 3.11 and install everything into it.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all lint venv clean

$(STAMP): setup.cfg pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e '.[dev]'
	@# bytecode now, so that no command compiles the project on first use (suggest's start-up)
	$(BIN)/python -m compileall -q models optimiser bedplan
	@touch $(STAMP)

venv: $(STAMP)

## Install everything and run tonight's overnight reallocation on the bundled England instance.
demo: $(STAMP)
	$(BIN)/bedplan validate instances/england
	$(BIN)/bedplan reallocate instances/england --out out/england --max-moves 50 --report

## Install everything, lint, type-check and run the test suite.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

## The whole suite, slow cases included.
test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m "slow or not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true
	$(BIN)/mypy

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
