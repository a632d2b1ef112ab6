"""bench/sweep.py: the 2-fold split of issue 17, settings put on the ranking modules and taken back,
and the choice on one fold reported on the other."""
from __future__ import annotations

from bench.sweep import applied, choose, folds, parse_grid
from search import ranking
from search.whoosh import proximity


def test_folds_are_the_sorted_ids_shuffled_with_seed_17_and_halved():
    got = folds([f"q{n:02d}" for n in range(10)][::-1])
    # the split that gives bench/README.md's fold figures (xquad-de 0.7888 / 0.7916 at 3f61d9d)
    assert got == {"A": ["q07", "q03", "q00", "q05", "q01"], "B": ["q09", "q02", "q04", "q06", "q08"]}


def test_grid_is_every_combination():
    assert parse_grid(["ranking.BM25_K1=0.6,0.9", "proximity.WINDOW=8,16"]) == [
        {"ranking.BM25_K1": 0.6, "proximity.WINDOW": 8.0}, {"ranking.BM25_K1": 0.6, "proximity.WINDOW": 16.0},
        {"ranking.BM25_K1": 0.9, "proximity.WINDOW": 8.0}, {"ranking.BM25_K1": 0.9, "proximity.WINDOW": 16.0},
    ]


def test_a_setting_holds_inside_and_is_taken_back_after():
    k1, window, boosts, field_b = ranking.BM25_K1, proximity.WINDOW, dict(ranking.FIELD_BOOSTS), dict(ranking.FIELD_B)
    with applied({"ranking.BM25_K1": 0.5, "proximity.WINDOW": 16.0, "ranking.FIELD_BOOSTS.lead": 2.0,
                  "ranking.FIELD_B.lead": 0.4}):
        assert (ranking.BM25_K1, proximity.WINDOW) == (0.5, 16)
        assert type(proximity.WINDOW) is int  # a window is a count of positions
        assert (ranking.FIELD_BOOSTS["lead"], ranking.FIELD_B["lead"]) == (2.0, 0.4)
    assert (ranking.BM25_K1, proximity.WINDOW) == (k1, window)
    assert ranking.FIELD_BOOSTS == boosts and ranking.FIELD_B == field_b  # "lead" had no B of its own


def test_each_fold_chooses_on_itself_and_is_reported_on_the_other():
    def row(a, b):
        return {"A": {"ndcg@10": a, "mrr@10": a}, "B": {"ndcg@10": b, "mrr@10": b}}

    rows = {
        "xquad": {'{"k": 1}': row(0.80, 0.70), '{"k": 2}': row(0.75, 0.79)},
        "news": {'{"k": 1}': row(0.40, 0.40), '{"k": 2}': row(0.40, 0.41), '{"k": 3}': row(0.9, 0.9)},
    }
    assert choose(rows) == {
        "chosen on A": {"setting": {"k": 1}, "fit": 1.2, "held out (B)": {"xquad": 0.70, "news": 0.40}},
        "chosen on B": {"setting": {"k": 2}, "fit": 1.2, "held out (A)": {"xquad": 0.75, "news": 0.40}},
    }
