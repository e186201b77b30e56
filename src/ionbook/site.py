"""The published book: the generated page "What this book reproduces", the Jupyter Book HTML build
(Sphinx warnings are errors; Jupyter Book never executes anything, `execute_notebooks: off`), and
the whole book as one PDF printed from the built pages by headless Chromium.

    build()   execute every chapter (quality="paper" by default: the published numbers, read from
              the cached results in data/), then html() and pdf()
    html()    the HTML site in _build/html from the executed chapters in book/generated/
    pdf()     _build/html/ionmotion-book.pdf, linked from every page's download menu

Building leaves the tracked tree as it was: an execution rewrites check records and cache
manifests in data/ even when nothing changed but the last digits of a float or a time stamp;
:func:`keep_tracked_unchanged` puts such files back byte for byte, so `git status` shows only
real changes.
"""
import contextlib
import functools
import json
import math
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .execute import GENERATED, chapter_slugs, execute
from .paths import repo_root

PDF_NAME = "ionmotion-book.pdf"
"""The book's PDF in the HTML output folder (book/_ext/ionmotion_site.py links it)."""

NOISE_RTOL = 1e-6
"""Two numbers equal to this relative precision are the same result: last-digit float noise of
summation order, threads or BLAS, amplified up to ~1e-8 by ill-conditioned averages such as
rodin2022 Eq. (47) without regularisation; the book prints at most 4-6 significant digits."""
NOISE_ATOL = 1e-12
"""Below this, a number is round-off around zero (residuals of 1e-19 ... 1e-14)."""
VOLATILE_KEYS = {"created", "wall_time_s"}
"""Manifest fields that change at every run without changing the result."""


def write_summary(root=None):
    """Generate book/generated/reproduction.md (the ledger: scorecard, what is not reproduced,
    every paper-quality record) from data/checks/*.paper.json; return the failed records."""
    from .checks import load_records
    from .ledger import page

    root = Path(root or repo_root())
    recs = load_records(root, quality="paper")
    failed = [r for r in recs if not r["passed"] and not r.get("custom_parameters")]
    out = root / GENERATED / "reproduction.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page(root))
    return failed


def _same_json(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        keys = (set(a) | set(b)) - VOLATILE_KEYS
        return all(k in a and k in b and _same_json(a[k], b[k]) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        if all(_same_json(x, y) for x, y in zip(a, b)):
            return True
        # check records of one run in another order are the same records
        if all(isinstance(x, dict) and "quantity" in x for x in a + b):
            by_q = {x["quantity"]: x for x in a}
            return len(by_q) == len(a) and all(
                y["quantity"] in by_q and _same_json(by_q[y["quantity"]], y) for y in b)
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=NOISE_RTOL, abs_tol=NOISE_ATOL)
    return a == b


def _same_npz(old, new):
    import io

    import numpy as np

    try:
        with np.load(io.BytesIO(old), allow_pickle=False) as za, \
                np.load(io.BytesIO(new), allow_pickle=False) as zb:
            if sorted(za.files) != sorted(zb.files):
                return False
            for k in za.files:
                x, y = za[k], zb[k]
                if x.shape != y.shape or x.dtype != y.dtype:
                    return False
                if x.dtype.kind in "fc":
                    if not np.allclose(x, y, rtol=NOISE_RTOL, atol=NOISE_ATOL, equal_nan=True):
                        return False
                elif not np.array_equal(x, y):
                    return False
    except Exception:
        return False
    return True


def same_up_to_noise(path, old, new):
    """Do two versions (bytes) of a data file hold the same result, up to float noise and time
    stamps? JSON (records, manifests) and NPZ (arrays) are compared by content, others by bytes."""
    if old == new:
        return True
    suffix = Path(path).suffix
    if suffix == ".json":
        try:
            return _same_json(json.loads(old), json.loads(new))
        except ValueError:
            return False
    if suffix == ".npz":
        return _same_npz(old, new)
    return False


def _tracked_files(root, under):
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--", *under],
                             capture_output=True, check=True).stdout
        return [root / p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: every file
        return [p for d in under for p in (root / d).rglob("*") if p.is_file()]


@contextlib.contextmanager
def keep_tracked_unchanged(root=None, under=("data",), log=print):
    """Within the block, executions may rewrite tracked files under `under`; afterwards each one
    whose content is unchanged up to float noise and time stamps gets its old bytes back. Files
    whose result really changed stay changed (and are listed), new files are left alone."""
    root = Path(root or repo_root())
    before = {}
    for p in _tracked_files(root, under):
        try:
            before[p] = p.read_bytes()
        except OSError:
            pass
    try:
        yield
    finally:
        restored, changed = 0, []
        for p, old in before.items():
            try:
                new = p.read_bytes()
            except OSError:
                continue
            if new == old:
                continue
            if same_up_to_noise(p, old, new):
                p.write_bytes(old)
                restored += 1
            else:
                changed.append(p.relative_to(root).as_posix())
        if restored or changed:
            log(f"data/: {restored} rewritten file(s) unchanged up to float noise, restored"
                + (f"; changed results: {', '.join(changed)}" if changed else ""))


# --- HTML -------------------------------------------------------------------------------------

def html(root=None):
    """Build the HTML book from the executed notebooks (Sphinx warnings are errors)."""
    root = Path(root or repo_root())
    failed = write_summary(root)
    if failed:
        raise SystemExit(f"{len(failed)} recorded reproduction check(s) failed: "
                         + "; ".join(f"{r['chapter']}: {r['quantity']}" for r in failed))
    cmd = [sys.executable, "-m", "jupyter_book", "build", "-W", "--keep-going", str(root)]
    if subprocess.call(["jupyter-book", "--version"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL) == 0:
        cmd = ["jupyter-book", "build", "-W", "--keep-going", str(root)]
    r = subprocess.run(cmd, cwd=root)
    if r.returncode != 0:
        raise SystemExit(f"jupyter-book build failed (exit {r.returncode})")
    return root / "_build" / "html" / "index.html"


# --- PDF --------------------------------------------------------------------------------------

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
MATHJAX_DIRS = ("/opt/ionmotion-browser/node_modules/mathjax/es5",
                "/usr/share/nodejs/mathjax/es5", "/usr/lib/node_modules/mathjax/es5")


def page_order(root=None):
    """The HTML pages of the book in reading order (the root page, then _toc.yml's files)."""
    root = Path(root or repo_root())
    toc = (root / "_toc.yml").read_text()
    files = re.findall(r"^root:\s*(\S+)\s*$", toc, flags=re.M)
    files += re.findall(r"^\s*-?\s*file:\s*(\S+)\s*$", toc, flags=re.M)
    return [f + ".html" for f in files]


def _find_chromium():
    for c in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
              shutil.which("chromium-browser")):
        if c and Path(c).exists():
            return c
    raise SystemExit("pdf: Debian's chromium is needed (bash .ci/install-browser.sh)")


def _find_mathjax():
    for d in (os.environ.get("IONMOTION_MATHJAX", ""), *MATHJAX_DIRS):
        if d and (Path(d) / "tex-mml-chtml.js").exists():
            return Path(d)
    return None


_PREPARE = """
async () => {
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  const imgs = Array.from(document.querySelectorAll('img'));
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  // a link to another page of the site means nothing in the PDF: keep its text only
  for (const a of document.querySelectorAll('a[href]')) {
    const u = new URL(a.href, location.href);
    if (u.origin === location.origin && u.pathname !== location.pathname) a.removeAttribute('href');
  }
  // equations wider than the printed column are shrunk to fit rather than cut off
  let shrunk = 0;
  for (const c of document.querySelectorAll('mjx-container[display="true"]')) {
    const m = c.querySelector('mjx-math') || c;
    const box = (c.closest('div.math') || c.parentElement).clientWidth - 8;
    const w = m.getBoundingClientRect().width;
    if (w > box && box > 0) { c.style.fontSize = (100 * box / w).toFixed(1) + '%'; shrunk++; }
  }
  return {title: (document.querySelector('h1') || {}).textContent || document.title,
          n_img: imgs.length, shrunk: shrunk};
}
"""


def pdf(root=None, out=None, log=print):
    """Print every page of the built site (reading order) with headless Chromium and join them
    into one PDF with a bookmark per page: `_build/html/ionmotion-book.pdf` by default.

    MathJax finishes typesetting before each page is printed (its CDN is answered from the local
    copy that .ci/install-browser.sh installs; no network is used) and every image is loaded.
    The pages print with the book's print stylesheet (book/_static/ionmotion.css): no navigation,
    wrapped code, equations shrunk to the column when they are wider."""
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    root = Path(root or repo_root())
    site = root / "_build" / "html"
    out = Path(out) if out else site / PDF_NAME
    pages = [p for p in page_order(root) if (site / p).is_file()]
    if not pages:
        raise SystemExit(f"pdf: no built pages in {site}: run `python -m ionbook html` first")
    chromium, mathjax = _find_chromium(), _find_mathjax()
    if mathjax is None:
        raise SystemExit("pdf: no local MathJax 3 (bash .ci/install-browser.sh, or set "
                         "IONMOTION_MATHJAX to a folder holding tex-mml-chtml.js)")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"

    def route(r):
        url = r.request.url
        if url.startswith(base) or url.startswith("data:"):
            return r.continue_()
        if url.startswith(MATHJAX_CDN):
            rel = url.split("/mathjax@3/", 1)[1].split("?")[0]
            rel = rel[len("es5/"):] if rel.startswith("es5/") else rel
            f = (mathjax / rel).resolve()
            if f.is_file() and mathjax in f.parents:
                ctype = mimetypes.guess_type(str(f))[0] or "application/octet-stream"
                return r.fulfill(status=200, body=f.read_bytes(), content_type=ctype)
        return r.abort()

    t0 = time.perf_counter()
    parts = []
    tmp = root / "build" / "pdf"
    tmp.mkdir(parents=True, exist_ok=True)
    footer = ('<div style="font-size:8px;width:100%;padding:0 12mm;color:#555;'
              'display:flex;justify-content:space-between"><span>{title}</span>'
              '<span><span class="pageNumber"></span>/<span class="totalPages"></span></span>'
              '</div>')
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                         args=["--no-sandbox", "--disable-gpu"])
            # the printed column: A4 less the margins, at scale 0.8 (about 880 CSS px)
            ctx = browser.new_context(viewport={"width": 880, "height": 1200})
            ctx.route("**/*", route)
            page = ctx.new_page()
            for i, rel in enumerate(pages):
                page.goto(base + rel, wait_until="load", timeout=60_000)
                page.emulate_media(media="print")
                info = page.evaluate(_PREPARE)
                title = " ".join(str(info["title"]).replace("#", "").split())
                part = tmp / f"{i:02d}.pdf"
                safe = title.replace("&", "&amp;").replace("<", "&lt;")
                page.pdf(path=str(part), format="A4", scale=0.8, print_background=True,
                         margin={"top": "14mm", "bottom": "16mm", "left": "12mm",
                                 "right": "12mm"},
                         display_header_footer=True, header_template="<span></span>",
                         footer_template=footer.format(title=safe))
                parts.append((title, part))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    writer = PdfWriter()
    for title, part in parts:
        start = len(writer.pages)
        writer.append(PdfReader(str(part)))
        writer.add_outline_item(title, start)
    writer.add_metadata({"/Title": _book_title(root), "/Author": "The ionmotion team"})
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as fh:
        writer.write(fh)
    log(f"pdf: {len(parts)} pages of the site, {len(writer.pages)} PDF pages -> {out} "
        f"({out.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t0:.0f} s)")
    return out


def _book_title(root):
    m = re.search(r'^title:\s*"?(.*?)"?\s*$', (root / "_config.yml").read_text(), flags=re.M)
    return m.group(1) if m else "ionmotion"


# --- the whole build --------------------------------------------------------------------------

def execute_all(quality="paper", only=None, jobs=2, root=None):
    """Execute the chapters (all of _toc.yml, or `only`) at `quality`, `jobs` at a time; report
    every failing chapter, then fail. Tracked files stay unchanged unless a result changed."""
    root = Path(root or repo_root())
    slugs = only or chapter_slugs(root)
    errors = []

    def run(slug):
        try:
            execute(slug, {"quality": quality}, root)
        except Exception as e:  # report every failing chapter, then fail
            errors.append((slug, e))

    with keep_tracked_unchanged(root):
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
            list(ex.map(run, slugs))
    if errors:
        for slug, e in errors:
            print(f"chapter {slug} failed:\n{e}", file=sys.stderr)
        raise SystemExit(f"{len(errors)} chapter(s) failed to execute")
    return slugs


def build(quality="paper", only=None, jobs=2, root=None, with_pdf=True):
    """The published book: execute the chapters at `quality` ("paper", the default, reads the
    cached results in data/; "draft" is the quick path), build the HTML, print the PDF."""
    root = Path(root or repo_root())
    execute_all(quality, only, jobs, root)
    index = html(root)
    if with_pdf:
        pdf(root)
    return index
