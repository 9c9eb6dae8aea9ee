# popsim: two commands set everything up on a fresh machine.
#   make run    create .venv, install, run the default experiment
#   make test   install (if needed), lint (ruff) and run the test suite
#   make bench  benchmark problems P1, P2 and P3, cohort sampling, the taper planner and parameter draws
#               (writes benchmarks/results/)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXPERIMENT ?= interdose

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m popsim +experiment=$(EXPERIMENT)

test: $(STAMP)
	$(PY) -m ruff check popsim tests benchmarks experiments
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/p1.py
	$(PY) benchmarks/cohort.py
	$(PY) benchmarks/p2.py
	$(PY) benchmarks/p3.py
	$(PY) benchmarks/planner.py
	$(PY) benchmarks/draws.py

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache .hypothesis
