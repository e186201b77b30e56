"""The reproduction ledger: every paper-quality check record, grouped by what of which paper it
tests, with its verdict, and the scorecard of the page "What this book reproduces".

The inventory of the papers' figures, tables and numbered claims is `book/ledger.yml`; which of
them the book checks, and with which verdict, is read from the records' ``source`` fields
("rodin2025 Fig. 4(b)", "hu2026 Eqs. (50)-(51)", ...). Status of an item:

- ``disagrees``: a record about it has the verdict ``disagrees`` (the paper's statement fails);
- ``checked``: records about it pass with the verdicts ``agrees`` or ``internal``/``extension``;
- ``figure``: the book draws it (a figure label in the inventory) but no record tests it;
- ``schematic``: a drawing with nothing to reproduce;
- ``not attempted``: neither, with the inventory's reason.
"""
import re
from pathlib import Path

from .checks import VERDICTS, code_version, fmt, load_records
from .paths import repo_root

PAPERS = ("rodin2022", "rodin2024", "rodin2025", "hu2026")
STATUS_MARK = {"checked": "✔", "disagrees": "✘", "figure": "◐", "schematic": "·",
               "not attempted": "○"}
_PAPER_RE = re.compile(r"\b(" + "|".join(PAPERS) + r")\b")
_FIG_RE = re.compile(r"\bFigs?\.\s*([0-9]+)(?:\s*[–-]\s*([0-9]+))?")
_TABLE_RE = re.compile(r"\bTable\s+([0-9IVX]+)\b")


def load_inventory(root=None):
    """The papers' items from `book/ledger.yml` (a dict paper → {title, items})."""
    import yaml

    path = Path(root or repo_root()) / "book" / "ledger.yml"
    return yaml.safe_load(path.read_text()) if path.exists() else {}


def source_items(source):
    """(paper, item id) pairs a record's `source` names; ids as in the inventory.

    A figure range "Figs. 5–7" names each figure; equations and appendices count as "Eqs.",
    sections as "Sec.". Text after a second paper key belongs to that paper.
    """
    out = []
    marks = list(_PAPER_RE.finditer(source or ""))
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(source)
        text = source[m.end():end]
        found = []
        for f in _FIG_RE.finditer(text):
            a, b = int(f.group(1)), int(f.group(2) or f.group(1))
            found += [f"Fig. {i}" for i in range(a, max(a, b) + 1)]
        found += [f"Table {t.group(1)}" for t in _TABLE_RE.finditer(text)]
        if re.search(r"\b(Eqs?\.|App\.)", text):
            found.append("Eqs.")
        if re.search(r"\bSecs?\.", text):
            found.append("Sec.")
        out += [(m.group(1), i) for i in (found or ["Sec."])]
    return list(dict.fromkeys(out))


def first_paper(rec):
    """The paper a record belongs to (first paper its source names), or None (the book's own)."""
    m = _PAPER_RE.search(rec.get("source") or "")
    return m.group(1) if m else None


def item_status(item, recs):
    """Status of one inventory item given the records that name it (see the module docstring)."""
    if any(r.get("verdict") == "disagrees" for r in recs):
        return "disagrees"
    if recs:
        return "checked"
    if item.get("schematic"):
        return "schematic"
    if item.get("figures"):
        return "figure"
    return "not attempted"


def scorecard(records, inventory):
    """Per paper: the items with their status and records, and the records' counts per verdict.

    Returns ``{paper: {"items": [(item, status, recs)], "verdicts": {verdict: n}}}`` plus the key
    ``None`` for records that name no paper (the book's own checks). Every record is counted once,
    under the first paper its source names.
    """
    card = {p: {"items": [], "verdicts": {}} for p in list(inventory) + [None]}
    for r in records:
        p = first_paper(r)
        p = p if p in card else None
        v = r.get("verdict") or "unclassified"
        card[p]["verdicts"][v] = card[p]["verdicts"].get(v, 0) + 1
    for paper, spec in inventory.items():
        for item in spec["items"]:
            recs = [r for r in records if (paper, item["id"]) in source_items(r.get("source"))]
            card[paper]["items"].append((item, item_status(item, recs), recs))
    return card


def _verdict_counts(counts):
    order = list(VERDICTS) + ["unclassified"]
    return ", ".join(f"{counts[v]} {v}" for v in order if counts.get(v))


def _paper_sentence(paper, entry):
    st = [s for _, s, _ in entry["items"] if s != "schematic"]
    n = {s: st.count(s) for s in STATUS_MARK}
    parts = [f"{n['checked'] + n['disagrees']} of {len(st)} items checked"]
    if n["disagrees"]:
        parts.append(f"{n['disagrees']} where at least one statement of the paper does not hold")
    if n["figure"]:
        parts.append(f"{n['figure']} drawn without a check")
    if n["not attempted"]:
        parts.append(f"{n['not attempted']} not attempted")
    return "; ".join(parts) + "."


def _tally(recs):
    """" (12✔ 1✘)": a checked item's records that hold and those where the paper does not."""
    if not recs:
        return ""
    bad = sum(r.get("verdict") == "disagrees" for r in recs)
    return f"&nbsp;({len(recs) - bad}✔" + (f"&nbsp;{bad}✘" if bad else "") + ")"


def _nb(text):
    """No line break inside an item name ("Fig. 4" stays on one line)."""
    return str(text).replace(" ", "&nbsp;")


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def page(root=None):
    """Markdown (MyST) of the page "What this book reproduces", from the paper-quality records."""
    root = Path(root or repo_root())
    inv = load_inventory(root)
    recs = load_records(root, quality="paper")
    card = scorecard(recs, inv)
    now = {c: code_version(c) for c in {r["chapter"] for r in recs}}
    stale = [r for r in recs if r.get("code_version") != now[r["chapter"]]]
    total = sum(sum(e["verdicts"].values()) for e in card.values())
    lines = [
        "(reproduction)=", "# What this book reproduces", "",
        f"{total} paper-quality records ({_verdict_counts(_sum_verdicts(card))}); "
        f"{len(stale)} made by older code than the chapter's current code "
        "(marked *older code* below).", "",
        "## Scorecard", "",
        "| paper | its figures, tables and claims | verdict |", "|---|---|---|",
    ]
    for paper, spec in inv.items():
        e = card[paper]
        chips = " · ".join(f"{STATUS_MARK[st]}&nbsp;{_nb(item['id'])}{_tally(rs)}"
                           for item, st, rs in e["items"] if st != "schematic")
        lines.append(f"| **{paper}** | {chips} | {_cell(_paper_sentence(paper, e))} |")
    lines += [
        "", "✔ reproduced and checked · ✘ at least one statement of the paper does not hold (see "
        "{ref}`errata`) · ◐ figure only · ○ not attempted (why: below); in brackets the item's "
        "records that hold (✔) and those that show the paper wrong (✘). Schematic figures, which "
        "hold nothing to reproduce, are left out. The items in detail and the records per verdict:",
        ""]
    for paper, spec in inv.items():
        e = card[paper]
        lines += [f":::{{dropdown}} {paper}: {spec['title']}", ""]
        for item, status, rs in e["items"]:
            n = f" ({len(rs)} records)" if rs else ""
            lines.append(f"- {STATUS_MARK[status]} {item['id']}{n}: {item['what']}")
        lines += ["", f"Records: {_verdict_counts(e['verdicts']) or 'none'}.", ":::", ""]
    lines += [
        "Each check of a chapter compares one reproduced number or statement with the paper and "
        "carries a verdict: **agrees** (a number or statement printed in a paper, reproduced within "
        "a tolerance that could fail), **disagrees** (the paper's statement does not hold; see "
        "{ref}`errata`), **extension** (a result beyond the papers) or **internal** (consistency, "
        "convergence, identities). The counts are of the paper-quality records; the quick draft "
        "executions that CI runs are the same checks at lower resolution and are not counted.", ""]
    own = card[None]["verdicts"]
    if own:
        lines += [f"Records that name no paper (the book's own checks): {_verdict_counts(own)}.", ""]
    from .cache import unversioned_caches

    caches = unversioned_caches(root)
    n_c, n_u = sum(n for n, _ in caches.values()), sum(k for _, k in caches.values())
    if n_c:
        lines += [f"The records rest on {n_c} cached results in `data/`; {n_u} of them were made "
                  "before manifests recorded the code version and have not been re-run since "
                  "(`python -m ionbook reproduce --verify-caches SECONDS` re-runs them, compares "
                  "and stamps the ones the current code reproduces): "
                  + ", ".join(f"{s} {k} of {n}" for s, (n, k) in sorted(caches.items()) if k)
                  + ".", ""] if n_u else [f"The records rest on {n_c} cached results in `data/`, "
                                          "each made or re-run by versioned code.", ""]
    lines += _cost_section(root) + _not_reproduced(inv, card) + _record_list(recs, now)
    return "\n".join(lines) + "\n"


COST_SCALING = [
    ("whole-lattice velocity Verlet (diffusion full-lattice reference)",
     "lattice sites N³ × steps (duration / δt)", "diffusion"),
    ("time-local RK5 with the thermal field (diffusion)",
     "thermal modes n_grid³ × steps / stride (exact field every stride-th step)", "diffusion"),
    ("discrete Green's function of the lattice (rodin2024 Figs. 4–6)",
     "wave-vector classes (N³/48 on a cube) × steps × separations, once per curve",
     "dissipation-cubic"),
    ("single passes through the Green's function (rodin2024 Figs. 4–5)",
     "steps² × (mass orbits)², steps ∝ path length / speed: the slowest speed dominates",
     "dissipation-cubic"),
    ("kinetic Monte Carlo (hu2026 beyond mean field)", "sites × sweeps", "beyond-mean-field"),
    ("Langevin walkers on a landscape (drag-mobility)", "walkers × steps", "drag-mobility"),
]
"""What the cost of each kind of cached result grows with (the algorithms in ionmotion)."""


def _cost_section(root):
    """The measured cost of recomputing every paper-quality result from an empty cache
    (data/reproduction-from-scratch.json) and how it scales."""
    import json

    path = Path(root) / "data" / "reproduction-from-scratch.json"
    if not path.exists():
        return []
    rec = json.loads(path.read_text())
    whole, chapters = rec.get("whole_book"), rec.get("chapters", {})
    lines = ["## What it costs to recompute", ""]
    if whole:
        lines += [
            f"`python -m ionbook reproduce --from-scratch` recomputed every paper-quality result "
            f"into an empty folder, executed every chapter on it and built the HTML in "
            f"**{whole['wall_time_s'] / 60:.0f} min** of wall time on {whole['n_workers']} worker "
            f"processes ({whole['cores']} cores), run on {whole['created'][:10]}"
            + (f" (code {whole['code_version']}, commit {whole['git_commit']})"
               if whole.get("git_commit") else "") + "; the cached tasks "
            f"took {whole['task_core_s'] / 3600:.2f} core-hours. Every result "
            + ("matched the committed one (same verdict, value within the check's tolerance)."
               if whole["all_matched"] else "did **not** match the committed one (see below)."),
            ""]
    rows = [(s, c) for s, c in sorted(chapters.items()) if "task_core_s" in c]
    if rows:
        lines += ["| chapter | cached tasks | their core-seconds | chapter wall time (s) | "
                  "matched |", "|---|---:|---:|---:|---|"]
        lines += [f"| {{ref}}`{s}` | {c['tasks']} | {c['task_core_s']:.0f} | {c['wall_time_s']:.0f} | "
                  f"{'yes' if c['matched'] else 'no'} |" for s, c in rows]
        lines += ["", "A chapter's wall time includes waiting for the cluster its sweeps share "
                  "with the other chapter running at the same time. How the cost grows:", ""]
    lines += ["| computation | cost grows with | chapter |", "|---|---|---|"]
    lines += [f"| {what} | {how} | {{ref}}`{slug}` |" for what, how, slug in COST_SCALING]
    return lines + ["", "The DFT points of {ref}`real-materials` are inputs made by an external "
                    "code (GPAW, `python -m ionbook dft`; their cost is in that chapter and the "
                    "README): a from-scratch run copies them and recomputes everything derived "
                    "from them.", ""]


def _sum_verdicts(card):
    out = {}
    for e in card.values():
        for v, n in e["verdicts"].items():
            out[v] = out.get(v, 0) + n
    return out


def _not_reproduced(inv, card):
    lines = ["## What this book does not reproduce", ""]
    for paper in inv:
        for item, status, _ in card[paper]["items"]:
            if status == "not attempted" or item.get("not_attempted"):
                why = item.get("not_attempted", "not attempted yet")
                lines.append(f"- **{paper} {item['id']}** ({item['what']}): {why}.")
    for paper, spec in inv.items():
        for extra in spec.get("not_reproduced", []):
            lines.append(f"- **{paper} {extra['id']}** ({extra['what']}): {extra['why']}.")
    return lines + [""]


def _record_list(recs, now):
    lines = ["## Every paper-quality record", ""]
    for chapter in sorted({r["chapter"] for r in recs}):
        mine = [r for r in recs if r["chapter"] == chapter]
        counts = {}
        for r in mine:
            v = r.get("verdict") or "unclassified"
            counts[v] = counts.get(v, 0) + 1
        lines += [f"::::{{dropdown}} {chapter}: {len(mine)} records ({_verdict_counts(counts)})",
                  "", f"See {{ref}}`{chapter}`.", "",
                  "| quantity | source | verdict | paper | book | tolerance | |",
                  "|---|---|---|---|---|---|---|"]
        for r in mine:
            tol = ", ".join(f"{k} {r[k]:g}" for k in ("rtol", "atol") if r.get(k) is not None)
            q = r["quantity"] + (f" [{r['unit']}]" if r.get("unit") else "")
            res = "✔" if r["passed"] else "✘"
            if r.get("code_version") != now[chapter]:
                res += " (older code)"
            verdict = r.get("verdict") or "unclassified"
            if r.get("errata"):
                verdict += f" ({{ref}}`errata <errata>`: {r['errata']})"
            lines.append("| " + " | ".join(_cell(c) for c in (
                q, r.get("source", ""), verdict, _short(r["paper"]), _short(r["book"]),
                tol or "—", res)) + " |")
        lines += ["", "::::", ""]
    return lines


def _short(v):
    s = fmt(v)
    return s if len(s) <= 40 else s[:37] + "…"
