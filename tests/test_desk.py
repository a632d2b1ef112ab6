"""A documentation desk's search (issue 20, second part): filters under NICHT, export, exact and
proximity search, the way back from an article, quick dates, readable sections.

The corpus is the newsroom's (tests/test_newsroom.py, FANG's shape). The API and the pages are the
real app over HTTP (``newsearch serve``), the pages in headless Chromium, the CLI a real subprocess.
"""
from __future__ import annotations

import json

import pytest

from tests.conftest import fetch, run_cli
from tests.test_newsroom import TITLES, api, index_dir, titles  # noqa: F401  (index_dir: the fixture)

# -- 1. filters under NICHT / - ------------------------------------------------------------------


@pytest.mark.parametrize("query, expected", [
    ("Impfstoff NICHT quelle:zeit.de", ["1", "3", "4"]),
    ("Impfstoff -quelle:zeit.de", ["1", "3", "4"]),
    ("Impfstoff -Quelle:ZEIT.DE -quelle:tagesspiegel.de", ["3"]),
    ("NICHT quelle:zeit.de", ["1", "3", "4"]),
    ("Impfstoff NICHT NICHT quelle:zeit.de", ["2", "5"]),
    ("Impfstoff NICHT ressort:wissen", ["1", "3", "4"]),
    ("Impfstoff -ressort:wissen quelle:zeit.de", []),
    ("Impfstoff NICHT autor:Weber", ["3", "4", "5"]),
    ("Impfstoff NICHT titel:München", ["1", "2", "4", "5"]),
])  # fmt: skip
def test_filters_under_nicht_or_minus_exclude(live_server, query, expected):
    answer = api(live_server, q=query, sort="oldest")
    assert titles(answer) == [TITLES[i] for i in expected]
    assert answer["messages"] == []


def test_excluded_outlet_leaves_its_facet(live_server):
    answer = api(live_server, q="Impfstoff NICHT quelle:zeit.de")
    assert answer["facets"]["source"] == [{"value": "tagesspiegel.de", "count": 2},
                                          {"value": "sueddeutsche.de", "count": 1}]


@pytest.mark.parametrize("query", ["Impfstoff NICHT datum:2020", "Impfstoff -datum:2020"])
def test_a_date_cannot_be_excluded_and_says_so(live_server, query):
    answer = api(live_server, q=query, sort="oldest")
    assert titles(answer) == [TITLES[i] for i in "12345"]
    word = query.split()[-1].lstrip("-").split(":")[0]
    assert answer["messages"] == [
        f"„{word}:2020“ lässt sich nicht ausschließen (NICHT oder - vor einem Datum); die Angabe wird "
        f"übergangen. Einen Zeitraum wählen Sie mit {word}: ohne NICHT oder mit Von und Bis."]


def test_cli_excludes_an_outlet(index_dir):  # noqa: F811
    done = run_cli("query", "Impfstoff NICHT quelle:zeit.de", "--sort", "oldest", "--json", index_dir=index_dir)
    assert done.returncode == 0, done.stderr
    assert [hit["title"] for hit in json.loads(done.stdout)["hits"]] == [TITLES[i] for i in "134"]
