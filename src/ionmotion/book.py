"""Alias kept so that ``python -m ionmotion.book ...`` keeps working: the book pipeline lives in
the separate package :mod:`ionbook` (``python -m ionbook ...``). No other module of ``ionmotion``
imports this one; importing it pulls in the pipeline layer on purpose.
"""
from ionbook.cli import _main  # noqa: F401
from ionbook.execute import chapter_slugs, execute  # noqa: F401
from ionbook.site import build, html  # noqa: F401

if __name__ == "__main__":
    _main()
