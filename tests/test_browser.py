"""The built book as a reader sees it: every HTML page of `_build/html` in headless Chromium.

Every page is opened twice, on a desktop (1400 x 900) and on a phone (390 x 844). On the desktop:
no JavaScript errors, no failed requests, MathJax has typeset every formula (no raw TeX delimiters
left, no MathJax error boxes), every image loaded with an alt text that says what it shows (never
a file path), every internal link (and its #fragment) resolves; the defect classes of issue 14:
no literal pipe-table text and no `$` outside math in the rendered text, no display equation wider
than its box, no Python warning or traceback in an output, no stray numpy repr or float noise,
one search box, the navigation toggle hides and shows the table of contents, figures keep their
contrast in dark mode. On the phone: one search box, and the navigation toggle opens the table of
contents. Screenshots of two pages are written to `_build/screenshots/`.

Needs Debian's `chromium` (`.ci/install-browser.sh` installs it with a local MathJax 3) and the
`playwright` Python package (driver only; no browser download). The pages are served from
127.0.0.1; requests for MathJax's CDN are answered from the local MathJax copy, and any other
request leaving the machine is blocked and reported (a page must not need the network, except
its outbound links). Without a built book the tests are skipped, unless CI is set: then they fail.
IONMOTION_HTML points the test at another built site (default `_build/html`).

    python -m ionbook build && python -m pytest -m browser tests/test_browser.py -s
"""
import functools
import html.parser
import io
import mimetypes
import os
import re
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import numpy as np
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("IONMOTION_HTML") or ROOT / "_build" / "html").resolve()
SHOTS = ROOT / "_build" / "screenshots"
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
MATHJAX_DIRS = [os.environ.get("IONMOTION_MATHJAX", ""),
                "/opt/ionmotion-browser/node_modules/mathjax/es5",
                "/usr/share/nodejs/mathjax/es5", "/usr/lib/node_modules/mathjax/es5"]
IN_CI = bool(os.environ.get("CI"))
_REFRESH = re.compile(r'<meta[^>]+http-equiv="refresh"[^>]+url=([^"]+)"', re.I)
MIN_DARK_CONTRAST = 4.5  # WCAG AA for text: the figure's labels against its background
KEEP_CONTRAST = 0.9      # dark mode keeps at least this share of a figure's light-mode contrast


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


# Shared JavaScript helpers: what a reader can see, the search widgets, the table of contents.
_HELPERS = r"""
  const shown = e => {
    if (!e) return false;
    const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
           && parseFloat(s.opacity || '1') > 0.05;
  };
  const onScreen = e => {
    if (!shown(e)) return false;
    const r = e.getBoundingClientRect();
    if (r.right <= 0 || r.left >= innerWidth || r.bottom <= 0 || r.top >= innerHeight) return false;
    const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(r.top + Math.min(r.height, 20) / 2, 0), innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    return !!hit && (hit === e || e.contains(hit) || hit.contains(e));
  };
  const SEARCH = 'form.bd-search, button.search-button, button.search-button-field, #searchbox, '
               + 'input[type="search"]';
  const searchWidgets = () => {
    const all = Array.from(document.querySelectorAll(SEARCH)).filter(e => !e.closest('dialog'));
    const top = all.filter(e => !all.some(o => o !== e && o.contains(e)));
    return top.filter(e => shown(e) && e.getBoundingClientRect().right > 0
                       && e.getBoundingClientRect().left < innerWidth)
              .map(e => (e.tagName + '.' + (e.className || e.id || '')).slice(0, 60));
  };
  const tocLink = () => {
    const links = Array.from(document.querySelectorAll(
        '#pst-primary-sidebar nav a.reference, .bd-sidebar-primary nav a.reference, '
        + '#pst-primary-sidebar-modal nav a.reference'));
    return links.find(onScreen) || null;
  };
"""

# Run in every page after load (desktop).
_INSPECT = """
async () => {
""" + _HELPERS + r"""
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
  const skipCode = el => el.closest('pre, code, .highlight, mjx-container, script, style, textarea');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = [];
  const pat = /\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{/;
  // The reader's text: prose and cell outputs (code inputs and inline code in prose excluded),
  // grouped by the block element that holds it, math left out.
  const skipReader = el => el.closest('script, style, textarea, mjx-container, noscript, '
                                      + '.headerlink, .copybtn')
      || (el.closest('pre, code, .highlight') && !el.closest('.cell_output, .output'));
  const BLOCK = 'p, li, td, th, pre, dd, dt, figcaption, caption, h1, h2, h3, h4, h5, h6, '
              + 'summary, div, section, article, body';
  const blocks = new Map();
  while (walker.nextNode()) {
    const n = walker.currentNode, el = n.parentElement;
    if (!el) continue;
    if (!skipCode(el) && pat.test(n.textContent)) raw.push(n.textContent.trim().slice(0, 80));
    if (skipReader(el)) continue;
    const b = el.closest(BLOCK) || document.body;
    if (!blocks.has(b)) blocks.set(b, []);
    blocks.get(b).push(n.textContent);
  }
  out.raw_tex = raw;
  const pipe = [], dollar = [], reprs = [], warns = [];
  const SEP = /\|\s*:?(?:-{3,}|[\u2014\u2013]+):?\s*\|/;
  const ROW = /^\s*\|(?:[^|\n]*\|){2,}\s*$/;
  const REPR = /\bnp\.(?:float|int|uint|complex|bool|str|bytes)_?\d*\(|\bnp\.(?:True|False)_|\barray\(\[/;
  // a number with 15 or more significant digits is a raw float repr (0.30000000000000004)
  const rawFloat = s => (s.match(/\d*\.\d+/g) || []).find(
      x => x.replace('.', '').replace(/^0+/, '').length >= 15);
  const WARN = /\b[A-Z]\w*Warning\b:?|\bWarning:|Traceback \(most recent call last\)|\bwarnings\.warn\(|\b[A-Z]\w*Error: /;
  for (const [b, parts] of blocks) {
    const text = parts.join('');
    const inOutput = !!b.closest('.cell_output, .output');
    for (const line of text.split('\n')) {
      if (SEP.test(line) || ROW.test(line)) pipe.push(line.trim().slice(0, 80));
    }
    if (text.includes('$')) dollar.push(text.trim().replace(/\s+/g, ' ').slice(0, 80));
    const m = text.match(REPR);
    if (m) reprs.push(text.slice(Math.max(0, m.index - 30), m.index + 40).replace(/\s+/g, ' '));
    const f = rawFloat(text);
    if (f && !m) reprs.push(f);
    if (inOutput) {
      const w = text.match(WARN);
      if (w) warns.push(text.slice(Math.max(0, w.index - 20), w.index + 60).replace(/\s+/g, ' '));
    }
  }
  out.pipe_text = [...new Set(pipe)];
  out.dollar_text = [...new Set(dollar)];
  out.reprs = [...new Set(reprs)];
  out.warnings = [...new Set(warns)];
  // display equations wider than their box (scrolled or clipped instead of shown whole)
  const texOf = new Map();
  try {
    for (const item of MathJax.startup.document.math) {
      if (item.typesetRoot) texOf.set(item.typesetRoot, item.math);
    }
  } catch (e) {}
  out.wide_eqs = Array.from(document.querySelectorAll('mjx-container[display="true"]'))
    .filter(c => c.offsetParent !== null)
    .map(c => {
      const m = c.querySelector('mjx-math') || c;
      const w = m.getBoundingClientRect().width;
      const box = c.closest('div.math') || c.parentElement;
      const eqno = box && box.querySelector('.eqno');
      const section = c.closest('section[id]');
      return {w: Math.round(w), box: c.clientWidth,
              id: (box && box.id) || (section ? '#' + section.id : ''),
              eqno: eqno ? eqno.textContent.replace('#', '').trim() : '',
              tex: (texOf.get(c) || '').replace(/\s+/g, ' ').trim().slice(0, 70)};
    })
    .filter(e => e.w > e.box + 1);
  out.search = searchWidgets();
  const imgs = Array.from(document.querySelectorAll('img'));
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  out.n_img = imgs.length;
  out.broken_img = imgs.filter(i => !(i.complete && i.naturalWidth > 0))
                       .map(i => i.getAttribute('src'));
  const PATHLIKE = /\.(png|jpe?g|gif|svg|webp)(\?|#|$)/i;
  out.bad_alt = imgs.filter(i => i.getAttribute('aria-hidden') !== 'true'
                                 && i.getAttribute('role') !== 'presentation')
    .filter(i => {
      const a = (i.getAttribute('alt') || '').trim();
      return !a || PATHLIKE.test(a) || a === i.getAttribute('src')
             || /^(\.\.?\/|\/|_images\/)/.test(a) || /^[\w.\-]+\/[\w.\-\/]+$/.test(a);
    })
    .map(i => `${i.getAttribute('src')} alt=${JSON.stringify(i.getAttribute('alt'))}`.slice(0, 120));
  out.n_figures = document.querySelectorAll('article img, .bd-article img').length;
  out.links = Array.from(document.querySelectorAll('a[href]'))
                   .map(a => [a.getAttribute('href'), a.href]);
  return out;
}
"""

_TOC_STATE = "() => {" + _HELPERS + " return {toc: !!tocLink(), search: searchWidgets()}; }"

_DARK = """(on) => {
  const h = document.documentElement;
  h.dataset.theme = on ? 'dark' : 'light';
  h.dataset.mode = on ? 'dark' : 'light';
}"""


def _luminance(png):
    """Relative luminance (WCAG) of every pixel of a PNG screenshot."""
    from PIL import Image

    a = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float) / 255.0
    lin = np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def _contrast(lum, ink, bg):
    li, lb = float(np.median(lum[ink])), float(np.median(lum[bg]))
    return (max(li, lb) + 0.05) / (min(li, lb) + 0.05)


def _aligned(light, dark, reach=2):
    """The common part of two screenshots of one image, shifted by the whole pixels (up to
    `reach`) that make them agree best: switching the theme can move the page by a fraction of
    a pixel (seen: 0.39 px), and a one-pixel shift puts the ink mask of thin lines and text on
    background pixels."""
    h, w = min(dark.shape[0], light.shape[0]) - 2 * reach, min(dark.shape[1], light.shape[1]) - 2 * reach
    if h <= 0 or w <= 0:
        return light, dark
    a = light[reach:reach + h, reach:reach + w]
    shifts = [(dy, dx) for dy in range(-reach, reach + 1) for dx in range(-reach, reach + 1)]
    dy, dx = min(shifts, key=lambda s: float(np.abs(
        a - dark[reach + s[0]:reach + s[0] + h, reach + s[1]:reach + s[1] + w]).mean()))
    return a, dark[reach + dy:reach + dy + h, reach + dx:reach + dx + w]


def _dark_contrast(light_png, dark_png):
    """Contrast ratios (dark mode, light mode) between a figure's ink (its dark labels, axes and
    lines in light mode) and its background (the light-mode white), or None when the figure has
    no such ink. The two screenshots show the same pixels (same geometry)."""
    light, dark = _aligned(_luminance(light_png), _luminance(dark_png))
    ink, bg = light < 0.1, light > 0.85
    if ink.mean() < 0.002 or bg.mean() < 0.2:
        return None
    return _contrast(dark, ink, bg), _contrast(light, ink, bg)


_NO_PADDING = """(e) => {
  // the same geometry in light and dark mode (a theme may pad images in dark mode only), so the
  // two screenshots show the same pixels; what lies behind transparent pixels is unchanged
  e.style.setProperty('padding', '0', 'important');
  e.style.setProperty('border-width', '0', 'important');
  e.style.setProperty('transition', 'none', 'important');
  return e.naturalWidth;
}"""


def _content_shot(page, img):
    """Screenshot of what an image shows, or None for icons and unloaded images."""
    if img.evaluate(_NO_PADDING) < 100:
        return None
    return img.screenshot(timeout=10_000)


def _server():
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Quiet, directory=str(HTML)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _pages():
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.relative_to(HTML).parts
                  and "_sources" not in p.relative_to(HTML).parts)


@pytest.fixture(scope="module")
def tools():
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
    server, base = _server()
    current = {"external": []}

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

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                         args=CHROMIUM_ARGS)
            yield {"browser": browser, "route": route, "base": base, "current": current}
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


def _wait_mathjax(page):
    page.evaluate("async () => { if (window.MathJax && MathJax.startup) "
                  "await MathJax.startup.promise; }")


def _toggle_check(page, phone):
    """Click the navigation toggle as a reader does; describe what went wrong, or None."""
    before = page.evaluate(_TOC_STATE)
    toggle = page.locator(".primary-toggle:visible")
    if toggle.count() == 0:
        return "no visible navigation toggle"
    try:
        toggle.first.click(timeout=3000)
    except Exception as e:  # covered or detached: the reader cannot click it either
        return f"toggle not clickable: {str(e).splitlines()[0][:100]}"
    page.wait_for_timeout(500)
    after = page.evaluate(_TOC_STATE)
    if phone:
        if before["toc"]:
            return "table of contents already open before the toggle"
        if not after["toc"]:
            return "the toggle did not open the table of contents"
        return None
    if not before["toc"]:
        return "no table of contents on the desktop page"
    if after["toc"]:
        return "the toggle did not hide the table of contents"
    toggle.first.click(timeout=3000)
    page.wait_for_timeout(500)
    if not page.evaluate(_TOC_STATE)["toc"]:
        return "the toggle did not show the table of contents again"
    return None


@pytest.fixture(scope="module")
def site(tools):
    """Visit every page on the desktop; return per-page reports and the screenshot paths."""
    browser, route, base, current = (tools[k] for k in ("browser", "route", "base", "current"))
    pages = _pages()
    SHOTS.mkdir(parents=True, exist_ok=True)
    reports, shots = {}, []
    t0 = time.perf_counter()
    ctx = browser.new_context(viewport=DESKTOP)
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
            reports[rel] = dict(current, n_math=0, n_mjx=0, mathjax_loaded=False, untypeset=[],
                                merrors=[], raw_tex=[], n_img=0, broken_img=[], bad_alt=[],
                                pipe_text=[], dollar_text=[], reprs=[], warnings=[],
                                wide_eqs=[], search=None, toggle=None, dark=[], n_figures=0,
                                path=p, url=base + rel, redirect=True,
                                links=[[redirect.group(1), urljoin(base + rel,
                                                                   redirect.group(1))]])
            continue
        page.goto(base + rel, wait_until="load", timeout=30_000)
        info = page.evaluate(_INSPECT)
        page.wait_for_timeout(50)  # let late console errors arrive
        # figures in dark mode: the ink of each figure against its background
        dark = []
        figs = page.locator("article img, .bd-article img")
        n = figs.count()
        if n:
            light_shots = [_content_shot(page, figs.nth(i)) for i in range(n)]
            page.evaluate(_DARK, True)
            page.wait_for_timeout(300)
            for i in range(n):
                if light_shots[i] is None:
                    continue
                c = _dark_contrast(light_shots[i], _content_shot(page, figs.nth(i)))
                if c is not None and c[0] < max(MIN_DARK_CONTRAST, KEEP_CONTRAST * c[1]):
                    dark.append(f"{figs.nth(i).get_attribute('src').rsplit('/', 1)[-1][:16]}"
                                f": contrast {c[0]:.1f} in dark mode, {c[1]:.1f} in light mode")
            page.evaluate(_DARK, False)
        info["dark"] = dark
        info["toggle"] = _toggle_check(page, phone=False)
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
        _wait_mathjax(page)
        out = SHOTS / (rel.replace("/", "__").removesuffix(".html") + ".png")
        page.screenshot(path=str(out), full_page=False)
        shots.append(out)
    ctx.close()
    print(f"\nbrowser test (desktop {DESKTOP['width']} px): {len(reports)} pages in "
          f"{time.perf_counter() - t0:.1f} s; screenshots:")
    for s in shots:
        print(f"  {s}")
    return {"reports": reports, "shots": shots, "base": base}


@pytest.fixture(scope="module")
def phone(tools):
    """Visit every page on a phone: the navigation toggle and the search widgets."""
    browser, route, base = tools["browser"], tools["route"], tools["base"]
    t0 = time.perf_counter()
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    ctx.route("**/*", route)
    page = ctx.new_page()
    reports = {}
    for p in _pages():
        rel = p.relative_to(HTML).as_posix()
        if _REFRESH.search(p.read_text(errors="replace")):
            continue
        page.goto(base + rel, wait_until="load", timeout=30_000)
        _wait_mathjax(page)
        state = page.evaluate(_TOC_STATE)
        reports[rel] = {"search": state["search"], "toggle": _toggle_check(page, phone=True)}
    ctx.close()
    print(f"\nbrowser test (phone {PHONE['width']} px): {len(reports)} pages in "
          f"{time.perf_counter() - t0:.1f} s")
    return reports


def _fail_if(problems, what):
    if problems:
        pytest.fail(f"{what} on {len(problems)} page(s):\n" + "\n".join(
            f"  {page}: {items}" for page, items in sorted(problems.items())))


def _pages_with(site, key, limit=5):
    return {k: v[key][:limit] + ([f"... {len(v[key])} in all"] if len(v[key]) > limit else [])
            for k, v in site["reports"].items() if v[key]}


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


def test_no_literal_pipe_table_text(site):
    """A Markdown table rendered as text (`| a | b |`, `|---|`) instead of a table."""
    _fail_if(_pages_with(site, "pipe_text"), "literal pipe-table text")


def test_no_dollar_outside_math(site):
    """A `$` a reader sees is TeX that was never typeset."""
    _fail_if(_pages_with(site, "dollar_text"), "`$` outside math in the rendered text")


def test_no_display_equation_wider_than_its_box(site):
    """At 1400 px every display equation fits its column (on a phone it may scroll)."""
    _fail_if({k: [f"{e['eqno'] or e['id']} ({e['w']} px in {e['box']} px): {e['tex']}"
                  for e in v["wide_eqs"]]
              for k, v in site["reports"].items() if v["wide_eqs"]},
             f"display equations wider than their box at {DESKTOP['width']} px")


def test_no_python_warning_or_traceback_in_outputs(site):
    _fail_if(_pages_with(site, "warnings"), "Python warnings or tracebacks in cell outputs")


def test_no_stray_numpy_reprs_or_float_noise(site):
    """`np.float64(0.3)`, `array([...])`, or a raw float repr such as `0.30000000000000004` (15 or
    more significant digits) in prose or outputs."""
    _fail_if(_pages_with(site, "reprs"), "stray numpy reprs or float noise")


def test_every_image_has_a_meaningful_alt_text(site):
    """No image whose alt text is empty or a file path (a screen reader reads it aloud)."""
    _fail_if(_pages_with(site, "bad_alt"), "images without a meaningful alt text")
    assert sum(v["n_figures"] for v in site["reports"].values()) > 0, "the book shows no figure"


def test_figures_keep_their_contrast_in_dark_mode(site):
    """In dark mode a figure's labels and axes keep the contrast they have in light mode (at
    least KEEP_CONTRAST of it, and at least WCAG AA): no dimming, no grey card under black ink."""
    _fail_if(_pages_with(site, "dark"), "figures that lose contrast in dark mode")


def test_one_search_box_per_page(site, phone):
    problems = {}
    for k, v in site["reports"].items():
        if v["search"] is not None and len(v["search"]) != 1:
            problems[k] = [f"desktop: {len(v['search'])} {v['search']}"]
    for k, v in phone.items():
        if len(v["search"]) != 1:
            problems.setdefault(k, []).append(f"phone: {len(v['search'])} {v['search']}")
    _fail_if(problems, "not exactly one visible search box")


def test_navigation_toggle_opens_the_contents_on_a_phone(phone):
    _fail_if({k: v["toggle"] for k, v in phone.items() if v["toggle"]},
             f"navigation toggle at {PHONE['width']} px")


def test_navigation_toggle_hides_and_shows_the_contents_on_a_desktop(site):
    _fail_if({k: v["toggle"] for k, v in site["reports"].items() if v["toggle"]},
             f"navigation toggle at {DESKTOP['width']} px")


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


def test_search_snippets_show_prose_not_code_or_tex(tools):
    """A search for a word that stands in code and formulas as well as in prose: the result
    snippets hold no Python source and no TeX commands (Sphinx builds them from the page text,
    code cells and formula sources included, unless book/_static/ionmotion-search.js drops them)."""
    browser, route, base = tools["browser"], tools["route"], tools["base"]
    ctx = browser.new_context(viewport=DESKTOP)
    ctx.route("**/*", route)
    page = ctx.new_page()
    page.goto(base + "search.html?q=drag", wait_until="load")
    page.wait_for_function("document.querySelectorAll('#search-results li p.context').length > 3",
                           timeout=30_000)
    page.wait_for_timeout(1000)  # the remaining snippets arrive one fetch at a time
    snippets = page.eval_on_selector_all("#search-results li p.context",
                                         "ps => ps.map(p => p.textContent)")
    ctx.close()
    bad = [s[:120] for s in snippets
           if re.search(r"\\[a-zA-Z]+|\bimport \w|\bnp\.\w|\bdef \w+\(|check\(", s)]
    assert snippets and not bad, f"{len(bad)} of {len(snippets)} search snippets show code or TeX: {bad[:4]}"


def test_scorecard_shows_the_four_papers_on_one_screen(tools):
    """"What this book reproduces": the scorecard table, one row per paper with its verdict, lies
    within the first screen at 1400 × 900 px."""
    browser, route, base = tools["browser"], tools["route"], tools["base"]
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    ctx.route("**/*", route)
    page = ctx.new_page()
    page.goto(base + "book/generated/reproduction.html", wait_until="load")
    _wait_mathjax(page)
    box = page.evaluate("""() => {
      const t = document.querySelector('section#scorecard table');
      if (!t) return null;
      const r = t.getBoundingClientRect();
      return {bottom: r.bottom + window.scrollY, right: r.right, rows: t.tBodies[0].rows.length,
              text: t.innerText};
    }""")
    ctx.close()
    assert box is not None, "no scorecard table on the page"
    assert box["rows"] == 4 and all(p in box["text"] for p in ("rodin2022", "rodin2024",
                                                               "rodin2025", "hu2026")), box["text"]
    assert box["bottom"] <= 900 and box["right"] <= 1400, box
