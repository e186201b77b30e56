"""Every chapter at the papers' resolution through dask.distributed.

    python -m ionbook reproduce [--scheduler tcp://host:8786]

:func:`reproduce_all` executes every chapter of `_toc.yml` at ``quality="paper"``, one dask task per
chapter, then regenerates and prints the "What this book reproduces" table and builds the HTML.
"""
import os
import sys
import time
from pathlib import Path

from .parameters import CHAPTER_NEEDS, chapter_parameters
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
    from .provenance import chapter_version, code_version
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


def _watch_progress(bar, weight, done, data, stop, every=5.0):
    """Advance `bar` while chapters run: a finished chapter counts its whole expected cost, a
    running one the wall times its cached tasks have written into `data`/<slug> so far (capped
    at its expected cost). Runs until `stop` (a threading.Event) is set."""
    while not stop.wait(every):
        n = sum(weight[s] if s in done else min(weight[s], task_cost(data, s)[0])
                for s in weight)
        bar.n = min(bar.total, round(n))
        bar.refresh()


def reproduce_all(scheduler=None, *, slugs=None, quality="paper", n_workers=None,
                  parallel=None, build_html=True, root=None, out=sys.stdout, cost=None,
                  times=None, watch=None, failures=None):
    """Execute every chapter at `quality` (default "paper") as dask tasks, then print the
    reproduction table, regenerate `book/generated/reproduction.md` and build the HTML.

    scheduler: None → a LocalCluster of `n_workers` (default min(2, cores)) single-threaded
    worker processes; else the address of a running dask scheduler. Chapters whose parameters
    cell declares `scheduler` receive the cluster's address, so their sweeps run on the same
    cluster. At most `parallel` chapters (default: the number of workers) run at once.
    `cost` ({slug: expected seconds}) makes the progress bar count expected work instead of
    chapters, so that its estimate of the time left means something; with `watch` (the data
    folder the chapters cache into) the bar also advances as their cached tasks finish.
    `times` and `failures` (dicts, filled per chapter with its wall time and, if it failed, the
    error) let a caller see what happened to each chapter even when this raises.
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
    failures = {} if failures is None else failures
    times = {} if times is None else times
    try:
        todo = []
        for slug in slugs:
            params = {"quality": quality}
            if "scheduler" in chapter_parameters(slug, root):
                params["scheduler"] = address
            todo.append((slug, params))
        if cost:
            weight = {s: max(1.0, float(cost.get(s, 0.0))) for s in slugs}
            bar = tqdm(total=round(sum(weight.values())), desc="expected work", unit="s",
                       file=out)
        else:
            weight = {s: 1 for s in slugs}
            bar = tqdm(total=len(todo), desc="chapters", unit="chapter", file=out)
        done, stop = set(), None
        if cost and watch is not None:
            import threading
            stop = threading.Event()
            threading.Thread(target=_watch_progress, args=(bar, weight, done, watch, stop),
                             daemon=True).start()
        running = as_completed()
        # the most expensive chapters first (longest-processing-time order), so that no long
        # chapter starts last and leaves a worker idle at the end
        queue = sorted(todo, key=lambda t: -weight[t[0]]) if cost else list(todo)

        active = set()

        def submit_ready():
            # a chapter that reads another's cached results (CHAPTER_NEEDS) waits for it
            while queue and len(active) < parallel:
                ready = [t for t in queue if not (set(CHAPTER_NEEDS.get(t[0], ())) & set(slugs))
                         - done]
                if not ready:
                    return
                slug, params = ready[0]
                queue.remove(ready[0])
                active.add(slug)
                running.add(client.submit(_execute_chapter, slug, params, str(root), pure=False,
                                          key=f"chapter-{slug}-{time.time_ns()}"))

        submit_ready()
        for fut in running:
            slug, err, wall = fut.result()
            times[slug] = wall
            done.add(slug)
            active.discard(slug)
            if err:
                failures[slug] = err
            bar.set_postfix_str(f"{slug} {'FAILED' if err else 'done'} in {wall:.0f} s")
            if cost:     # the watcher (if any) adds the running chapters' finished tasks
                bar.n = min(bar.total, max(bar.n, round(sum(weight[s] for s in done))))
                bar.refresh()
            else:
                bar.update(1)
            submit_ready()
        if queue:
            raise ValueError("CHAPTER_NEEDS: chapters wait for each other in a cycle: "
                             + ", ".join(t[0] for t in queue))
        if stop is not None:
            stop.set()
        bar.n = bar.total
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


def _is_input(path, base):
    """True for the DFT points of the real-materials chapter: inputs made by an external code
    (``python -m ionbook dft``), copied into a from-scratch run rather than recomputed."""
    from .dft import INPUT_FOLDERS, SLUG
    parts = path.relative_to(base).parts
    return len(parts) > 2 and parts[0] == SLUG and parts[1] in INPUT_FOLDERS


def copy_inputs(book_data, data):
    """Copy the external inputs (see :func:`_is_input`) of the book's data/ into `data`."""
    import shutil

    from .dft import INPUT_FOLDERS, SLUG
    for folder in INPUT_FOLDERS:
        src = Path(book_data) / SLUG / folder
        if src.is_dir():
            shutil.copytree(src, Path(data) / SLUG / folder, dirs_exist_ok=True)


def expected_cost(root=None):
    """{slug: seconds}: the wall times recorded in the manifests of the book's cached results (the
    latest from-scratch re-run's where a manifest records one), the cost model of a from-scratch
    reproduction (chapter execution itself adds tens of seconds)."""
    import json
    from .paths import repo_root

    base = Path(root or repo_root()) / "data"
    cost = {}
    for man in base.glob("*/**/*.json"):
        slug = man.relative_to(base).parts[0]
        if slug == "checks" or not man.with_suffix(".npz").exists() or _is_input(man, base):
            continue
        m = json.loads(man.read_text())
        wall = (m.get("verified") or {}).get("rerun_wall_time_s") or m.get("wall_time_s") or 0.0
        cost[slug] = cost.get(slug, 0.0) + wall
    return cost


def task_cost(data, slug):
    """Core-seconds of the cached tasks a run left in `data`/<slug> (their manifests' wall
    times; the external DFT inputs excluded) and their number."""
    import json

    base = Path(data)
    mans = [m for m in (base / slug).rglob("*.json")
            if m.with_suffix(".npz").exists() and not _is_input(m, base)]
    return round(sum(json.loads(m.read_text()).get("wall_time_s") or 0.0 for m in mans), 1), len(mans)


def compare_records(book, fresh):
    """Match a from-scratch run's records with the book's: for every book record, the fresh record
    of the same quantity must exist, pass or fail alike, carry the same verdict, and (timings
    aside) have its value within the check's own tolerance of the book's value. Returns a list of
    (quantity, problem) for the records that do not match."""
    fresh_by = {r["quantity"]: r for r in fresh}
    problems = []
    for r in book:
        q = r["quantity"]
        f = fresh_by.get(q)
        if f is None:
            problems.append((q, "missing from the from-scratch run"))
            continue
        if f["passed"] != r["passed"] or f.get("verdict") != r.get("verdict"):
            problems.append((q, f"passed/verdict {f['passed']}/{f.get('verdict')} against the "
                                f"book's {r['passed']}/{r.get('verdict')}"))
            continue
        if r.get("volatile") or r.get("book") is None or isinstance(r["book"], str):
            continue
        import numpy as np
        a, b = np.asarray(r["book"], float), np.asarray(f["book"], float)
        if a.shape != b.shape:
            problems.append((q, "value of another shape"))
            continue
        tol = (r.get("atol") or 0.0) + (r.get("rtol") or 0.0) * np.abs(a)
        if not (r.get("atol") or r.get("rtol")):
            tol = 1e-9 * np.maximum(np.abs(a), 1e-300)   # qualitative check: its number as well
        if np.any(np.abs(a - b) > tol):
            problems.append((q, f"value {f['book']} against the book's {r['book']}"))
    return problems


def _adopt_versions(fresh_dir, book_dir):
    """Compare every result of a from-scratch run with the book's cached result of the same name;
    where the arrays agree (:func:`ionbook.cache.compare`), stamp the book's manifest with the
    fresh run's code version. Returns counts {"compared", "agree", "differ"}."""
    import json
    from datetime import datetime, timezone

    import numpy as np

    from .cache import compare

    n = {"compared": 0, "agree": 0, "differ": 0}
    if not fresh_dir.is_dir():
        return n
    for fm in sorted(fresh_dir.rglob("*.json")):
        bm = book_dir / fm.relative_to(fresh_dir)
        if not (bm.exists() and bm.with_suffix(".npz").exists() and fm.with_suffix(".npz").exists()):
            continue
        with np.load(bm.with_suffix(".npz")) as z:
            stored = {k: z[k] for k in z.files}
        with np.load(fm.with_suffix(".npz")) as z:
            fresh = {k: z[k] for k in z.files}
        ok, worst = compare(stored, fresh)
        n["compared"] += 1
        n["agree" if ok else "differ"] += 1
        m, f = json.loads(bm.read_text()), json.loads(fm.read_text())
        if ok and m.get("code_version") != f.get("code_version"):
            m["code_version"] = f.get("code_version")
            m["verified"] = {"by": "from-scratch run", "max_rel_diff": worst,
                             "rerun_wall_time_s": f.get("wall_time_s"),
                             "on": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            bm.write_text(json.dumps(m, indent=1, sort_keys=True) + "\n")
    return n


def _git_commit(root):
    """The checked-out commit of the book's repository (with "+changes" when tracked files differ
    from it), or None outside a git checkout."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, text=True, capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+changes" if dirty else "")


def from_scratch(out=None, slugs=None, scheduler=None, *, n_workers=None, root=None,
                 stream=sys.stdout, record=True, build_html=None):
    """Recompute every paper-quality result into an empty cache folder (never the book's
    `data/`), execute the chapters on it (:func:`reproduce_all`), compare each record with the
    book's (:func:`compare_records`) and write the summary (per chapter: wall time, cores, code
    version, whether every result matched) into `<out>/reproduction-from-scratch.json` and, with
    `record`, into the book's `data/reproduction-from-scratch.json` (chapter entries replaced,
    the run's whole-package code version and git commit in `last_run`/`whole_book`,
    others kept). An interrupted run resumes from the results already in `<out>/data`; a chapter
    that started from such results is marked ``resumed`` (its wall time is then a part).
    The HTML is built (`build_html` None) when every chapter was recomputed.
    Every fresh cached result is also compared with the book's of the same name; the book's
    manifests of those that agree get the current code version (:func:`_adopt_versions`).
    """
    import json
    from datetime import datetime, timezone

    from . import execute as ex
    from .checks import SCRATCH_ENV, book_record_path
    from .provenance import chapter_version, code_version

    root = Path(root or repo_root()).resolve()
    out = Path(out or root / "build" / "from-scratch").resolve()
    book_data = (root / "data").resolve()
    if out == book_data or book_data in out.parents or out in book_data.parents:
        raise ValueError(f"out must be a folder outside the book's data/ (got {out})")
    slugs = list(slugs or ex.chapter_slugs(root))
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    resumed = {s: (data / s).is_dir() and any(p for p in (data / s).rglob("*.npz")
                                              if not _is_input(p, data)) for s in slugs}
    copy_inputs(book_data, data)   # the DFT points: made by an external code, not recomputed
    cost = {s: c for s, c in expected_cost(root).items() if s in slugs}
    print(f"from scratch into {data}: {len(slugs)} chapter(s); the committed manifests record "
          f"{sum(cost.values()) / 3600:.2f} core-hours of cached work", file=stream)
    saved = {k: os.environ.get(k) for k in ("IONMOTION_DATA", SCRATCH_ENV)}
    os.environ["IONMOTION_DATA"], os.environ[SCRATCH_ENV] = str(data), str(out)
    do_html = set(slugs) >= set(ex.chapter_slugs(root)) if build_html is None else build_html
    t0 = time.perf_counter()
    times, failed = {}, {}
    failure = None
    try:
        try:
            # the HTML is built when the whole book was recomputed
            reproduce_all(scheduler, slugs=slugs, n_workers=n_workers, root=root, out=stream,
                          cost=cost, times=times, build_html=do_html, watch=data,
                          failures=failed)
        except SystemExit as e:
            failure = str(e)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    total = time.perf_counter() - t0
    chapters = {}
    caches = {s: _adopt_versions(data / s, root / "data" / s) for s in slugs}
    for s in slugs:
        mine = out / "checks" / f"{s}.paper.json"
        fresh = json.loads(mine.read_text()) if mine.exists() else []
        bookp = book_record_path(s, root)
        book = json.loads(bookp.read_text()) if bookp.exists() else []
        problems = compare_records(book, fresh) if fresh else [("*", "chapter did not run")]
        if s in failed:     # its records may be complete and still the chapter stopped
            problems.insert(0, ("*", f"chapter failed: {str(failed[s])[:300]}"))
        core, n_tasks = task_cost(data, s)
        chapters[s] = {"wall_time_s": round(times.get(s, 0.0), 1), "resumed": resumed[s],
                       "task_core_s": core, "tasks": n_tasks,
                       "code_version": chapter_version(s, root), "records": len(book),
                       "matched": not problems and caches[s]["differ"] == 0,
                       "cached_results": caches[s],
                       "problems": [f"{q}: {p}" for q, p in problems][:20]}
    summary = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "cores": os.cpu_count(), "n_workers": n_workers or max(1, min(2, os.cpu_count() or 1)),
               "code_version": code_version(), "git_commit": _git_commit(root),
               "wall_time_s": round(total, 1), "chapters": chapters,
               "all_matched": all(c["matched"] for c in chapters.values()) and failure is None}
    (out / "reproduction-from-scratch.json").write_text(json.dumps(summary, indent=1) + "\n")
    if record:
        dst = root / "data" / "reproduction-from-scratch.json"
        old = json.loads(dst.read_text()) if dst.exists() else {"chapters": {}}
        merged = dict(old.get("chapters", {}), **{s: dict(c, created=summary["created"],
                                                          cores=summary["cores"])
                                                  for s, c in chapters.items()})
        run = {k: summary[k] for k in ("created", "cores", "n_workers", "code_version",
                                       "git_commit", "wall_time_s", "all_matched")}
        run.update(chapters=slugs, html_built=bool(failure is None and do_html),
                   task_core_s=round(sum(c["task_core_s"] for c in chapters.values()), 1))
        whole = old.get("whole_book")
        if run["html_built"]:
            whole = run
        full = {"chapters": merged, "last_run": run, "whole_book": whole,
                "all_matched": all(c["matched"] for c in merged.values()),
                "note": "per-chapter entries from `python -m ionbook reproduce --from-scratch` "
                        "(each says when and on how many cores it ran; chapters run two at a "
                        "time, so their wall times overlap); last_run: the latest invocation; "
                        "whole_book: the latest run of every chapter, HTML included"}
        dst.write_text(json.dumps(full, indent=1, sort_keys=True) + "\n")
    for s, c in chapters.items():
        print(f"{s}: {c['wall_time_s']:.0f} s, {'matched' if c['matched'] else 'DIFFERS'}"
              + (" (resumed)" if c["resumed"] else ""), file=stream)
        for p in c["problems"]:
            print(f"    {p}", file=stream)
    print(f"total {total:.0f} s; every result matched: {summary['all_matched']}", file=stream)
    if failure:
        raise SystemExit(failure)
    return summary

