"""Where the book's files live: the repository root, the data folder, the checks record.

The data folder (cached results and sweeps, one sub-folder per slug) is chosen explicitly:

1. ``$IONMOTION_DATA`` if set: any folder a user names;
2. else, inside the book (``$IONMOTION_ROOT`` set, or the current folder or one of its parents
   holds ``_toc.yml``): the book's ``data/`` folder;
3. else the user's cache folder ``$XDG_CACHE_HOME/ionmotion`` (``~/.cache/ionmotion``).

So :func:`ionbook.cache.cached` and :func:`ionbook.sweep.run_sweep` called from a researcher's
own project never write into the book's ``data/`` unless asked (set ``IONMOTION_DATA`` or
``IONMOTION_ROOT``). :func:`repo_root` keeps its fallback to the book this package was
installed from, for the pipeline commands (execute, html, reproduce).
"""
import os
from pathlib import Path


def _book_root_from_env_or_cwd():
    """$IONMOTION_ROOT, else the first parent of the cwd with `_toc.yml`, else None."""
    env = os.environ.get("IONMOTION_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for p in (here, *here.parents):
        if (p / "_toc.yml").is_file():
            return p
    return None


def repo_root():
    """The book's top folder: $IONMOTION_ROOT, else the first parent of the cwd with `_toc.yml`,
    else the parent of `src/` this package was imported from."""
    root = _book_root_from_env_or_cwd()
    if root is not None:
        return root
    pkg = Path(__file__).resolve().parent
    for p in pkg.parents:
        if (p / "_toc.yml").is_file():
            return p
    return Path.cwd().resolve()


def data_root():
    """The folder that holds one sub-folder of cached results per slug (see the module
    docstring for the order: $IONMOTION_DATA, the book's data/, ~/.cache/ionmotion)."""
    env = os.environ.get("IONMOTION_DATA")
    if env:
        return Path(env).expanduser().resolve()
    root = _book_root_from_env_or_cwd()
    if root is not None:
        return root / "data"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser().resolve() / "ionmotion"


def data_dir(slug):
    """`<data root>/<slug>/` (created if missing): one folder per chapter or user project."""
    if not slug or "/" in str(slug) or str(slug) in (".", ".."):
        raise ValueError(f"slug must be a plain folder name, got {slug!r}")
    d = data_root() / slug
    d.mkdir(parents=True, exist_ok=True)
    return d
