"""Compound splitting from wordfreq's German vocabulary: real compounds split, words stay whole."""
from __future__ import annotations

import pytest

from indexer.compounds import split_compound


def parts(word: str) -> list[str]:
    return [word[a:b] for a, b in split_compound(word)]


@pytest.mark.parametrize(
    "word, expected",
    [
        ("botschaftsbesitz", ["botschaft", "besitz"]),  # linking s
        ("außenministerium", ["außen", "ministerium"]),  # ß kept, offsets into the original
        ("aussenministerium", ["aussen", "ministerium"]),
        ("wahlbeeinflussung", ["wahl", "beeinflussung"]),
        ("friedensverhandlungen", ["frieden", "verhandlungen"]),  # linking s after -en
        ("generalkonsuls", ["general", "konsuls"]),  # inflected head
        ("gesundheitsamt", ["gesundheit", "amt"]),  # short head after a link, not "samt"
        ("sicherheitsstrategie", ["sicherheit", "strategie"]),  # not "sich" + "heit"
        ("kinderarzt", ["kinder", "arzt"]),
    ],
)
def test_compounds_split_into_their_words(word, expected):
    assert parts(word) == expected


@pytest.mark.parametrize("word", ["bundestag", "bürgermeister", "regierung", "klassizismus", "mitarbeiter",
                                  "wiederannäherung", "großbritannien", "barkeeper", "us-botschaft", "kurz"])
def test_frequent_words_non_compounds_and_short_words_stay_whole(word):
    assert split_compound(word) == ()


def test_offsets_leave_out_the_linking_element():
    assert split_compound("botschaftsbesitz") == ((0, 9), (10, 16))
    assert parts("straßenbahn") == ["straße", "bahn"] and split_compound("straßenbahn") == ((0, 6), (7, 11))
