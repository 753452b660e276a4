PYTHON ?= .venv/bin/python

bench:
	$(PYTHON) -m benchmarks

scaling:
	$(PYTHON) benchmarks/scaling.py

.PHONY: bench scaling
