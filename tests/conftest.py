"""Shared pytest configuration: markers, and a fixed numba/matplotlib environment."""
import os

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("IONMOTION_SCHEDULER", "synchronous")


def pytest_configure(config):
    config.addinivalue_line("markers", "book: executes the chapters and builds the HTML book")
    config.addinivalue_line("markers", "browser: opens the built HTML pages in headless Chromium")
