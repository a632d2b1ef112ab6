"""``newsearch show ID`` prints one stored document; ``query`` without text lists the newest
(issue 15, defect 13)."""
from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from indexer.parse import parse_article
from tests.conftest import SAMPLE, fetch, run_cli

ARTICLE = parse_article(SAMPLE)
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(moment) -> str:
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


def test_show_prints_the_whole_article_in_berlin_time(index_dir):
    result = run_cli("show", ARTICLE.id, index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    expected = [
        ARTICLE.title,
        f"Artikel · {berlin(ARTICLE.published)} · {ARTICLE.agency}  [{ARTICLE.id}]",
        f"Themen: {', '.join(ARTICLE.topics)}",
    ]
    for paragraph in (ARTICLE.lead, *ARTICLE.body):
        expected += ["", paragraph]
    expected += ["", "Bilder:"] + [f"  – {c.text} (Foto: {c.credit})" for c in ARTICLE.captions]
    expected += ["", "Weitere Meldungen:"] + [
        f"  – {r.title} ({berlin(r.published)} · {r.section})  [{r.id}]" for r in ARTICLE.related
    ]
    assert result.stdout.splitlines() == expected, result.stdout
    assert len(ARTICLE.captions) == 2 and len(ARTICLE.related) == 6  # the sample shows every part


def test_show_of_a_related_item_links_back_to_its_article(index_dir):
    item = ARTICLE.related[0]
    result = run_cli("show", item.id, index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        item.title,
        f"Meldung · {berlin(item.published)} · {item.section}  [{item.id}]",
        "",
        item.teaser,
        "",
        "Gemeldet unter:",
        f"  – {ARTICLE.title} ({berlin(ARTICLE.published)})  [{ARTICLE.id}]",
    ]


def test_show_json_is_exactly_the_api_document(live_server, index_dir):
    for doc_id in (ARTICLE.id, ARTICLE.related[2].id):
        result = run_cli("show", doc_id, "--json", index_dir=index_dir)
        assert result.returncode == 0, result.stderr
        status, _, body = fetch(f"{live_server}/api/document/{doc_id}")
        assert status == 200, body
        assert json.loads(result.stdout) == json.loads(body)


def test_show_unknown_id_exits_1_with_german_message(index_dir):
    result = run_cli("show", "0000000000000000", index_dir=index_dir)
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert result.stderr == (
        "Fehler: Ein Dokument mit der Kennung '0000000000000000' gibt es im Index nicht (mehr). "
        "Suchen Sie nach seinem Titel, um es wiederzufinden.\n"
    )


def newest_first() -> list[tuple[str, str]]:
    """(id, title) of the sample's article and related items, newest first, as the fixture holds them."""
    docs = [(ARTICLE.published, ARTICLE.id, ARTICLE.title)] + [(r.published, r.id, r.title) for r in ARTICLE.related]
    return [(doc_id, title) for _, doc_id, title in sorted(docs, key=lambda d: d[0], reverse=True)]


def test_query_without_text_lists_the_newest_documents(index_dir):
    for args in ((), ("",)):
        result = run_cli("query", *args, "--limit", "3", index_dir=index_dir)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == "Neueste Dokumente: 7 insgesamt – Seite 1 von 3"
        assert [line.split(". ", 1)[1] for line in lines[1::3]] == [title for _, title in newest_first()[:3]]
    found = run_cli("query", "--json", index_dir=index_dir)
    assert [h["id"] for h in json.loads(found.stdout)["hits"]] == [doc_id for doc_id, _ in newest_first()]
