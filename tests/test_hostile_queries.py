"""Hostile queries that are cheap to type and were expensive to answer at FANG scale (bench/load.py)."""
from __future__ import annotations

import urllib.parse

from search.syntax import parse_user_query


def test_a_chain_of_nicht_is_at_most_one_negation():
    """Guards the 10 s answer to 300 × ``NICHT``: nested negations were evaluated one inside the other."""
    assert parse_user_query("NICHT " * 3 + "Botschaft").tree == parse_user_query("NICHT Botschaft").tree
    assert parse_user_query("NICHT " * 300 + "Botschaft").tree == parse_user_query("Botschaft").tree
    assert parse_user_query("NICHT -Botschaft").tree == parse_user_query("Botschaft").tree


def test_double_negation_finds_what_the_word_finds(client):
    def total(query: str) -> int:
        response = client.get("/api/search?" + urllib.parse.urlencode({"q": query}))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["total"]

    assert total("Botschaft") == 1
    assert total("NICHT NICHT Botschaft") == total("NICHT " * 40 + "Botschaft") == 1
    assert total("NICHT NICHT NICHT Botschaft") == total("NICHT Botschaft") == 6
