# Convenience targets; each is one documented python command (see README.md).
PY ?= python3

.PHONY: install book draft html test bench reproduce clean
install:
	$(PY) -m pip install -r requirements.txt
book: install
	$(PY) -m ionbook build
draft: install
	$(PY) -m ionbook build --quality draft
html:
	$(PY) -m ionbook html
test: install
	$(PY) -m pytest
bench:
	$(PY) -m pytest benchmarks --benchmark-only -p no:cacheprovider -q
reproduce:
	$(PY) -m ionbook reproduce
clean:
	rm -rf _build build book/generated
