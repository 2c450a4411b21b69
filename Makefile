# Two commands do everything on a fresh Debian machine (as root):
#   make notices   set up, then run the nightly job on the bundled sample register
#   make test      set up, then run the test suite
VENV     := .venv
PYTHON   ?= python3
AS_OF    ?= 2026-11-26
REGISTER ?= data/register.csv
# Debian packages: the letters' fonts (Japanese, the 文字情報基盤 fallback for names and addresses, and
# the foreign-language pages'), what WeasyPrint needs to lay out and subset them, Ghostscript's ICC profiles (the
# default output intent of a PDF/X lot, [print] output_profile), Chromium, in which the tests open the run report,
# and a C compiler with Python's headers for the register reader's CP932 extension (setup.py).
DEBS     := fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic fonts-ipamj-mincho fonts-noto-core fonts-noto-cjk fontconfig \
            libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libgs-common chromium gcc libc6-dev python3-dev

LOCK     := requirements.lock

.PHONY: notices test bench setup system-deps sample clean lock

notices: setup
	$(VENV)/bin/notices run --register $(REGISTER) --as-of $(AS_OF) --allow-date

test: setup
	$(VENV)/bin/python -m pytest -q -n 2

# Figures for selection (1,000,000 rows) and rendering (1,000 and 10,000 letters) against the naive baseline, and
# the run process's peak memory mailing 1,000 against FLAT residents of registers of FLAT rows (a tool of the project,
# tools/bench.py, not part of the installed package; about 13 minutes, each rendering run also as the next night's).
# `make bench FLAT=100000` for the 100,000-piece run (10 minutes more).
FLAT     ?= 10000
bench: setup
	$(VENV)/bin/python -m tools.bench --large 10000 --flat $(FLAT) --out output/bench.json

# Then the project's modules compiled, as a wheel's install compiles them: every command starts 0.25 s sooner where
# Python may not write its bytecode itself (PYTHONDONTWRITEBYTECODE, a read-only install). Only what changed is redone.
setup: system-deps $(VENV)/.installed
	@$(VENV)/bin/python -m compileall -q jobs tools

# Installs the Debian packages that are missing (needs root, as on the servers and in CI).
system-deps:
	@if ! dpkg -s $(DEBS) >/dev/null 2>&1; then \
		echo "installing $(DEBS)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBS); \
	fi

# The Python environment, from the lock: every package at the version and with the hashes in $(LOCK), so the
# servers run what the tests ran; then this project itself (editable, no dependencies of its own to resolve), its
# C extension (setup.py) built with the compiler of the machine.
$(VENV)/.installed: $(LOCK) pyproject.toml setup.py jobs/notices/register/_cp932.c
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --require-hashes --no-deps -r $(LOCK)
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

# Refresh the lock after changing the dependencies in pyproject.toml (pip-tools, in a venv of its own).
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install -q pip-tools
	.venv-lock/bin/pip-compile -q --generate-hashes --allow-unsafe --extra test --strip-extras --no-emit-index-url \
		--no-emit-find-links -o $(LOCK) pyproject.toml

# Regenerate the synthetic sample registers in data/ (deterministic; tools/sample.py, from tools/synth/).
sample: setup
	$(VENV)/bin/python -m tools.sample --out data --as-of $(AS_OF)

clean:
	rm -rf output var .venv-lock
