# Two commands do everything on a fresh machine with Python >= 3.10:
#   make demo   - create .venv if needed, install chainrule, train the heart-curve network
#   make test   - create .venv if needed, install with test extras, run the whole suite
PYTHON ?= python3
# The playground's browser tests drive this Chromium (Debian's chromium package); as root on
# Debian (CI) `make test` installs it when it is missing.
CHROMIUM ?= /usr/bin/chromium
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench bench-quick bench-playground screenshots tour docs notebook clean fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/chainrule train --out demo-output/heart.safetensors --plot demo-output

tour: $(VENV)/.installed
	$(BIN)/chainrule tour --out tour-output

# the site in docs/_build/html: the tutorial notebook is run once, then Sphinx builds with
# warnings as errors and every cross-reference checked (tests/test_docs.py does the same)
docs: $(VENV)/.installed-docs
	$(BIN)/python docs/_ext/notebook_run.py docs/tutorial.py docs/_build/tutorial.ipynb
	CHAINRULE_TUTORIAL_IPYNB=docs/_build/tutorial.ipynb \
		$(BIN)/python -m sphinx -W --keep-going -n -q -b html docs docs/_build/html
	@echo "the site: docs/_build/html/index.html"

# the tutorial as a notebook to open in Jupyter (docs/tutorial.py is its jupytext source)
notebook: $(VENV)/.installed-docs
	$(BIN)/jupytext --quiet --to ipynb --output tutorial.ipynb docs/tutorial.py

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "the playground's tests need Chromium at $(CHROMIUM): install it (Debian: apt-get install chromium) or run make test CHROMIUM=/path/to/chromium"; \
		exit 1; \
	fi

test: $(VENV)/.installed-test $(CHROMIUM)
	$(BIN)/ruff check src tests benchmarks examples docs fuzz
	CHAINRULE_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks

bench-quick: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks --quick

bench-playground: $(VENV)/.installed-test $(CHROMIUM)
	CHAINRULE_CHROMIUM=$(CHROMIUM) $(BIN)/python -m benchmarks.playground_fps

# the README's pictures of the playground, made by its browser tests
screenshots: $(VENV)/.installed-test $(CHROMIUM)
	CHAINRULE_CHROMIUM=$(CHROMIUM) CHAINRULE_SCREENSHOTS=docs/images \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_playground_browser.py

# Mutated model files, checkpoints, CSVs and .npy/.npz files fed to every loader and to the
# command line (not part of `make test`: about 15 minutes on two cores); FUZZ_EXAMPLES per kind
FUZZ_EXAMPLES ?= 10000
fuzz: $(VENV)/.installed-test
	$(BIN)/python -m fuzz --examples $(FUZZ_EXAMPLES) --jobs 2 --out fuzz-output/results.json

clean:
	rm -rf $(VENV) demo-output tour-output fuzz-output docs/_build tutorial.ipynb .pytest_cache .ruff_cache
