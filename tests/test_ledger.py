"""The reproduction ledger: which paper item a record's source names, item status, counts."""
from ionbook import ledger


def test_sources_name_their_items():
    s = ledger.source_items
    assert s("rodin2025 Fig. 4(b)") == [("rodin2025", "Fig. 4")]
    assert s("rodin2025 Sec. VI, Figs. 5–7") == [("rodin2025", f"Fig. {i}") for i in (5, 6, 7)] + \
        [("rodin2025", "Sec.")]
    assert s("hu2026 Table 1 (positive feedback)") == [("hu2026", "Table 1")]
    assert s("rodin2022 Eq. (43); rodin2025 Eq. (15)") == [("rodin2022", "Eqs."), ("rodin2025", "Eqs.")]
    assert s("rodin2022 App. A") == [("rodin2022", "Eqs.")]
    assert s("exact 1D Ising") == [] and s("") == []


def test_status_and_counts_add_up():
    inv = {"p1": {"title": "t", "items": [
        {"id": "Fig. 1", "what": "a", "figures": ["fig-a"]},
        {"id": "Fig. 2", "what": "b", "schematic": True},
        {"id": "Fig. 3", "what": "c"},
        {"id": "Eqs.", "what": "d"}]}}
    ledger.PAPERS  # noqa: B018
    recs = [{"source": "p1 Fig. 3", "verdict": "disagrees", "passed": True},
            {"source": "p1 Eq. (2)", "verdict": "agrees", "passed": True},
            {"source": "book", "verdict": "internal", "passed": True}]
    # p1 is not one of the four papers, so exercise the functions on the real keys instead
    for r in recs[:2]:
        r["source"] = r["source"].replace("p1", "hu2026")
    inv = {"hu2026": inv["p1"]}
    card = ledger.scorecard(recs, inv)
    status = {i["id"]: s for i, s, _ in card["hu2026"]["items"]}
    assert status == {"Fig. 1": "figure", "Fig. 2": "schematic", "Fig. 3": "disagrees",
                      "Eqs.": "checked"}
    assert card["hu2026"]["verdicts"] == {"disagrees": 1, "agrees": 1}
    assert card[None]["verdicts"] == {"internal": 1}
    assert sum(sum(e["verdicts"].values()) for e in card.values()) == len(recs)


def test_the_book_inventory_loads_and_names_every_paper():
    inv = ledger.load_inventory()
    assert set(inv) == set(ledger.PAPERS)
    for spec in inv.values():
        for item in spec["items"]:
            assert item["id"] and item["what"]
