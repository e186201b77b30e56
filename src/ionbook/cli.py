"""The book's command line: execute chapters with papermill, build the HTML with Jupyter Book,
make and grade coursework.

    python -m ionbook list                     # the chapters, with their titles
    python -m ionbook params model-framework   # a chapter's parameters: default, type, allowed
    python -m ionbook execute model-framework -p k2 120 -p quality draft
    python -m ionbook html                     # HTML only, from already executed chapters
    python -m ionbook build                    # every chapter at quality="paper" (caches), HTML
    python -m ionbook build --quality draft    # quick executions (what CI runs)
    python -m ionbook pdf                      # the book as PDF
    python -m ionbook assignment model-framework --exercises 1 3 --out assignments/
    python -m ionbook grade assignments/model-framework submissions/ --csv scores.csv
    python -m ionbook reproduce                # every chapter at paper quality via dask

A chapter is `notebooks/<slug>.md` (jupytext MyST); its executed copy is
`book/generated/<slug>.ipynb`, which `_toc.yml` lists. Jupyter Book never executes anything
(`execute_notebooks: off`). A mistake on the command line (an unknown chapter or parameter, a
value of the wrong type) is answered with one line naming what is allowed, and exit code 2; a
chapter that fails is reported in one line with exit code 1 and not published. A reproduction
check that fails only at a reader's own parameters is a result, not a failure: one line per check
("check not met at your parameters ..."), the chapter is published, exit code 0.
"""
import argparse
import os
import sys


class UsageError(Exception):
    """A command-line mistake: printed as one line, exit code 2."""


def _chapters_epilog(with_parameters=False):
    """The chapters (slug, title) for the help screens; with `with_parameters` (only when help
    is asked for: reading every parameters cell takes a moment) each chapter's parameter names."""
    try:
        from .parameters import chapter_title, known_chapters, parameter_specs

        slugs = known_chapters()
        width = max(map(len, slugs), default=0)
        lines = []
        for s in slugs:
            lines.append(f"  {s.ljust(width)}  {chapter_title(s)}")
            if with_parameters:
                lines.append(f"  {'':{width}}  -p {', '.join(parameter_specs(s))}")
        return ("chapters" + (" and their parameters" if with_parameters else "") + ":\n"
                + "\n".join(lines)
                + "\n\ndefaults, types and allowed values: python -m ionbook params <chapter>")
    except Exception:  # help must work even outside a checkout
        return "chapters: python -m ionbook list"


def _parser(with_parameters=False):
    fmt = argparse.RawDescriptionHelpFormatter
    epilog = _chapters_epilog(with_parameters)
    p = argparse.ArgumentParser(prog="python -m ionbook", description=__doc__,
                                formatter_class=fmt, epilog=epilog)
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    sub.add_parser("list", help="the chapters (slug and title)")
    pa = sub.add_parser("params", help="a chapter's parameters", formatter_class=fmt,
                        epilog=epilog)
    pa.add_argument("slug", metavar="CHAPTER")
    b = sub.add_parser("build", help="execute every chapter, then build the HTML",
                       formatter_class=fmt, epilog=epilog)
    b.add_argument("--quality", default="paper",
                   help='"paper" (default: the published book, read from the data/ caches) or '
                        '"draft" (quick, what CI runs)')
    b.add_argument("--only", nargs="*", metavar="CHAPTER",
                   help="execute only these chapters (the others must already be executed)")
    b.add_argument("--jobs", type=int, default=2)
    e = sub.add_parser("execute", help="execute one chapter with parameters",
                       formatter_class=fmt, epilog=epilog,
                       description="Execute one chapter into book/generated/<chapter>.ipynb. "
                                   "`python -m ionbook params CHAPTER` lists its parameters.")
    e.add_argument("slug", metavar="CHAPTER")
    e.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                   metavar=("NAME", "VALUE"), help="set a parameter (repeat for several)")
    sub.add_parser("html", help="build the HTML from the executed chapters")
    sub.add_parser("pdf", help="build the book as PDF (ionbook.site.pdf)")
    a = sub.add_parser("assignment", formatter_class=fmt, epilog=epilog,
                       help="an autograded assignment (otter-grader) from a chapter")
    a.add_argument("slug", metavar="CHAPTER")
    a.add_argument("--exercises", nargs="*", default=None, metavar="N",
                   help="exercises to include: numbers in the chapter (1 3) or labels "
                        "(default: all)")
    a.add_argument("--out", default="assignments", help="folder (default: assignments/)")
    a.add_argument("--pdf", action="store_true", help="also print the student notebook to PDF")
    a.add_argument("--no-check", action="store_true",
                   help="do not run the instructor notebook's tests against its solutions")
    g = sub.add_parser("grade", help="grade a folder of submitted notebooks into a CSV")
    g.add_argument("assignment", help="the assignment folder (or its autograder .zip)")
    g.add_argument("submissions", help="folder of submitted .ipynb files")
    g.add_argument("--csv", default=None, help="output CSV (default: <submissions>/scores.csv)")
    d = sub.add_parser("dft", help="the DFT points of the real-materials chapter (needs GPAW: "
                                   "bash .ci/install-dft.sh); resumable")
    d.add_argument("kind", choices=["lattice", "convergence", "grid", "holdout", "saddle"],
                   help="lattice: E(a) scan and elastic constants; convergence: cutoff, k-points, "
                        "smearing; grid: the wedge of the a/N grid; holdout: off-grid test points; "
                        "saddle: the hop's saddle and the Hessians there and at the site")
    d.add_argument("material", help="AgCl, LiCl or LiI")
    d.add_argument("--n", type=int, default=16, help="grid divisions per edge (grid; default 16)")
    d.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    d.add_argument("--scheduler", default=None, help="dask scheduler address (default: local)")
    r = sub.add_parser("reproduce", help="all chapters at quality=paper via dask.distributed")
    r.add_argument("--scheduler", default=None, help="dask scheduler address (default: local)")
    r.add_argument("--stale", action="store_true",
                   help="re-run only the chapters and cached results made by other code than the current")
    r.add_argument("--verify-caches", type=float, default=None, metavar="SECONDS",
                   help="re-run cached results made by unrecorded code that took at most SECONDS, "
                        "compare, and stamp the ones that agree with the current code version")
    r.add_argument("--from-scratch", action="store_true",
                   help="recompute every cached result into an empty folder (--out), compare each "
                        "record with the book's, write data/reproduction-from-scratch.json")
    r.add_argument("--out", default=None,
                   help="with --from-scratch: the folder (default build/from-scratch; resumes)")
    r.add_argument("chapters", nargs="*",
                   help="with --verify-caches or --from-scratch: only these chapters")
    return p


def _parameters(pairs):
    params = {}
    for name, value in pairs:
        if name in params:
            raise UsageError(f"parameter {name!r} given twice")
        params[name] = value  # converted by the chapter's declared type (ionbook.parameters)
    return params


def _chapter(slug):
    from .parameters import chapter_source

    chapter_source(slug)  # ParameterError naming the chapters
    return slug


def _html_guard():
    from .execute import unpublishable

    missing, broken = unpublishable()
    if missing:
        raise UsageError(
            f"{len(missing)} chapter(s) not executed yet ({', '.join(missing)}): run "
            "`python -m ionbook build` (all chapters, then the HTML) or "
            f"`python -m ionbook execute {missing[0]}` for one")
    if broken:
        raise UsageError(f"not publishing chapter(s) with errors in book/generated/: "
                         f"{', '.join(broken)}; re-run `python -m ionbook execute {broken[0]}`")


def run(argv=None):
    """The command line; returns the exit code."""
    from .execute import ChapterFailed
    from .parameters import ParameterError, QUALITIES

    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(with_parameters=bool({"-h", "--help"} & set(argv))).parse_args(argv)
    try:
        if args.cmd == "list":
            from .parameters import chapter_title, known_chapters

            slugs = known_chapters()
            width = max(map(len, slugs), default=0)
            for s in slugs:
                print(f"{s.ljust(width)}  {chapter_title(s)}")
        elif args.cmd == "params":
            from .parameters import describe

            print(describe(_chapter(args.slug)))
        elif args.cmd == "execute":
            from .execute import execute

            execute(_chapter(args.slug), _parameters(args.parameter))
        elif args.cmd == "build":
            from .site import build

            if args.quality not in QUALITIES:
                raise ParameterError(f"--quality must be \"draft\" or \"paper\"; got "
                                     f"{args.quality!r}")
            for slug in args.only or []:
                _chapter(slug)
            print(build(args.quality, args.only, args.jobs))
        elif args.cmd == "html":
            from .site import html

            _html_guard()
            print(html())
        elif args.cmd == "pdf":
            try:
                from .site import pdf
            except ImportError:
                raise UsageError("this version of the book has no PDF build "
                                 "(ionbook.site.pdf is missing)") from None
            print(pdf())
        elif args.cmd == "assignment":
            from .grading import make_assignment

            result = make_assignment(_chapter(args.slug), args.out, exercises=args.exercises,
                                     pdf=args.pdf, check=not args.no_check)
            for line in result.summary():
                print(line)
        elif args.cmd == "grade":
            from .grading import grade_folder

            table = grade_folder(args.assignment, args.submissions, args.csv)
            print(table.summary())
        elif args.cmd == "dft":
            from . import dft as dftcmd
            from ionmotion.materials import material

            try:
                material(args.material)
                dftcmd.run(args.kind, args.material, args.n, args.scheduler, args.jobs)
            except ValueError as e:
                raise UsageError(str(e)) from None
        elif args.cmd == "reproduce":
            from .reproduce import reproduce_all, reproduce_stale

            from .parameters import chapter_source

            for slug in args.chapters:
                chapter_source(slug)   # ParameterError naming the chapters
            if args.from_scratch:
                from .reproduce import from_scratch

                summary = from_scratch(args.out, args.chapters or None, args.scheduler)
                return 0 if summary["all_matched"] else 1
            if args.verify_caches is not None:
                from .reproduce import verify_caches

                rows = verify_caches(args.verify_caches, args.chapters or None)
                return 1 if any(not r["agree"] for r in rows) else 0
            (reproduce_stale if args.stale else reproduce_all)(args.scheduler)
    except (ParameterError, UsageError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ChapterFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


def _main(argv=None):
    try:
        code = run(argv)
        sys.stdout.flush()
    except BrokenPipeError:  # `python -m ionbook list | head`: the reader has what they wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    _main()
