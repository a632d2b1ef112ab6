"""Agency formats: IPTC ninjs 1.x and 2.x, NewsML-G2 with XHTML and NITF bodies, chosen by content."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.errors import ArticleParseError, NotArticlesError
from indexer.formats import read_articles
from indexer.model import Caption
from indexer.versions import item_document_id
from indexer.wire import byline_names

WIRE = Path(__file__).parent / "data" / "wire"
CET = timezone(timedelta(hours=1))
DPA_ITEM = "urn:newsml:dpa.com:20090101:260303-99-100200"


def read(path: Path) -> list:
    problems = []
    articles = read_articles(path, lambda where, reason: problems.append((where, reason)))
    assert problems == []
    return articles


def test_ninjs_2_item_gives_every_part():
    [article] = read(WIRE / "dpa-v2.json")
    assert article.id == item_document_id(DPA_ITEM)
    assert (article.item_id, article.version, article.urgency) == (DPA_ITEM, 2, 3)
    assert article.title == "Saalebrücke bei Halle wegen Rissen gesperrt"
    assert article.lead == "Prüfer haben Risse im Spannbeton gefunden. Die Brücke bleibt mindestens bis Ostern zu."
    assert article.subheadings == ("Pendler müssen Umwege fahren", "Umleitung über Merseburg")
    assert article.body == (
        "Halle (dpa) - Die Brücke über die Saale bei Halle ist wegen Rissen gesperrt worden.",
        "Der Verkehr wird über Merseburg umgeleitet, teilte die Stadt mit.",
    )
    assert article.captions == (
        Caption("Die gesperrte Saalebrücke am Morgen.", "Jan Woitas/dpa"),
        Caption("Ein Prüfer zeigt einen Riss im Beton.", "Hendrik Schmidt/dpa"),
    )
    assert article.author == ("Anna Weber", "Jan Petersen")
    assert (article.located, article.genre, article.agency) == ("Halle", "Zusammenfassung", "dpa")
    assert article.topics == ("Verkehr", "Sachsen-Anhalt")
    assert article.published == datetime(2026, 3, 3, 10, 40, tzinfo=CET)
    assert article.first_created == datetime(2026, 3, 3, 9, 12, tzinfo=CET)


def test_ninjs_1_item_reads_single_valued_names_and_keyed_associations():
    [article] = read(WIRE / "ap-1x.json")
    assert article.title == "Prozess gegen Kapitän der Costa Concordia beginnt"
    assert article.lead == "In einem Theater hat der Prozess gegen den Kapitän des Kreuzfahrtschiffs begonnen."
    assert article.body == ("Der Angeklagte Francesco Schettino äußerte sich nicht.",
                            "Sein Anwalt sagte, die Anhörung werde verschoben.")
    assert article.author == ("Paulo Santalucia", "Frances d'Emilio")
    assert (article.agency, article.genre, article.located, article.urgency) == ("AP", "Bericht", "Grosseto, Italien", 5)
    assert article.topics == ("Justiz",)
    assert article.captions == (Caption("Der Angeklagte auf dem Weg ins Gericht.", "Fabio Muzzi/AP"),)
    assert article.url == "http://ninjs.example.com/newsitems/20130709med123"
    assert article.published == datetime(2013, 7, 9, 10, 37, tzinfo=timezone.utc)


def test_ninjs_plain_text_body_gives_a_paragraph_per_line(tmp_path):
    path = tmp_path / "plain.json"
    path.write_text(json.dumps({
        "uri": "urn:x:1", "version": "1", "headlines": [{"role": "main", "value": "Erste Zeile"}],
        "bodies": [{"contenttype": "text/plain", "value": "Absatz eins.\n\nAbsatz zwei.\nAbsatz drei."}],
    }), encoding="utf-8")
    [article] = read(path)
    assert (article.title, article.lead, article.body) == ("Erste Zeile", "Absatz eins.", ("Absatz zwei.", "Absatz drei."))


def test_a_picture_in_the_body_and_among_the_associations_is_one_caption_with_its_credit(tmp_path):
    path = tmp_path / "tt.json"
    path.write_text(json.dumps({
        "uri": "http://tt.se/media/text/1", "headlines": [{"role": "main", "value": "Militärübung"}],
        "bodies": [{"contenttype": "text/html", "value": "<p>Text.</p><figure><img src='a.jpg'/>"
                    "<figcaption>Eine Übung auf Gotland.</figcaption></figure>"}],
        "associations": [{"name": "a001", "type": "picture", "by": "Karl Melander/TT",
                          "description_text": "Eine Übung auf Gotland."}],
    }), encoding="utf-8")
    [article] = read(path)
    assert article.captions == (Caption("Eine Übung auf Gotland.", "Karl Melander/TT"),)


def test_newsml_g2_message_with_xhtml_body_leaves_out_the_header_and_code_only_subjects():
    [article] = read(WIRE / "dpa-v3.xml")
    assert (article.item_id, article.version, article.agency) == (DPA_ITEM, 3, "dpa")
    assert article.title == "Saalebrücke bei Halle bleibt monatelang gesperrt"
    assert article.lead == "Die Risse im Spannbeton sind tiefer als gedacht. Die Stadt rechnet mit einer Sperrung bis zum Sommer."
    assert article.body == (
        "Halle (dpa) - Die Brücke über die Saale bei Halle bleibt bis zum Sommer gesperrt.",
        "Der Verkehr wird weiter über Merseburg umgeleitet, teilte die Stadt am Nachmittag mit.",
        "Ein Gutachten soll bis April klären, ob die Brücke abgerissen werden muss.",
    )
    assert article.subheadings == ("Umleitung über Merseburg",)
    assert article.topics == ("Verkehr",)  # <subject qcode="dpacat:vm"><name>vm</name> is a code, not a topic
    assert (article.author, article.located, article.genre) == (("Anna Weber",), "Halle", "Zusammenfassung")
    assert article.published == datetime(2026, 3, 3, 14, 5, tzinfo=CET)
    assert article.first_created == datetime(2026, 3, 3, 9, 12, tzinfo=CET)


def test_newsml_g2_item_with_nitf_body():
    [article] = read(WIRE / "nitf-item.xml")
    assert article.title == "Kirchentag meldet Rekord bei Anmeldungen"
    assert article.lead == "Mehr junge Besucher als je zuvor"
    assert article.body == ("Zum Kirchentag in Hannover haben sich mehr Menschen angemeldet als je zuvor.",
                            "Die Veranstalter suchen noch Privatquartiere & Schlafplätze in Schulen.")
    assert article.subheadings == ("Quartiere werden knapp",)
    assert article.captions == (Caption("Helfer bauen die Bühne auf.", "Jens Kalaene/KNA"),)
    assert (article.agency, article.author, article.urgency, article.version) == ("KNA", ("Maria Roth",), 4, 2)


def test_xml_is_read_as_newsml_or_as_a_feed_by_its_root_element(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?><!-- <newsItem> im Kommentar zählt nicht -->'
                    '<rss version="2.0"><channel><item><title>Aus dem Feed</title>'
                    '<description>Text</description></item></channel></rss>', encoding="utf-8")
    assert [a.title for a in read(feed)] == ["Aus dem Feed"]
    assert read(feed)[0].item_id == ""
    item = tmp_path / "item.rss"  # a NewsML-G2 item whatever the suffix says
    item.write_bytes((WIRE / "nitf-item.xml").read_bytes())
    assert [a.item_id for a in read(item)] == ["urn:newsml:example.org:20260304:kna-77"]


@pytest.mark.parametrize("content, reason", [
    ('{"uri": "urn:x:1", "headline": ', "kein gültiges JSON (Zeile 1, Spalte 32)"),
    ('{"uri": "", "headline": "Ohne Kennung"}',
     "Meldung ohne Kennung (guid/uri): Fassungen ließen sich nicht zuordnen"),
    ('{"uri": "urn:x:2", "headline": "", "body_text": ""}', "Meldung urn:x:2 hat weder Überschrift noch Text"),
])
def test_broken_ninjs_file_is_refused_with_its_path_and_a_german_reason(tmp_path, content, reason):
    path = tmp_path / "kaputt.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ArticleParseError) as err:
        read_articles(path, lambda where, why: None)
    assert (err.value.path, err.value.reason) == (str(path), reason)


def test_one_broken_item_of_a_news_message_is_reported_and_the_others_read(tmp_path):
    good = (WIRE / "dpa-v3.xml").read_text(encoding="utf-8")
    start, end = good.index("<newsItem"), good.index("</newsItem>") + len("</newsItem>")
    broken = good[start:end].replace('guid="urn:newsml:dpa.com:20090101:260303-99-100200" ', "")
    path = tmp_path / "message.xml"
    path.write_text(good[:start] + broken + good[start:], encoding="utf-8")
    problems = []
    articles = read_articles(path, lambda where, why: problems.append((where, why)))
    assert [a.version for a in articles] == [3]
    assert problems == [(f"{path} [Meldung 1]", "Meldung ohne Kennung (guid/uri): Fassungen ließen sich nicht zuordnen")]


def test_malformed_newsml_names_line_and_column(tmp_path):
    path = tmp_path / "kaputt.xml"
    path.write_text('<?xml version="1.0"?>\n<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="x">\n<itemMeta>',
                    encoding="utf-8")
    with pytest.raises(ArticleParseError) as err:
        read_articles(path, lambda where, why: None)
    assert err.value.reason == "kein gültiges XML (Zeile 3, Spalte 11)"


def test_json_that_is_no_ninjs_is_skipped_with_its_reason(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text('{"title": "Kein ninjs", "files": ["a.json"]}', encoding="utf-8")
    with pytest.raises(NotArticlesError) as raised:
        read(path)
    assert (raised.value.path, raised.value.reason) == (str(path), "JSON, aber kein ninjs (keine Agenturmeldung)")


@pytest.mark.parametrize("byline, names", [
    ("Von Christian Hollmann, dpa", ("Christian Hollmann",)),
    ("Von Anna Weber und Jan Petersen, dpa", ("Anna Weber", "Jan Petersen")),
    ("Von Maria Roth (KNA)", ("Maria Roth",)),
    ("dpa", ()),
    ("", ()),
])
def test_byline_names_are_people_not_agencies(byline, names):
    assert byline_names(byline) == names


def test_ninjs_values_of_the_wrong_type_count_as_absent(tmp_path):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({
        "uri": "urn:x:odd", "headline": "Nur die Überschrift", "bodies": 5, "associations": 7, "subjects": {"a": 1},
        "genres": "Eilmeldung", "infosources": 3, "version": 1e30, "urgency": "hoch", "by": ["Anna"],
    }), encoding="utf-8")
    [article] = read(path)
    assert (article.title, article.body, article.captions, article.topics, article.genre, article.agency,
            article.version, article.urgency, article.author) == ("Nur die Überschrift", (), (), (), "", "", 0, 0, ())


@pytest.mark.parametrize("name, content, reason", [
    ("tief.json", "[" * 100_000 + "]" * 100_000, "zu tief verschachteltes JSON"),
    ("tief.xml", '<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="g" version="1"><contentMeta>'
     "<headline>H</headline></contentMeta><contentSet><inlineXML><html><body>" + "<div>" * 50_000 + "x"
     + "</div>" * 50_000 + "</body></html></inlineXML></contentSet></newsItem>", "zu tief verschachteltes XHTML im Text"),
])
def test_items_nested_absurdly_deep_are_refused_not_crashed_on(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ArticleParseError) as err:
        read_articles(path, lambda where, why: None)
    assert err.value.reason == reason
