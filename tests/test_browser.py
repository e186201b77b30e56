"""The built book as a reader sees it: every HTML page of `_build/html` in headless Chromium.

For every page: no JavaScript errors, no failed requests, MathJax has typeset every formula (no raw
TeX delimiters left, no MathJax error boxes), every image loaded, every internal link (and its
#fragment) resolves. Screenshots of two pages are written to `_build/screenshots/`.

Needs Debian's `chromium` (`.ci/install-browser.sh` installs it with a local MathJax 3) and the
`playwright` Python package (driver only; no browser download). The pages are served from
127.0.0.1; requests for MathJax's CDN are answered from the local MathJax copy, and any other
request leaving the machine is blocked and reported (a page must not need the network, except
its outbound links). Without a built book the tests are skipped, unless CI is set: then they fail.

    python -m ionbook build && python -m pytest -m browser tests/test_browser.py -s
"""
import functools
import html.parser
import mimetypes
import os
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import re

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
MATHJAX_DIRS = [os.environ.get("IONMOTION_MATHJAX", ""),
                "/opt/ionmotion-browser/node_modules/mathjax/es5",
                "/usr/share/nodejs/mathjax/es5", "/usr/lib/node_modules/mathjax/es5"]
IN_CI = bool(os.environ.get("CI"))
_REFRESH = re.compile(r'<meta[^>]+http-equiv="refresh"[^>]+url=([^"]+)"', re.I)


def _unavailable(reason):
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so the browser test must run)")
    pytest.skip(reason)


def _chromium():
    for c in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
              shutil.which("chromium-browser")):
        if c and Path(c).exists():
            return c
    return None


def _mathjax_dir():
    for d in MATHJAX_DIRS:
        if d and (Path(d) / "tex-mml-chtml.js").exists():
            return Path(d)
    return None


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


@functools.lru_cache(maxsize=None)
def _ids_of(path):
    p = _Ids()
    p.feed(Path(path).read_text(errors="replace"))
    return frozenset(p.ids)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


# JavaScript run in every page after load.
_INSPECT = """
async () => {
  const out = {};
  const mathEls = Array.from(document.querySelectorAll('.math'));
  out.n_math = mathEls.length;
  out.mathjax_loaded = !!(window.MathJax && window.MathJax.startup &&
                          window.MathJax.startup.promise);
  if (out.mathjax_loaded) {
    await window.MathJax.startup.promise;
  }
  out.n_mjx = document.querySelectorAll('mjx-container').length;
  out.untypeset = mathEls.filter(e => !e.querySelector('mjx-container'))
                         .map(e => e.textContent.trim().slice(0, 80));
  out.merrors = Array.from(document.querySelectorAll('mjx-merror'))
                     .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80));
  // visible text outside code blocks and MathJax output: raw TeX delimiters mean untypeset math
  const skip = el => el.closest('pre, code, .highlight, mjx-container, script, style, textarea');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = [];
  const pat = /\\$\\$|\\\\\\(|\\\\\\)|\\\\\\[|\\\\\\]|\\\\begin\\{/;
  while (walker.nextNode()) {
    const n = walker.currentNode;
    if (n.parentElement && !skip(n.parentElement) && pat.test(n.textContent)) {
      raw.push(n.textContent.trim().slice(0, 80));
    }
  }
  out.raw_tex = raw;
  const imgs = Array.from(document.querySelectorAll('img'));
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  out.n_img = imgs.length;
  out.broken_img = imgs.filter(i => !(i.complete && i.naturalWidth > 0))
                       .map(i => i.getAttribute('src'));
  out.links = Array.from(document.querySelectorAll('a[href]'))
                   .map(a => [a.getAttribute('href'), a.href]);
  return out;
}
"""


@pytest.fixture(scope="module")
def site():
    """Visit every page once; return per-page reports and the screenshot paths."""
    if not (HTML / "index.html").exists():
        _unavailable(f"no built book at {HTML / 'index.html'}: run `python -m ionbook "
                     "build` first")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed (requirements.txt)")
    chromium = _chromium()
    if chromium is None:
        _unavailable("Debian's chromium is not installed (bash .ci/install-browser.sh)")
    mathjax = _mathjax_dir()
    if mathjax is None:
        _unavailable("no local MathJax 3 (bash .ci/install-browser.sh, or set IONMOTION_MATHJAX "
                     "to a folder holding tex-mml-chtml.js)")

    pages = sorted(p for p in HTML.rglob("*.html") if "_static" not in p.relative_to(HTML).parts
                   and "_sources" not in p.relative_to(HTML).parts)
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Quiet, directory=str(HTML)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    SHOTS.mkdir(parents=True, exist_ok=True)
    reports, shots = {}, []
    t0 = time.perf_counter()

    def route(r):
        url = r.request.url
        if url.startswith(base) or url.startswith("data:"):
            return r.continue_()
        if url.startswith(MATHJAX_CDN):
            rel = urlsplit(url).path.split("/mathjax@3/", 1)[1]
            rel = rel[len("es5/"):] if rel.startswith("es5/") else rel
            f = (mathjax / rel).resolve()
            if f.is_file() and mathjax in f.parents:
                ctype = mimetypes.guess_type(str(f))[0] or "application/octet-stream"
                return r.fulfill(status=200, body=f.read_bytes(), content_type=ctype)
            return r.fulfill(status=404, body=b"")
        current["external"].append(url)
        return r.abort()

    current = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                         args=CHROMIUM_ARGS)
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            ctx.route("**/*", route)
            page = ctx.new_page()
            page.on("pageerror", lambda e: current["js"].append(f"uncaught: {e}"))
            page.on("console", lambda m: current["js"].append(f"console.{m.type}: {m.text}")
                    if m.type == "error" else None)
            page.on("requestfailed", lambda q: current["failed"].append(
                f"{q.url} ({q.failure})") if q.url.startswith(base) else None)
            page.on("response", lambda r: current["failed"].append(f"{r.url} (HTTP {r.status})")
                    if r.status >= 400 else None)
            for p in pages:
                rel = p.relative_to(HTML).as_posix()
                current.clear()
                current.update(js=[], failed=[], external=[])
                redirect = _REFRESH.search(p.read_text(errors="replace"))
                if redirect:  # e.g. index.html -> the root page: check the target only
                    reports[rel] = dict(current, n_math=0, n_mjx=0, mathjax_loaded=False,
                                        untypeset=[], merrors=[], raw_tex=[], n_img=0,
                                        broken_img=[], path=p, url=base + rel,
                                        links=[[redirect.group(1), urljoin(base + rel,
                                                                           redirect.group(1))]])
                    continue
                page.goto(base + rel, wait_until="load", timeout=30_000)
                info = page.evaluate(_INSPECT)
                page.wait_for_timeout(50)  # let late console errors arrive
                info.update(current)
                info["path"] = p
                info["url"] = base + rel
                reports[rel] = info
            # two screenshots: the landing page and the chapter with the most figures/formulas
            chapters = sorted((r for r in reports if r.startswith("book/")
                               and r not in ("book/intro.html", "book/generated/reproduction.html")),
                              key=lambda r: (-reports[r]["n_img"], -reports[r]["n_mjx"]))
            for rel in ["index.html"] + chapters[:1]:
                page.goto(base + rel, wait_until="networkidle")
                page.evaluate("async () => { if (window.MathJax && MathJax.startup) "
                              "await MathJax.startup.promise; }")
                out = SHOTS / (rel.replace("/", "__").removesuffix(".html") + ".png")
                page.screenshot(path=str(out), full_page=False)
                shots.append(out)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    print(f"\nbrowser test: {len(reports)} pages in {time.perf_counter() - t0:.1f} s; "
          f"screenshots:")
    for s in shots:
        print(f"  {s}")
    return {"reports": reports, "shots": shots, "base": base}


def _fail_if(problems, what):
    if problems:
        pytest.fail(f"{what} on {len(problems)} page(s):\n" + "\n".join(
            f"  {page}: {items}" for page, items in sorted(problems.items())))


def test_pages_found(site):
    r = site["reports"]
    assert "index.html" in r and any(k.startswith("book/") for k in r), sorted(r)


def test_no_javascript_errors_or_failed_requests(site):
    _fail_if({k: v["js"] + v["failed"] for k, v in site["reports"].items()
              if v["js"] or v["failed"]}, "JavaScript errors or failed requests")


def test_no_page_needs_the_network(site):
    _fail_if({k: v["external"] for k, v in site["reports"].items() if v["external"]},
             "requests to other hosts (only MathJax's CDN is served locally)")


def test_mathjax_typeset_every_formula(site):
    problems = {}
    for k, v in site["reports"].items():
        issues = []
        if v["n_math"] and not v["mathjax_loaded"]:
            issues.append(f"{v['n_math']} formulas but MathJax did not start")
        if v["untypeset"]:
            issues.append(f"untypeset: {v['untypeset'][:3]}")
        if v["merrors"]:
            issues.append(f"MathJax errors: {v['merrors'][:3]}")
        if v["raw_tex"]:
            issues.append(f"raw TeX in text: {v['raw_tex'][:3]}")
        if v["n_mjx"] < v["n_math"]:
            issues.append(f"{v['n_mjx']} typeset of {v['n_math']}")
        if issues:
            problems[k] = issues
    _fail_if(problems, "math not typeset")
    assert sum(v["n_mjx"] for v in site["reports"].values()) > 0, "the book shows no formula"


def test_every_image_loaded(site):
    _fail_if({k: v["broken_img"] for k, v in site["reports"].items() if v["broken_img"]},
             "images that did not load")


def test_every_internal_link_resolves(site):
    base = site["base"]
    problems = {}
    n_checked = 0
    for k, v in site["reports"].items():
        bad = []
        for raw, absolute in v["links"]:
            if not absolute.startswith(base):
                continue  # outbound links (doi.org …) are not the book's to check
            parts = urlsplit(absolute)
            rel = unquote(parts.path[len(urlsplit(base).path):]) or "index.html"
            target = HTML / rel
            if target.is_dir():
                target = target / "index.html"
            n_checked += 1
            if not target.is_file():
                bad.append(f"{raw} -> missing {rel}")
                continue
            frag = unquote(parts.fragment)
            if frag and target.suffix == ".html" and frag not in _ids_of(str(target)):
                bad.append(f"{raw} -> no id {frag!r} in {rel}")
        if bad:
            problems[k] = bad
    _fail_if(problems, "broken internal links")
    assert n_checked > 0


def test_screenshots_written(site):
    assert len(site["shots"]) == 2
    for s in site["shots"]:
        data = s.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, s
