"""Quoted phrases find the words as written (issue 15, defect 7): through the index, the CLI and the API.

Outside quotes a word is stemmed, so ``die Linke``, ``den Linken`` and ``ein Linker`` all ask for
``link``. Inside quotes only case folds: each finds the articles that have those words in that order.
"""
from __future__ import annotations

import json

import pytest

from indexer.store import open_for_reading
from indexer.write import index_files
from search.query import build_request, open_searcher, run_query
from tests.conftest import run_cli, write_jsonl
from web import create_app

ARTICLES = {
    "parteitag": ("Parteitag in Erfurt", "Die Linke wählt eine neue Doppelspitze. Der Parteitag dauert zwei Tage."),
    "umfrage": ("Umfrage vor der Wahl", "In Berlin liegt DIE LINKE bei zwölf Prozent, die SPD bei elf."),
    "fraktion": ("Streit in der Fraktion", "Bei den Linken gibt es Streit über den Kurs der Fraktion."),
    "portraet": ("Ein Porträt", "Er gilt als ein Linker alter Schule und spricht gern über Gerechtigkeit."),
    "fluegel": ("Der linke Flügel", "Der linke Flügel der Partei will mehr Geld für Schulen."),
    "getrennt": ("Linke Politik, die wirkt", "Die Politik, die Linke und Grüne wollen, kostet Geld. Linke wollen sie."),
}


def record(key: str) -> dict:
    title, text = ARTICLES[key]
    return {"id": key, "title": title, "text": text, "date": "2026-01-20 10:00", "source": "test"}


@pytest.fixture(scope="module")
def linke(tmp_path_factory):
    folder = tmp_path_factory.mktemp("linke")
    write_jsonl(folder / "linke.jsonl", [record(key) for key in ARTICLES])
    report = index_files([folder / "linke.jsonl"], folder / "ix")
    assert (report.articles, report.failures) == (len(ARTICLES), ()), report
    return folder / "ix"


def found(index_dir, text: str):
    with open_searcher(open_for_reading(index_dir)) as searcher:
        return run_query(searcher, build_request(text, per_page=50))


def keys(result) -> list[str]:
    by_title = {title: key for key, (title, _) in ARTICLES.items()}
    return sorted(by_title[hit.title] for hit in result.hits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"die Linke"', ["getrennt", "parteitag", "umfrage"]),  # any case; "Die Politik, die Linke" counts
        ('"den Linken"', ["fraktion"]),
        ('"ein Linker"', ["portraet"]),
        ('"der linke Flügel"', ["fluegel"]),
        ('"Linke die"', []),  # the same words in another order
        ('"Linken"', ["fraktion"]),  # one quoted word is exact too
        ("die Linke", ["fluegel", "fraktion", "getrennt", "parteitag", "portraet", "umfrage"]),  # stemmed
        ('"die Linke" Doppelspitze', ["parteitag"]),
        ('titel:"linke Politik"', ["getrennt"]),
    ],
)
def test_quoted_phrase_finds_the_words_as_written_and_unquoted_words_are_stemmed(linke, text, expected):
    assert keys(found(linke, text)) == expected


def test_every_hit_for_a_quoted_phrase_contains_it_and_its_snippet_marks_it(linke):
    result = found(linke, '"die Linke"')
    assert result.total == 3
    for hit in result.hits:
        marked = [text for text, mark in hit.snippet.parts if mark]
        assert [m.casefold() for m in marked] in (["die linke"], ["die linke", "die linke"]), hit.snippet.parts
    snippets = {keys_of(hit): hit.snippet.html() for hit in result.hits}
    assert "<mark>DIE LINKE</mark> bei zwölf Prozent" in snippets["umfrage"]
    assert "Die Politik, <mark>die Linke</mark> und Grüne" in snippets["getrennt"]


def keys_of(hit) -> str:
    return {title: key for key, (title, _) in ARTICLES.items()}[hit.title]


def test_cli_query_json_finds_only_the_exact_phrase(linke):
    result = run_cli("query", '"den Linken"', "--json", index_dir=linke)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["total"], [h["title"] for h in data["hits"]]) == (1, ["Streit in der Fraktion"])
    assert "<mark>den Linken</mark>" in data["hits"][0]["snippet"]


def test_api_search_finds_only_the_exact_phrase(linke):
    client = create_app({"TESTING": True, "INDEX_DIR": str(linke)}).test_client()
    response = client.get("/api/search", query_string={"q": '"ein Linker"'})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert (data["total"], [h["title"] for h in data["hits"]]) == (1, ["Ein Porträt"])
    assert "<mark>ein Linker</mark> alter Schule" in data["hits"][0]["snippet"]
