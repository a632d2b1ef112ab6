"""Document context (search/context.py): the documents that are parts of one page (the same address
up to ``#``) lift each other, in one index and across shards; documents of a series that share
only their title do not. Through the real CLI and the real index."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from search.context import CONTEXT_WEIGHT, context_bonus
from search.query import build_request, open_searcher, run_query, search_ranked
from search.scatter import open_shards
from indexer.store import open_for_reading
from tests.conftest import run_cli, write_jsonl

PAGE = "https://de.wikipedia.org/wiki/Wirtschaft_Polens"
DOCUMENTS = [
    # Two passages of one page: the second answers the question but names its subject ("Sie")
    # only in the first, and the page's title is not the subject either.
    {"title": "Wirtschaft Polens", "url": PAGE + "#geschichte-1", "date": "2024-03-01T10:00:00+01:00",
     "text": "Die Warschauer Börse wurde 1817 gegründet und im Zweiten Weltkrieg geschlossen."},
    {"title": "Wirtschaft Polens", "url": PAGE + "#geschichte-2", "date": "2024-03-05T10:00:00+01:00",
     "text": "Sie wurde im April 1991 wiederhergestellt und zählt heute zu den größten Handelsplätzen Osteuropas."},
    # Another page with two of the question's words.
    {"title": "Altstadt", "url": "https://de.wikipedia.org/wiki/Altstadt", "date": "2024-03-02T10:00:00+01:00",
     "text": "Das Warschauer Rathaus, im Krieg zerstört, wurde bis 1954 originalgetreu wiederhergestellt."},
    # A series: one title, two days, two addresses; no parts of one page.
    {"title": "Nachrichten am Morgen", "url": "https://example.de/morgen/2024-03-01", "date": "2024-03-01T06:00:00+01:00",
     "text": "Die Börse in Frankfurt schloss fester. In Warschau streiken die Busfahrer."},
    {"title": "Nachrichten am Morgen", "url": "https://example.de/morgen/2024-03-06", "date": "2024-03-06T06:00:00+01:00",
     "text": "Die Brücke über die Weichsel, im vergangenen Sommer vom Hochwasser schwer beschädigt, wird in "
             "den kommenden Monaten mit Mitteln der Stadt und des Landes wiederhergestellt."},
    {"title": "Wetter", "url": "https://example.de/wetter", "date": "2024-03-04T06:00:00+01:00",
     "text": "An der Börse rechnen die Anleger mit einem wärmeren April."},
]
QUESTION = "Wann wurde die Warschauer Börse wiederhergestellt?"
# Without the context the answer ("#geschichte-2") is fourth, behind the Altstadt (which holds more
# of the question's words: search/whoosh/proximity.py's coordination keeps it second) and the first
# morning news; its page lifts it above the news. Grouping by the title would lift the second
# "Nachrichten am Morgen" above the weather by the first one's score.
EXPECTED = [PAGE + "#geschichte-1", "https://de.wikipedia.org/wiki/Altstadt", PAGE + "#geschichte-2",
            "https://example.de/morgen/2024-03-01", "https://example.de/wetter", "https://example.de/morgen/2024-03-06"]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory) -> tuple[Path, Path, Path]:
    """One index, two shards (the bulk writer), and one index written in two runs (Whoosh's writer
    adds the second file's documents, the first passage among them, to the first file's)."""
    root = tmp_path_factory.mktemp("context")
    (root / "files").mkdir()
    write_jsonl(root / "files" / "seiten.jsonl", DOCUMENTS)
    one, sharded, twice = root / "one", root / "sharded", root / "twice"
    for index_dir, extra in ((one, ()), (sharded, ("--shard-size", "3"))):
        done = run_cli("index", *extra, str(root / "files"), index_dir=index_dir)
        assert done.returncode == 0, done.stderr
    for name, part in (("zuerst.jsonl", DOCUMENTS[1:]), ("danach.jsonl", DOCUMENTS[:1])):
        (root / name).mkdir()
        write_jsonl(root / name / name, part)
        done = run_cli("index", str(root / name), index_dir=twice)
        assert done.returncode == 0, done.stderr
    return one, sharded, twice


def test_a_passage_is_lifted_by_the_other_parts_of_its_page(indexes):
    done = run_cli("query", QUESTION, "--json", index_dir=indexes[0])
    assert done.returncode == 0, done.stderr
    dates = {doc["url"]: doc["date"] for doc in DOCUMENTS}  # the JSON answer names no address
    assert [hit["published"] for hit in json.loads(done.stdout)["hits"]] == [dates[url] for url in EXPECTED]


def test_parts_of_one_page_in_two_shards_lift_each_other(indexes):
    with open_shards(indexes[1]) as shards:
        hits = run_query(shards, build_request(QUESTION)).hits
        assert [hit.url for hit in hits] == EXPECTED
        assert [shards.stored(hit.id)[0].name for hit in (hits[0], hits[2])] == ["shard-000", "shard-001"]  # the page's parts


def test_a_page_written_in_two_runs_is_one_page(indexes):
    with open_shards(indexes[2]) as shards:
        assert [hit.url for hit in run_query(shards, build_request(QUESTION)).hits] == EXPECTED


def test_the_quality_bench_ranks_as_the_product(indexes):
    """``search_ranked`` (what bench/quality.py and bench/sweep.py ask) adds the same bonus."""
    with open_searcher(open_for_reading(indexes[0])) as searcher:
        ranked = search_ranked(searcher, QUESTION, 10, any_words=True)
        assert [searcher.stored_fields(doc)["url"] for doc, _ in ranked] == EXPECTED


def test_the_bonus_is_the_weight_times_the_best_other_part_of_the_page():
    scores = np.array([10.0, 4.0, 6.0, 1.0, 3.0])
    bonus = context_bonus(scores, [7, 7, 0, 9, 7])
    assert bonus.tolist() == [CONTEXT_WEIGHT * 4.0, CONTEXT_WEIGHT * 10.0, 0.0, 0.0, CONTEXT_WEIGHT * 10.0]
