"""A from-scratch reproduction recomputes into its own folder, never the book's data/, compares
every record with the book's, and stamps the book's cached results that it reproduces."""
import json

import pytest

from test_cli import HEADER

from ionbook import reproduce
from ionbook.execute import execute

TOY = HEADER + """
(toy)=
# A toy chapter with a cached result

```{code-cell} ipython3
:tags: [parameters]
quality = "draft"     # "draft" or "paper"
```

```{code-cell} ipython3
import numpy as np
from ionbook.cache import cached
from ionbook.checks import check
r = cached("toy", f"sum-{quality}", {"n": 50}, lambda n: {"s": np.array(np.arange(n).sum() * 0.5)})
check("half the sum of 0..49", book=float(r["s"]), paper=612.5, rtol=1e-12, chapter="toy",
      quality=quality, source="arithmetic", verdict="agrees")
```
"""


@pytest.fixture
def book(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "toy.md").write_text(TOY)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                       "  - file: book/generated/toy\n")
    monkeypatch.setenv("IONMOTION_ROOT", str(tmp_path))
    for k in ("IONBOOK_CUSTOM_PARAMETERS", "IONMOTION_DATA", "IONBOOK_FROM_SCRATCH"):
        monkeypatch.delenv(k, raising=False)
    execute("toy", {"quality": "paper"}, tmp_path, log=lambda *a: None)
    man = tmp_path / "data" / "toy" / "sum-paper.json"
    m = json.loads(man.read_text())
    del m["code_version"]                     # a result made before versions were recorded
    man.write_text(json.dumps(m))
    return tmp_path


def test_from_scratch_matches_and_stamps_the_books_cache(book):
    record = (book / "data" / "checks" / "toy.paper.json").read_text()
    out = book / "scratch"
    summary = reproduce.from_scratch(out, ["toy"], n_workers=1, root=book, build_html=False)
    toy = summary["chapters"]["toy"]
    assert summary["all_matched"] and toy["matched"] and not toy["resumed"]
    assert toy["cached_results"] == {"compared": 1, "agree": 1, "differ": 0}
    assert (out / "data" / "toy" / "sum-paper.npz").exists()          # computed afresh there
    assert json.loads((out / "checks" / "toy.paper.json").read_text())[0]["passed"]
    assert (book / "data" / "checks" / "toy.paper.json").read_text() == record
    m = json.loads((book / "data" / "toy" / "sum-paper.json").read_text())
    assert m["verified"]["by"] == "from-scratch run" and m["code_version"].startswith("ionmotion-")
    saved = json.loads((book / "data" / "reproduction-from-scratch.json").read_text())
    assert saved["chapters"]["toy"]["matched"] and saved["all_matched"]
    assert toy["tasks"] == 1 and toy["task_core_s"] >= 0          # the cost of its cached task
    assert saved["last_run"]["chapters"] == ["toy"] and not saved["last_run"]["html_built"]
    assert saved["last_run"]["code_version"].startswith("ionmotion-")   # the whole package's
    assert saved["whole_book"] is None                               # HTML not built: not whole
    from ionbook.ledger import _cost_section
    page = "\n".join(_cost_section(book))
    assert "| {ref}`toy` | 1 |" in page and "cost grows with" in page


def test_from_scratch_reports_a_record_that_differs(book):
    p = book / "data" / "checks" / "toy.paper.json"
    recs = json.loads(p.read_text())
    recs[0]["book"] = 612.6                  # the book's record says something the code does not give
    p.write_text(json.dumps(recs))
    # the fresh run's own check passes, but it does not reproduce the book's record
    summary = reproduce.from_scratch(book / "scratch", ["toy"], n_workers=1, root=book,
                                     build_html=False)
    assert not summary["all_matched"]
    saved = json.loads((book / "scratch" / "reproduction-from-scratch.json").read_text())
    assert saved == summary and not summary["chapters"]["toy"]["matched"]
    assert "half the sum" in summary["chapters"]["toy"]["problems"][0]


def test_from_scratch_never_writes_into_the_books_data(book):
    with pytest.raises(ValueError, match="outside the book's data"):
        reproduce.from_scratch(book / "data" / "fresh", ["toy"], root=book)


def test_a_chapter_that_fails_after_its_checks_is_not_matched(book):
    nb = book / "notebooks" / "toy.md"
    nb.write_text(nb.read_text() + '\n```{code-cell} ipython3\nimport os\n'
                  'if os.environ.get("IONBOOK_FROM_SCRATCH"):\n'
                  '    raise ValueError("an exercise that fails late")\n```\n')
    with pytest.raises(SystemExit, match="toy"):
        reproduce.from_scratch(book / "scratch", ["toy"], n_workers=1, root=book,
                               build_html=False)
    saved = json.loads((book / "scratch" / "reproduction-from-scratch.json").read_text())
    toy = saved["chapters"]["toy"]
    # its one check was recorded and agrees, yet the chapter did not run through
    assert not toy["matched"] and not saved["all_matched"]
    assert toy["problems"][0].startswith("*: chapter failed") and "fails late" in toy["problems"][0]
