# Two commands do everything on a fresh Debian machine (as root):
#   make notices   set up, then run the nightly job on the bundled sample register
#   make test      set up, then run the test suite
VENV     := .venv
PYTHON   ?= python3
AS_OF    ?= 2026-11-26
REGISTER ?= data/register.csv
FONTS    := fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic

.PHONY: notices test setup system-deps sample clean

notices: setup
	$(VENV)/bin/notices run --register $(REGISTER) --as-of $(AS_OF)

test: setup
	$(VENV)/bin/python -m pytest -q

setup: system-deps $(VENV)/.installed

# The Japanese fonts the letters embed (Debian packages).
system-deps:
	@if ! fc-list 2>/dev/null | grep -q "BIZ UDMincho" || ! fc-list | grep -q "BIZ UDGothic"; then \
		echo "installing $(FONTS)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fontconfig $(FONTS); \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

# Regenerate the synthetic sample registers in data/ (deterministic).
sample: setup
	$(VENV)/bin/notices sample --out data --as-of $(AS_OF)

clean:
	rm -rf output var
