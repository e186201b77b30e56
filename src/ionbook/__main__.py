"""``python -m ionbook``: the book's command line (see :mod:`ionbook.cli`)."""
from .cli import _main

if __name__ == "__main__":
    _main()
