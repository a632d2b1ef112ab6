"""The analysis chains, and the fused index-time pass that must give exactly what they give."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.analysis import compound_parts_analyzer, exact_analyzer, compound_terms, german_analyzer, text_entries, form_positions

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "data").glob("*.txt"))]
TEXTS += [(ROOT / "sample_data" / "000_502c415add25ad79.txt").read_text(encoding="utf-8")]
TEXTS += [
    "Die CDU/CSU-Bundestagsfraktion und das US-Außenministerium: Ukraine-Gespräche in Abu Dhabi.",
    "Straßenbahn, Fußballspiel, Gesundheitsamt – Mueller, Müller, Muller; Bär und Bar. 2026-01-24",
    "Nord-Ost-Süd-West-Verbindung, Ex-Agenten, E-Mail, 3-D-Drucker, Covid-19-Pandemie, die-der-das",
]


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_fused_index_pass_equals_the_exact_and_parts_chains(text):
    forms, positions = form_positions(text_entries(text))
    assert list(zip(forms, positions)) == [(t.text, t.pos) for t in exact_analyzer()(text, positions=True)]
    assert compound_terms(text) == [t.text for t in compound_parts_analyzer()(text)]


def test_main_analyzer_folds_stems_and_keeps_hyphen_wholes_and_parts():
    assert [t.text for t in german_analyzer()("Die Präsidentin im Ukraine-Krieg, Straße")] == [
        "prasidentin", "ukrainekrieg", "ukrain", "krieg", "strass"]
