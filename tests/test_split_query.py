"""A compound typed as one word also finds its parts written apart, below the compound itself."""
from __future__ import annotations

from indexer.store import open_for_reading
from indexer.write import index_files
from search.query import open_searcher, search_ranked
from tests.test_search import search, write_page

PAGES = {
    "compound.txt": ("Gletscherabfluss steigt", "Messungen am Rhein.", "Der Gletscherabfluss wächst."),
    "apart.txt": ("Schmelze in den Alpen", "Der Abfluss der Gletscher wächst.", "Messungen am Rhein."),
    "head.txt": ("Kanal gereinigt", "Der Abfluss war verstopft.", "Die Stadt ließ ihn säubern."),
    "other.txt": ("Wetter im Norden", "Es regnet.", "Der Wind dreht."),
}


def built(tmp_path):
    for name, (title, lead, body) in PAGES.items():
        write_page(tmp_path / name, title, lead, body)
    index_files([tmp_path], tmp_path / "ix")
    return tmp_path / "ix"


def test_all_words_required_finds_the_parts_written_apart_only_all_together(tmp_path):
    ix = built(tmp_path)
    assert [h.title for h in search(ix, "Gletscherabfluss").hits] == [
        "Gletscherabfluss steigt", "Schmelze in den Alpen"]


def test_among_or_ed_words_one_part_is_enough_and_the_compound_ranks_first(tmp_path):
    ix = built(tmp_path)
    with open_searcher(open_for_reading(ix)) as searcher:
        ranked = search_ranked(searcher, "Wohin fließt der Gletscherabfluss?", 10, any_words=True)
        titles = [searcher.stored_fields(doc)["title"] for doc, _ in ranked]
    assert titles == ["Gletscherabfluss steigt", "Schmelze in den Alpen", "Kanal gereinigt"]


def test_the_split_weight_is_read_when_asked_so_a_sweep_setting_reaches_the_ranking(tmp_path):
    """bench/sweep.py sets ``ranking.SPLIT_WEIGHT`` on the module; a copy taken at import would
    leave every setting of it measuring the default."""
    from bench.sweep import applied

    ix = built(tmp_path)
    with open_searcher(open_for_reading(ix)) as searcher, applied({"ranking.SPLIT_WEIGHT": 0.0}):
        ranked = search_ranked(searcher, "Wohin fließt der Gletscherabfluss?", 10, any_words=True)
        titles = [searcher.stored_fields(doc)["title"] for doc, _ in ranked]
    assert titles == ["Gletscherabfluss steigt"]
