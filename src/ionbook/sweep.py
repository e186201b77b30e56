"""Sweeps as independent dask.distributed tasks, each cached in `data/<slug>/<name>/`.

Every task is a call `func(**params)` returning a dict of arrays. Finished tasks are written to
`data/<slug>/<name>/<hash>.npz` + `.json` (manifest) as they complete, so an interrupted sweep
resumes where it stopped: tasks whose manifest parameters match are not run again.

Scheduler choice (argument `scheduler`, else the environment variable IONMOTION_SCHEDULER):
- None or "local": a dask.distributed LocalCluster with one single-threaded worker process per core;
- "tcp://host:port" (any address): an existing dask cluster;
- "synchronous": run in this process without dask (tests, debugging).
"""
import os
import time

from . import cache


def _progress_bar(**kw):
    """A tqdm bar: the notebook widget where ipywidgets is installed, else plain text.

    (`tqdm.auto` warns "IProgress not found" into every chapter's output when imported in a
    kernel without ipywidgets, so the choice is made here, and only when a bar is wanted.)
    """
    from tqdm.std import tqdm
    if kw.get("disable"):
        return tqdm(**kw)
    try:
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        pass
    return tqdm(**kw)


def _task_name(name, params):
    return f"{name}/{cache.param_hash(params)}"


def _run_one(func, params):
    t0 = time.perf_counter()
    out = func(**params)
    return out, time.perf_counter() - t0


def run_sweep(func, tasks, *, slug, name, scheduler=None, retries=2, progress=True,
              seed_key="seed", n_workers=None, refresh=False):
    """Run func(**p) for every p in `tasks`; return the list of result dicts in task order.

    Results already in data/<slug>/<name>/ with matching parameters are reused (resume).
    Failed tasks are retried `retries` times by dask before the sweep raises.
    """
    tasks = [dict(p) for p in tasks]
    results = [None] * len(tasks)
    todo = []
    verify = {}   # index: manifest of a cached result to re-run and compare (cache.VERIFY_ENV)
    for i, p in enumerate(tasks):
        hit = None if refresh else cache.load(slug, _task_name(name, p), p,
                                              code_modules=cache._modules_of(func))
        if hit is None:
            todo.append(i)
        else:
            results[i] = hit
            due = cache.verification_due(slug, _task_name(name, p), p, cache._modules_of(func))
            if due:
                verify[i] = due
    (cache.data_dir(slug) / name).mkdir(parents=True, exist_ok=True)
    if not todo and not verify:
        return results
    scheduler = scheduler or os.environ.get("IONMOTION_SCHEDULER") or "local"
    todo += sorted(verify)
    bar = _progress_bar(total=len(tasks), initial=len(tasks) - len(todo), desc=f"{slug}/{name}",
               disable=not progress)

    def store(i, out, wall):
        p = tasks[i]
        if i in verify:
            cache.record_verification(slug, _task_name(name, p), verify[i], results[i], out, wall,
                                      cache._modules_of(func))
            bar.update(1)
            return
        cache.save(slug, _task_name(name, p), p, out, seed=p.get(seed_key), wall_time=wall,
                   code_modules=cache._modules_of(func))
        results[i] = cache.load(slug, _task_name(name, p), p)
        bar.update(1)

    try:
        if scheduler == "synchronous":
            for i in todo:
                out, wall = _run_one(func, tasks[i])
                store(i, out, wall)
        else:
            import dask
            from dask.distributed import Client, LocalCluster, as_completed
            if scheduler == "local":
                nw = n_workers or max(1, min(len(todo), os.cpu_count() or 1))
                # a numba kernel may hold a core for many minutes; on a loaded machine the
                # worker's heartbeats then arrive late, and the default time-to-live (5 min)
                # would make the scheduler drop the worker and rerun its task
                with dask.config.set({"distributed.scheduler.worker-ttl": None}):
                    cluster = LocalCluster(n_workers=nw, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
                client = Client(cluster)
            else:
                cluster, client = None, Client(scheduler)
            try:
                futs = {client.submit(_run_one, func, tasks[i], retries=retries, pure=False): i
                        for i in todo}
                for fut in as_completed(futs):
                    out, wall = fut.result()
                    store(futs[fut], out, wall)
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
    finally:
        bar.close()
    return results


def load_sweep(slug, name, tasks):
    """Results of a sweep already cached in data/<slug>/<name>/, without computing anything.

    The one way a chapter reads a cached sweep (the files are named by :func:`run_sweep`).

    Parameters
    ----------
    slug : str
        The chapter whose data folder holds the sweep.
    name : str
        The sweep's folder inside it.
    tasks : sequence of dict
        The task parameters; a result is returned only where its manifest matches them.

    Returns
    -------
    list
        One dict of arrays per task, in task order, None where the task is not cached.
    """
    return [cache.load(slug, _task_name(name, p), p) for p in tasks]


def run_or_load(func, tasks, *, slug, name, compute, scheduler=None, n_workers=None):
    """:func:`run_sweep` when `compute` is true, else :func:`load_sweep` (None where missing).

    A draft execution shows what a paper-quality sweep left in the cache without starting it.
    """
    if compute:
        return run_sweep(func, tasks, slug=slug, name=name, scheduler=scheduler, progress=False,
                         n_workers=n_workers)
    return load_sweep(slug, name, tasks)


def longest_available(sources, key):
    """Per parameter set, the results of the first source that has any.

    Parameters
    ----------
    sources : sequence of (results, tasks, label)
        Sweeps in order of preference (e.g. 3 ns before 300 ps before draft); `results` as
        returned by :func:`run_sweep` or :func:`load_sweep` (None where missing).
    key : callable
        Maps a task dict to its parameter-set key, e.g. ``lambda p: (p["kT"], p["U0"])``.

    Returns
    -------
    dict
        key -> {"label": label, "runs": [results], "params": [tasks]}; a parameter set takes all
        its available runs from the first source that has at least one.
    """
    out = {}
    for results, tasks, label in sources:
        if len(results) != len(tasks):
            raise ValueError(f"sources: {label!r} has {len(results)} results for {len(tasks)} tasks")
        for r, p in zip(results, tasks):
            k = key(p)
            if r is None or (k in out and out[k]["label"] != label):
                continue
            entry = out.setdefault(k, {"label": label, "runs": [], "params": []})
            entry["runs"].append(r)
            entry["params"].append(p)
    return out


def summarize_runs(entries, describe):
    """One line saying which runs a page uses: "3 × 3 ns for a, b; 1 × draft for c".

    Parameters
    ----------
    entries : dict
        As returned by :func:`longest_available`.
    describe : callable
        Text of one parameter-set key.
    """
    by = {}
    for key, v in sorted(entries.items()):
        by.setdefault(f"{len(v['runs'])} × {v['label']}", []).append(key)
    return "; ".join(f"{lab} for " + ", ".join(describe(k) for k in ks) for lab, ks in by.items())


def coverage(results, tasks, key):
    """How much of a sweep is cached: (tasks done, tasks, parameter sets, "a/b" runs per set).

    Parameters
    ----------
    results : sequence
        As returned by :func:`load_sweep` (None where missing).
    tasks : sequence of dict
        The sweep's task parameters.
    key : callable
        Maps a task dict to its parameter-set key.
    """
    if len(results) != len(tasks):
        raise ValueError(f"results: {len(results)} for {len(tasks)} tasks")
    per = {}
    for r, p in zip(results, tasks):
        per.setdefault(key(p), []).append(r is not None)
    done = sum(sum(v) for v in per.values())
    counts = sorted({sum(v) for v in per.values()})
    return done, len(tasks), len(per), "/".join(map(str, counts))


def sweep_manifests(slug, name):
    """Manifests of every cached task of a sweep (parameters, seed, version, wall time)."""
    import json
    d = cache.data_dir(slug) / name
    return [json.loads(p.read_text()) for p in sorted(d.glob("*.json"))]


def cached_or_run(func, tasks, *, slug, name, scheduler=None, fallback=None):
    """run_sweep, but if every task of ``fallback`` = (tasks2, name2) is already cached, return
    those instead (lets a draft execution show a committed paper-quality sweep). Returns
    (tasks used, results, name used)."""
    if fallback is not None:
        t2, n2 = fallback
        hits = load_sweep(slug, n2, t2)
        if all(h is not None for h in hits):
            return t2, hits, n2
    return tasks, run_sweep(func, tasks, slug=slug, name=name, scheduler=scheduler,
                            progress=False), name
