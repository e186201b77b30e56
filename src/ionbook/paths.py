"""Where the book's files live: the repository root, `data/<slug>/`, the checks record."""
import os
from pathlib import Path


def repo_root():
    """The book's top folder: $IONMOTION_ROOT, else the first parent of the cwd with `_toc.yml`,
    else the parent of `src/` this package was imported from."""
    env = os.environ.get("IONMOTION_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for p in (here, *here.parents):
        if (p / "_toc.yml").is_file():
            return p
    pkg = Path(__file__).resolve().parent
    for p in pkg.parents:
        if (p / "_toc.yml").is_file():
            return p
    return here


def data_dir(slug):
    """`data/<slug>/` (created if missing): one folder per chapter, named by its slug."""
    d = repo_root() / "data" / slug
    d.mkdir(parents=True, exist_ok=True)
    return d
