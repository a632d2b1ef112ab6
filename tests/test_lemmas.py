"""Lemmas beside Snowball: forms the stemmer misses find each other, in a real index and at query time."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from indexer.analysis import german_analyzer
from indexer.lemmas import cache_path
from indexer.write import index_files
from tests.conftest import ROOT
from tests.test_search import search, write_page


def stems(text):
    return [t.text for t in german_analyzer()(text)]


def test_strong_verbs_and_foreign_plurals_meet_their_lemma():
    # Snowball alone: ging, gegang, geh / mechanism, mechanismus / wurd, werd
    assert stems("ging gegangen gehen") == ["geh", "geh", "geh"]
    assert stems("Mechanismen Mechanismus") == ["mechanismus", "mechanismus"]
    assert stems("Verträge Vertrag Häuser") == ["vertrag", "vertrag", "haus"]  # Snowball's folding stays


def test_a_participle_used_as_a_noun_does_not_keep_its_forms_from_the_verb():
    # "das Entwickelte", "der Gegangene" are nouns of simplemma's list; they kept entwickelte at
    # Snowball's "entwickelt" while entwickelt is "entwickeln"; a noun of its own still blocks
    assert stems("entwickelte entwickelt entwickeln") == ["entwickel"] * 3
    assert stems("gegangene ging") == ["geh", "geh"]
    assert stems("Band Wiese") == ["band", "wies"]


def test_a_form_is_no_form_of_a_far_rarer_lemma():
    # simplemma's list reads these as forms of läuten, umstehen, schreiten, beamen; by their
    # frequency they are nouns, and stay with their own forms
    assert stems("Leuten Leute") == ["leut", "leut"]
    assert stems("Umständen Umstand") == ["umstand", "umstand"]
    assert stems("Schritte Schritt") == ["schritt", "schritt"]
    assert stems("Beamte Beamten") == ["beamt", "beamt"]
    assert stems("ging wurde") == ["geh", "werd"]  # frequent lemmas stay


def test_the_beamte_finds_the_article_about_beamten(tmp_path):
    write_page(tmp_path / "a.txt", "Streit in Kiel", "Die Beamten streiken.", "Der Senat verhandelt.")
    write_page(tmp_path / "b.txt", "Wetter im Norden", "Es regnet.", "Der Wind dreht.")
    index_files([tmp_path], tmp_path / "ix")
    assert [h.title for h in search(tmp_path / "ix", "Beamte").hits] == ["Streit in Kiel"]


@pytest.mark.parametrize("query", ["gegangen", "gehen", "Mechanismus"])
def test_a_form_finds_the_article_that_has_another_form_of_the_word(tmp_path, query):
    write_page(tmp_path / "a.txt", "Streit in Kiel", "Die Delegation ging nach Berlin.",
               "Neue Mechanismen sollen helfen.")
    write_page(tmp_path / "b.txt", "Wetter im Norden", "Es regnet.", "Der Wind dreht.")
    index_files([tmp_path], tmp_path / "ix")
    assert [h.title for h in search(tmp_path / "ix", query).hits] == ["Streit in Kiel"]


def test_the_table_is_derived_once_and_a_broken_cache_file_is_derived_again(tmp_path):
    env = dict(os.environ, NEWSEARCH_CACHE=str(tmp_path))
    probe = "from indexer.lemmas import cache_path, stem_lemma; print(stem_lemma('ging'), cache_path().name)"
    path = tmp_path / cache_path().name
    path.write_bytes(b"no xz here")
    first = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert (first.returncode, first.stdout.split()) == (0, ["geh", path.name]), first.stderr
    assert path.stat().st_size > 100_000  # written again, whole
    written = path.stat().st_ino
    second = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert (second.returncode, second.stdout.split()[0]) == (0, "geh"), second.stderr
    assert path.stat().st_ino == written  # read, not derived and replaced again
