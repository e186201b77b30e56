"""Every chapter at the papers' resolution through dask.distributed.

    python -m ionbook reproduce [--scheduler tcp://host:8786]

:func:`reproduce_all` executes every chapter of `_toc.yml` at ``quality="paper"``, one dask task per
chapter, then regenerates and prints the "What this book reproduces" table and builds the HTML.
"""
import os
import sys
import time
from pathlib import Path

from .parameters import chapter_parameters
from .paths import repo_root


def _execute_chapter(slug, parameters, root):
    """Dask task: execute one chapter. Inside a worker it secedes from the worker's thread pool
    while the kernel runs, so that sweeps the chapter sends to the same cluster can use the
    worker (no deadlock with one single-threaded worker)."""
    from . import execute as ex

    seceded = False
    try:
        from distributed import rejoin, secede
        from distributed.worker import get_worker
        get_worker()
        secede()
        seceded = True
    except (ImportError, ValueError):
        pass
    t0 = time.perf_counter()
    try:
        ex.execute(slug, parameters, root, log=lambda *a: None)
        return slug, None, time.perf_counter() - t0
    except BaseException as e:  # report, do not kill the other chapters
        msg = str(e).strip().splitlines()
        return slug, f"{type(e).__name__}: {msg[-1] if msg else ''}", time.perf_counter() - t0
    finally:
        if seceded:
            rejoin()


def summary_table(records):
    """Plain-text table of check records (for the terminal)."""
    from .checks import fmt

    rows = [("chapter", "quantity", "paper", "book", "tolerance", "result")]
    for r in records:
        tol = ", ".join(f"{k} {r[k]:g}" for k in ("rtol", "atol") if r.get(k) is not None)
        rows.append((r["chapter"], r["quantity"] + (f" [{r['unit']}]" if r.get("unit") else ""),
                     fmt(r["paper"]), fmt(r["book"]), tol or "—",
                     "pass" if r["passed"] else "FAIL"))
    w = [min(40, max(len(str(row[c])) for row in rows)) for c in range(6)]
    return "\n".join("  ".join(str(v)[:40].ljust(w[c]) for c, v in enumerate(row)).rstrip()
                     for row in rows)


def stale_chapters(root=None):
    """Chapters whose paper-quality record is missing or was made by other code than the current
    (a record's `code_version` against :func:`ionbook.provenance.chapter_version`)."""
    from . import execute as ex
    from .checks import book_record_path
    from .provenance import chapter_version
    import json

    root = Path(root or repo_root())
    out = []
    for slug in ex.chapter_slugs(root):
        path = book_record_path(slug, root)
        recs = json.loads(path.read_text()) if path.exists() else []
        now = chapter_version(slug, root)
        if not recs or any(r.get("code_version") != now for r in recs):
            out.append(slug)
    return out


def reproduce_stale(scheduler=None, *, root=None, out=sys.stdout, **kw):
    """Re-run exactly what the current code would compute differently: cached results whose
    manifest names other code are recomputed (environment ``IONBOOK_REFRESH_STALE=1`` in every
    chapter's kernel), and the chapters whose records are stale are re-executed. Chapters and
    caches made by the current code are not touched."""
    from .cache import STALE_ENV

    slugs = stale_chapters(root)
    if not slugs:
        print("every chapter's record was made by the current code; nothing to re-run", file=out)
        return []
    print("stale: " + ", ".join(slugs), file=out)
    old = os.environ.get(STALE_ENV)
    os.environ[STALE_ENV] = "1"
    try:
        return reproduce_all(scheduler, slugs=slugs, root=root, out=out, **kw)
    finally:
        if old is None:
            os.environ.pop(STALE_ENV, None)
        else:
            os.environ[STALE_ENV] = old


def reproduce_all(scheduler=None, *, slugs=None, quality="paper", n_workers=None,
                  parallel=None, build_html=True, root=None, out=sys.stdout):
    """Execute every chapter at `quality` (default "paper") as dask tasks, then print the
    reproduction table, regenerate `book/generated/reproduction.md` and build the HTML.

    scheduler: None → a LocalCluster of `n_workers` (default min(2, cores)) single-threaded
    worker processes; else the address of a running dask scheduler. Chapters whose parameters
    cell declares `scheduler` receive the cluster's address, so their sweeps run on the same
    cluster. At most `parallel` chapters (default: the number of workers) run at once.
    Raises SystemExit if a chapter failed or a recorded check failed.
    """
    from dask.distributed import Client, LocalCluster, as_completed
    from tqdm.auto import tqdm

    from . import execute as ex, site
    from .checks import load_records

    root = Path(root or repo_root()).resolve()
    slugs = list(slugs or ex.chapter_slugs(root))
    missing = [s for s in slugs if not (root / "notebooks" / f"{s}.md").exists()]
    if missing:
        raise ValueError(f"no notebooks/<slug>.md for {missing}")
    cluster = None
    if scheduler in (None, "local"):
        nw = n_workers or max(1, min(2, os.cpu_count() or 1))
        cluster = LocalCluster(n_workers=nw, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        client = Client(cluster)
    else:
        client = Client(scheduler)
    address = client.scheduler.address
    parallel = parallel or max(1, len(client.scheduler_info()["workers"]))
    print(f"reproducing {len(slugs)} chapter(s) at quality={quality!r} on {address} "
          f"({parallel} at a time; dashboard {client.dashboard_link})", file=out)
    failures, times = {}, {}
    try:
        todo = []
        for slug in slugs:
            params = {"quality": quality}
            if "scheduler" in chapter_parameters(slug, root):
                params["scheduler"] = address
            todo.append((slug, params))
        bar = tqdm(total=len(todo), desc="chapters", unit="chapter", file=out)
        running = as_completed()
        queue = list(todo)

        def submit_next():
            slug, params = queue.pop(0)
            running.add(client.submit(_execute_chapter, slug, params, str(root), pure=False,
                                      key=f"chapter-{slug}-{time.time_ns()}"))

        for _ in range(min(parallel, len(queue))):
            submit_next()
        for fut in running:
            slug, err, wall = fut.result()
            times[slug] = wall
            if err:
                failures[slug] = err
            bar.set_postfix_str(f"{slug} {'FAILED' if err else 'done'} in {wall:.0f} s")
            bar.update(1)
            if queue:
                submit_next()
        bar.close()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    failed_checks = site.write_summary(root)
    recs = [r for r in load_records(root) if r["chapter"] in slugs and r["quality"] == quality]
    print(f"\nWhat this book reproduces (quality={quality!r}):", file=out)
    print(summary_table(recs), file=out)
    n_fail = sum(not r["passed"] for r in recs)
    print(f"\n{len(recs)} checks, {len(recs) - n_fail} passed, {n_fail} failed; "
          f"chapters: " + ", ".join(f"{s} {times.get(s, 0):.0f} s" for s in slugs), file=out)
    if failures:
        for slug, err in failures.items():
            print(f"chapter {slug} failed: {err}", file=out)
        raise SystemExit(f"{len(failures)} chapter(s) failed: {', '.join(failures)}")
    if failed_checks:
        raise SystemExit(f"{len(failed_checks)} recorded check(s) failed")
    if build_html:
        print(site.html(root), file=out)
    return recs


def verify_caches(budget, slugs=None, *, root=None, out=sys.stdout):
    """Re-run every cached result that records no current code version and took at most `budget`
    seconds when it was made, compare it with the stored one, and stamp the manifests that agree
    (:data:`ionbook.cache.VERIFY_ENV`). Chapters run one after the other at paper quality;
    returns the list of comparisons (also in build/verify-caches.jsonl)."""
    import json
    from . import execute as ex
    from .cache import VERIFY_ENV
    from .paths import repo_root

    root = Path(root or repo_root())
    log = root / "build" / "verify-caches.jsonl"
    log.unlink(missing_ok=True)
    from .cache import unversioned_caches

    slugs = slugs or [s for s, (_, k) in unversioned_caches(root).items() if k]
    old = os.environ.get(VERIFY_ENV)
    os.environ[VERIFY_ENV] = str(float(budget))
    try:
        for slug in slugs:
            t0 = time.perf_counter()
            ex.execute(slug, {"quality": "paper"}, root, log=lambda *a: None)
            print(f"{slug}: executed with verification in {time.perf_counter() - t0:.0f} s",
                  file=out)
    finally:
        if old is None:
            os.environ.pop(VERIFY_ENV, None)
        else:
            os.environ[VERIFY_ENV] = old
    rows = [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []
    bad = [r for r in rows if not r["agree"]]
    print(f"re-ran {len(rows)} cached results: {len(rows) - len(bad)} agree, {len(bad)} differ",
          file=out)
    for r in bad:
        print(f"  differs: {r['slug']}/{r['name']} (worst relative difference "
              f"{r['max_rel_diff']:.3g})", file=out)
    return rows

