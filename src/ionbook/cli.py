"""The book pipeline: execute chapters with papermill, then build HTML with Jupyter Book.

    python -m ionbook build                 # every chapter at quality="draft", then the HTML
    python -m ionbook build --quality paper # the papers' resolution (uses data/ caches)
    python -m ionbook execute model-framework -p quality paper -p n_grid 64
    python -m ionbook html                  # HTML only, from already executed chapters
    python -m ionbook assignment model-framework --out assignments/
    python -m ionbook reproduce             # all chapters at paper quality via dask

A chapter is `notebooks/<slug>.md` (jupytext MyST); its executed copy is
`book/generated/<slug>.ipynb`, which `_toc.yml` lists. Jupyter Book never executes anything
(`execute_notebooks: off`); a cell error fails `execute`, and `html` runs Sphinx with `-W`
(warnings are errors).
"""
import argparse

from .execute import _parse_value, execute
from .site import build, html


def _main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ionbook", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="execute every chapter, then build the HTML")
    b.add_argument("--quality", default="draft", choices=["draft", "paper"])
    b.add_argument("--only", nargs="*", help="execute only these slugs (others must exist)")
    b.add_argument("--jobs", type=int, default=2)
    e = sub.add_parser("execute", help="execute one chapter with parameters")
    e.add_argument("slug")
    e.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                   metavar=("NAME", "VALUE"))
    sub.add_parser("html", help="build the HTML from executed chapters")
    a = sub.add_parser("assignment", help="solution-free copies of chapters for coursework")
    a.add_argument("slugs", nargs="+")
    a.add_argument("--out", default="assignments")
    r = sub.add_parser("reproduce", help="all chapters at quality=paper via dask.distributed")
    r.add_argument("--scheduler", default=None, help="dask scheduler address (default: local)")
    r.add_argument("--stale", action="store_true",
                   help="re-run only the chapters and cached results made by other code than the current")
    args = p.parse_args(argv)
    if args.cmd == "build":
        print(build(args.quality, args.only, args.jobs))
    elif args.cmd == "execute":
        execute(args.slug, {k: _parse_value(v) for k, v in args.parameter})
    elif args.cmd == "html":
        print(html())
    elif args.cmd == "assignment":
        from .coursework import make_assignment
        for slug in args.slugs:
            print(make_assignment(slug, args.out))
    elif args.cmd == "reproduce":
        from .reproduce import reproduce_all, reproduce_stale
        (reproduce_stale if args.stale else reproduce_all)(args.scheduler)


if __name__ == "__main__":
    _main()
