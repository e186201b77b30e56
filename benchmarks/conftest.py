"""Collect the benchmark files (`bench_*.py`, which pytest's default `test_*.py` pattern skips),
so that `python3 -m pytest benchmarks --benchmark-only` and `make bench` run every benchmark."""
import matplotlib
import pytest

matplotlib.use("Agg")


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".py" and file_path.name.startswith("bench_"):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
