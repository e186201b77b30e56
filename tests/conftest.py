"""Shared pytest configuration: markers and the Agg backend."""

import matplotlib

matplotlib.use("Agg")


def pytest_configure(config):
    config.addinivalue_line("markers", "book: executes the chapters and builds the HTML book")
    config.addinivalue_line("markers", "browser: opens the built HTML pages in headless Chromium")
