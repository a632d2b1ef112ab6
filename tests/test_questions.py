"""Questions (a query ending with ``?``): weighted as a question, and requiring its content words only.

Weighting: how many of its words a text holds counts more than how often it repeats one
(``QUESTION_K1``), and the exact word form less (``QUESTION_EXACT``). The index: Kiel's short
article repeats ``Kran``; Rostock's longer one names ``Bagger`` (lead) and ``Hafen`` (body) once
each, in different fields so that no word pair adds proximity. No article holds all three words,
so the search falls back to any of them.

Requiring (search/required.py): ``wer``, ``wurde`` ... are optional in a question, over the CLI,
the API and the page, and over a sharded index alike (``WAHL``).
"""
from __future__ import annotations

import json
import urllib.parse

import pytest

from indexer.store import open_for_reading
from indexer.write import index_files
from search.query import build_request, open_searcher, run_query, search_ranked
from search.scatter import as_shards
from tests.conftest import fetch, run_cli, serving, write_jsonl
from tests.test_search import search, write_page
from tests.test_web import page_ids

FILLER = "Die Stadt plant den Umbau der alten Speicher am Ufer und will die Straßen neu ordnen, sagt der Senat. "


def built(tmp_path):
    write_page(tmp_path / "kiel.txt", "Bericht aus Kiel", "Neu im Norden.", "Ein Kran. Ein Kran.")
    write_page(tmp_path / "rostock.txt", "Bericht aus Rostock", "Ein Bagger wurde geliefert.",
               FILLER + "Er steht am Hafen.")
    write_page(tmp_path / "wetter.txt", "Wetter", "Es regnet.", "Der Wind dreht.")
    index_files([tmp_path], tmp_path / "ix")
    return tmp_path / "ix"


def test_a_question_ranks_the_article_with_more_of_its_words_first(tmp_path):
    ix = built(tmp_path)
    assert [h.title for h in search(ix, "Kran Bagger Hafen?").hits] == ["Bericht aus Rostock", "Bericht aus Kiel"]


def test_the_same_words_without_a_question_mark_rank_the_repetition_first(tmp_path):
    ix = built(tmp_path)
    assert [h.title for h in search(ix, "Kran Bagger Hafen").hits] == ["Bericht aus Kiel", "Bericht aus Rostock"]


def test_the_quality_bench_ranks_a_question_as_the_search_does(tmp_path):
    ix = built(tmp_path)
    with open_searcher(open_for_reading(ix)) as searcher:
        def titles(text):
            return [searcher.stored_fields(doc)["title"] for doc, _ in search_ranked(searcher, text, 10, any_words=True)]

        assert titles("Kran Bagger Hafen?") == ["Bericht aus Rostock", "Bericht aus Kiel"]
        assert titles("Kran Bagger Hafen") == ["Bericht aus Kiel", "Bericht aus Rostock"]


def test_a_question_search_builds_its_whoosh_query_once(tmp_path):
    """Statistics, match and snippets share the question's query: one ``to_whoosh`` (several
    milliseconds) per search, as for any other query, not one per weighting."""
    ix = built(tmp_path)
    with open_searcher(open_for_reading(ix)) as searcher:
        shards = as_shards(searcher)
        assert [h.title for h in run_query(shards, build_request("Kran?")).hits] == ["Bericht aus Kiel"]
        assert [h.title for h in run_query(shards, build_request("Kran")).hits] == ["Bericht aus Kiel"]
        kept = [(tree.text, question) for tree, question in shards.shards[0]._queries]
    assert kept == [("Kran", True), ("Kran", False)]


# --- a question requires its content words only (search/required.py) ---

WAHL = [  # "Präsident" in three articles, the question words "wer" and "wurde" in one of them
    ("wahl", "2021-01-10", "Wahl im Land", "Der Präsident wurde gewählt. Wer ihn wählte, bleibt geheim."),
    ("amt", "2021-03-10", "Amtsantritt", "Der Präsident tritt sein Amt an."),
    ("bank", "2021-05-10", "Neue Leitung der Bank", "Die Bank hat einen neuen Präsidenten."),
    ("wetter", "2021-07-10", "Wetter", "Es wurde kalt, wer hätte das gedacht."),
    ("kanzler", "2021-09-10", "Kanzlerwahl", "Der Kanzler wurde gewählt."),
    ("niemand", "2021-11-10", "Leere Runde", "Gewählt wurde niemand."),
]
PRESIDENT = ["Wahl im Land", "Amtsantritt", "Neue Leitung der Bank"]


def one_and_sharded(tmp_path_factory, name: str, articles: list[tuple[str, str, str, str]]):
    """``articles`` (id, day, title, body) as a JSON Lines file, indexed by the CLI as one index and
    as an index of three time shards (two articles each)."""
    root = tmp_path_factory.mktemp(name)
    files = root / "files"
    files.mkdir()
    write_jsonl(files / f"{name}.jsonl", [{"id": key, "date": f"{day}T10:00:00+01:00", "title": title, "lead": "",
                                           "text": text, "source": f"{name}.de"} for key, day, title, text in articles])
    for folder, extra in (("one", ()), ("sharded", ("--shard-size", "2"))):
        done = run_cli("index", *extra, str(files), index_dir=root / folder)
        assert done.returncode == 0, done.stderr
    return root / "one", root / "sharded"


@pytest.fixture(scope="module")
def wahl(tmp_path_factory):
    return one_and_sharded(tmp_path_factory, "wahl", WAHL)


def _cli(index_dir, text: str) -> dict:
    done = run_cli("query", text, "--json", index_dir=index_dir)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _titles(answer: dict) -> list[str]:
    return [hit["title"] for hit in answer["hits"]]


def test_a_question_requires_its_content_words_not_its_question_words(wahl):
    """"Wer wurde Präsident?" required ``wer`` and ``wurde`` too: 1 article instead of the 3 about a ``Präsident``."""
    one, _ = wahl
    question = _cli(one, "Wer wurde Präsident?")
    assert (question["total"], _titles(question), question["notice"]) == (3, PRESIDENT, None)
    keywords = _cli(one, "Wer wurde Präsident")  # no question mark: every word, as before
    assert (keywords["total"], _titles(keywords)) == (1, ["Wahl im Land"])


def test_a_sharded_index_answers_a_question_as_one_index(wahl):
    one, sharded = wahl
    assert len(list(sharded.glob("shard-*"))) == 3
    answers = [_cli(index_dir, "Wer wurde Präsident?") for index_dir in (one, sharded)]
    assert [(a["total"], _titles(a)) for a in answers] == [(3, PRESIDENT)] * 2


def test_the_page_and_the_api_find_a_questions_content_words(wahl):
    one, _ = wahl
    query = urllib.parse.urlencode({"q": "Wer wurde Präsident?"})
    with serving(one) as base:
        api_status, _, body = fetch(f"{base}/api/search?{query}")
        page_status, _, html = fetch(f"{base}/?{query}")
    answer = json.loads(body)
    assert (api_status, page_status, answer["total"], _titles(answer)) == (200, 200, 3, PRESIDENT)
    assert page_ids(html) == [hit["id"] for hit in answer["hits"]]


def test_quotes_signs_and_operators_keep_their_meaning_in_a_question(wahl):
    one, _ = wahl
    assert _titles(_cli(one, '"wurde gewählt" wer?')) == ["Wahl im Land", "Kanzlerwahl"]  # the phrase, in order
    assert _titles(_cli(one, "+wer Präsident?")) == ["Wahl im Land"]  # typed as required
    assert _titles(_cli(one, "Wer wurde Präsident NICHT Bank?")) == ["Wahl im Land"]  # operators: as written


def test_a_question_with_one_content_word_does_not_fall_back_to_its_question_words(wahl):
    """Nothing holds ``Bundestrainer``: articles with only ``wer`` or ``wurde`` are no answer."""
    one, _ = wahl
    answer = _cli(one, "Wer wurde Bundestrainer?")
    assert (answer["total"], answer["notice"]) == (0, None)


# --- a question's passage with more of its words ranks up (search/whoosh/proximity.py COORDINATION) ---

HAFEN = [  # "Kran" in a headline outscores "Werft" and "Schiff" in a body, unless holding more words counts
    ("kran", "2021-02-01", "Neuer Kran für Stadt Land Fluss Berg Tal Wald Feld", "Er steht dort und ist gelb."),
    ("werft", "2021-04-01", "Bericht aus dem Norden", "In der Werft liegt ein Schiff."),
    ("f0", "2021-06-01", "Meldung 0", "Der Hafen ist alt."),
    ("f1", "2021-08-01", "Meldung 1", "Ein Bagger am Hafen."),
    ("f2", "2021-10-01", "Meldung 2", "Die Stadt wächst."),
    ("f3", "2021-12-01", "Meldung 3", "Der Senat tagt."),
]


@pytest.fixture(scope="module")
def hafen(tmp_path_factory):
    return one_and_sharded(tmp_path_factory, "hafen", HAFEN)


def test_a_question_ranks_the_passage_with_more_of_its_words_first_everywhere(hafen):
    """Without coordination the headline with ``Kran`` scores 9.13 and the body with ``Werft`` and
    ``Schiff`` 8.38; the CLI over one index and over three shards and the quality bench's ranking
    all put the article with two of the question's three words first."""
    one, sharded = hafen
    for index_dir in (one, sharded):
        assert _titles(_cli(index_dir, "Kran Werft Schiff?"))[:2] == ["Bericht aus dem Norden", HAFEN[0][2]]
    with open_searcher(open_for_reading(one)) as searcher:
        ranked = search_ranked(searcher, "Kran Werft Schiff?", 2, any_words=True)
        assert [searcher.stored_fields(doc)["title"] for doc, _ in ranked] == ["Bericht aus dem Norden", HAFEN[0][2]]
