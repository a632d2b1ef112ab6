"""German matching rules, each on small documents written for the rule."""
from __future__ import annotations

import json

import pytest
import Stemmer

from indexer.german import fold
from indexer.parse import parse_article
from indexer.store import open_for_reading
from indexer.write import index_files
from search.query import build_request, open_searcher, run_query
from tests.conftest import SAMPLE, run_cli
from tests.pages import write_page


def titles_for(index_dir, text):
    with open_searcher(open_for_reading(index_dir)) as searcher:
        return [h.title for h in run_query(searcher, build_request(text)).hits]


def build(tmp_path, pages):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i, (title, body) in enumerate(pages):
        write_page(inbox / f"{i}.txt", title, lead="Ein Bericht aus der Region.", body=body,
                   stamp=f"0{i + 1}.02.2026 - 10:00:00")
    index_files([inbox], tmp_path / "ix")
    return tmp_path / "ix"


@pytest.fixture
def names(tmp_path):
    return build(tmp_path, [
        ("Bericht A", "Frau Müller leitet das Amt."),
        ("Bericht B", "Frau Mueller leitet das Amt."),
        ("Bericht C", "Im Zoo lebt ein Bär."),
        ("Bericht D", "In der Bar wird getanzt."),
    ])


def test_umlaut_digraph_and_plain_spellings_find_each_other_exact_first(names):
    assert titles_for(names, "Müller") == ["Bericht A", "Bericht B"]
    assert titles_for(names, "Mueller") == ["Bericht B", "Bericht A"]
    assert sorted(titles_for(names, "Muller")) == ["Bericht A", "Bericht B"]


def test_bar_and_baer_are_told_apart_by_rank(names):
    assert titles_for(names, "Bar") == ["Bericht D", "Bericht C"]
    assert titles_for(names, "Bär") == ["Bericht C", "Bericht D"]


def test_compound_part_finds_compound_but_ranks_below_the_standalone_word(tmp_path):
    ix = build(tmp_path, [
        ("Bericht A", "Der Botschaftsbesitz wurde beschlagnahmt."),
        ("Bericht B", "Die Botschaft wurde geschlossen."),
        ("Bericht C", "Das Außenministerium schweigt."),
    ])
    assert titles_for(ix, "Botschaft") == ["Bericht B", "Bericht A"]
    assert titles_for(ix, "Ministerium") == ["Bericht C"]
    assert titles_for(ix, "Besitz") == ["Bericht A"]


def test_exact_word_form_ranks_above_a_stem_only_match(tmp_path):
    ix = build(tmp_path, [("Bericht A", "Die Botschaften sind leer."), ("Bericht B", "Die Botschaft ist leer.")])
    assert titles_for(ix, "Botschaft") == ["Bericht B", "Bericht A"]
    assert titles_for(ix, "Botschaften") == ["Bericht A", "Bericht B"]


def test_snippet_marks_the_matching_part_inside_a_compound(tmp_path):
    ix = build(tmp_path, [("Bericht A", "Der Botschaftsbesitz und das US-Außenministerium.")])
    with open_searcher(open_for_reading(ix)) as searcher:
        hit = run_query(searcher, build_request("Botschaft Ministerium")).hits[0]
    assert hit.snippet.html() == "Der <mark>Botschaft</mark>sbesitz und das US-Außen<mark>ministerium</mark>."


def test_separate_words_find_the_hyphenated_compound(index_dir):
    related = parse_article(SAMPLE).related
    assert {related[0].title, related[1].title} <= set(titles_for(index_dir, "Ukraine Gespräche"))
    assert titles_for(index_dir, "Generalkonsul")[:1] == [parse_article(SAMPLE).title]
    assert titles_for(index_dir, "Ministerium")[:1] == [parse_article(SAMPLE).title]


def test_field_weights_rank_title_topics_lead_body_captions_and_credits_not_at_all(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    word = "Leuchtturm"
    layouts = {
        "im Titel": dict(title=f"{word} im Titel"),
        "im Thema": dict(topics=word),
        "im Vorspann": dict(lead=f"Der {word} steht am Meer."),
        "im Text": dict(body=f"Der {word} steht am Meer."),
    }
    for i, (name, parts) in enumerate(layouts.items()):
        write_page(inbox / f"{i}.txt", parts.get("title", f"Meldung {name}"), topics=parts.get("topics", "Küste"),
                   lead=parts.get("lead", "Ein Vorspann."), body=parts.get("body", "Ein Absatz."),
                   stamp=f"0{i + 1}.03.2026 - 10:00:00")
    (inbox / "caption.txt").write_text(
        "Küste\n\nMeldung in der Bildunterschrift\n\n06.03.2026 - 10:00:00\n\nEin Vorspann.\n\n"
        f"  • Ein {word} bei Nacht. - Foto: Anna Beispiel/dpa\n\n    Anna Beispiel/dpa\n\nEin Absatz.\n\n@ dpa.de\n",
        encoding="utf-8")
    (inbox / "credit.txt").write_text(
        "Küste\n\nMeldung mit Fotograf\n\n07.03.2026 - 10:00:00\n\nEin Vorspann.\n\n"
        f"  • Ein Schiff. - Foto: Jan {word}/dpa\n\n    Jan {word}/dpa\n\nEin Absatz.\n\n@ dpa.de\n", encoding="utf-8")
    index_files([inbox], tmp_path / "ix")
    assert titles_for(tmp_path / "ix", word) == [
        f"{word} im Titel", "Meldung im Thema", "Meldung im Vorspann", "Meldung im Text",
        "Meldung in der Bildunterschrift",
    ]


def test_snippet_marks_words_whose_spelling_differs_from_the_query_after_folding(tmp_path):
    """ß, umlauts and their ae/oe/ue spellings: the words a snippet skips without analysis never include these."""
    ix = build(tmp_path, [("Bericht A", "Herr Mueller sperrte die Straßen am Führerscheinprüfungsort.")])
    with open_searcher(open_for_reading(ix)) as searcher:
        hit = run_query(searcher, build_request("Müller Strasse Prüfung")).hits[0]
    assert hit.snippet.html() == ("Herr <mark>Mueller</mark> sperrte die <mark>Straßen</mark> am "
                                  "Führerschein<mark>prüfung</mark>sort.")


def test_snippets_analyse_only_the_words_that_may_hold_a_query_term(tmp_path):
    """Analysing every word of a matching sentence filled the per-word cache with words of no query; when it
    overflowed, every search analysed anew (1.6x the server's throughput under load, docs/reliability.md)."""
    from search.highlight import _analysed_words
    ix = build(tmp_path, [("Bericht A", "Zahlreiche Anwohner beobachteten gestern abend den Leuchtturm genau.")])
    with open_searcher(open_for_reading(ix)) as searcher:
        hit = run_query(searcher, build_request("Leuchtturm")).hits[0]
        analyzed = {word for _, field in searcher.schema.items() if getattr(field, "analyzer", None)
                    for word in _analysed_words(field.analyzer)}
    assert "<mark>Leuchtturm</mark>" in hit.snippet.html()
    assert "Leuchtturm" in analyzed
    assert not analyzed & {"Zahlreiche", "Anwohner", "beobachteten", "gestern", "genau"}


def test_did_you_mean_prefers_one_edit_unless_two_edits_are_far_more_common(tmp_path):
    ix = build(tmp_path, [("Bericht A", "Der Titel steht fest."), ("Bericht B", "Die Tage werden kürzer."),
                          ("Bericht C", "Zwei Tage später."), ("Bericht D", "Nach drei Tagen, am Tage danach.")])
    with open_searcher(open_for_reading(ix)) as searcher:
        assert run_query(searcher, build_request("Tite")).suggestion == "Titel"  # 1 edit; "Tage" is 2
        assert run_query(searcher, build_request("Tege")).suggestion == "Tage"
        assert run_query(searcher, build_request("Tx" * 30)).suggestion is None  # a paste, not a misspelling


@pytest.mark.parametrize("spelling", ["Praesident", "Präsident*", "Praesident*", "Praesid*", "Gebaeude*"])
def test_every_spelling_of_a_word_and_of_its_prefix_finds_the_sample_article(index_dir, spelling):
    """Three folds disagreed: ``Praesident`` and ``Präsident*`` found the article, ``Praesident*`` nothing;
    ``Gebaeude*`` found nothing either, its fold ``gebaude`` being longer than the stem ``gebaud``."""
    result = run_cli("query", spelling, "--json", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    assert [h["id"] for h in json.loads(result.stdout)["hits"]] == [parse_article(SAMPLE).id]


def test_the_other_spellings_find_it_too(index_dir):
    spellings = ["Präsident", "Prasident", "PRÄSIDENT", "PRAESIDENT", "Prasident*", "Präsid*", "PRAESID*", "präs*",
                 "Gebäude*", "Gebaude*", "Atommächten*", "Atommaechten*"]
    assert {s: titles_for(index_dir, s) for s in spellings} == {s: [parse_article(SAMPLE).title] for s in spellings}


# Words where Snowball's reading of ae/oe/ue turns on its exceptions: a u or y between vowels,
# "qu", an umlaut before e, runs of vowels; and plain news words.
TRICKY = ["Präsident", "Praesident", "Feuer", "neue", "Steuererklärung", "Quelle", "Aquaeduct", "Bayern",
          "Maeuse", "Mäuse", "aktuell", "Israel", "Poesie", "Boeing", "Straße", "STRASSE", "Groesse", "äe",
          "auue", "aueuek", "auaua", "Treue", "Bauer", "Uebel", "Oeffentlichkeit", "Müller", "Mueller"]


@pytest.mark.parametrize("word", TRICKY)
def test_every_stem_is_a_prefix_of_the_fold_of_its_word(word):
    """What lets a prefix query and the snippet finder spell words as the stemmer does."""
    assert fold(word).startswith(Stemmer.Stemmer("german").stemWord(word.lower()))


def test_fold_reads_digraphs_as_the_stemmer_does():
    assert [fold(w) for w in ("Praesident", "Feuer", "Quelle", "aueuek", "Maeuse", "äe")] == [
        "prasident", "feuer", "quelle", "aueuek", "mause", "ae"]
