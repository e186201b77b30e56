"""ionbook: the book pipeline around the `ionmotion` physics package.

Layers, imports running one way (``ionbook`` imports ``ionmotion``, never the reverse):

- :mod:`ionbook.cli`: the command line (``python -m ionbook``; ``python -m ionmotion.book`` is
  an alias), chapter execution with papermill and the HTML build;
- :mod:`ionbook.checks`: reproduction checks and their records in ``data/checks/``;
- :mod:`ionbook.cache`, :mod:`ionbook.sweep`: cached results with manifests, dask sweeps;
- :mod:`ionbook.coursework`: assignments and the whole-book reproduction;
- :mod:`ionbook.paths`, :mod:`ionbook.style`: where files live, the figure style.
"""
from ionmotion import __version__  # noqa: F401  (one version for the distribution)
