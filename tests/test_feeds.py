"""RSS 2.0 and Atom feeds to ``Article`` values, one per item."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.errors import ArticleParseError
from indexer.feeds import parse_feed, parse_feed_bytes
from indexer.html import parse_html
from indexer.model import Article, Caption

DATA = Path(__file__).resolve().parent / "data"
FEEDS = DATA / "feeds"
CET = timezone(timedelta(hours=1))


def url_id(url: str) -> str:
    """The id a URL gives, computed here without ``document_id``."""
    return hashlib.sha1(("url:" + url).encode("utf-8")).hexdigest()[:16]


def test_rss_items_become_articles_in_feed_order():
    path = FEEDS / "rss_region.xml"
    bruecke = "https://www.rheinkurier.example/region/rheinbruecke-wiesau-sperrung-100.html"
    haushalt = "https://www.rheinkurier.example/region/oberfeld-haushalt-2025-99.html"
    gewitter = "https://www.rheinkurier.example/region/unwetter-feuerwehr-einsaetze-98.html"

    articles = parse_feed(path)

    assert articles == [
        Article(
            id=url_id(bruecke),
            title="Rheinbrücke bei Wiesau wird ab Mai gesperrt",
            url=bruecke,
            topics=("Verkehr", "Wiesau"),
            lead="Pendler müssen mit 25 Minuten Umweg rechnen.",  # description HTML as text
            # content:encoded without the paragraph that repeats the lead, the figure and the script.
            body=(
                "Rund 21.000 Fahrzeuge überqueren die Brücke täglich. Die Sanierung kostet 38,5 Millionen €.",
                "Die Fähre in Oberfeld soll während der Bauzeit bis 22 Uhr fahren.",
            ),
            subheadings=("Fähre fährt länger",),
            captions=(Caption("Die Rheinbrücke bei Wiesau.", "Matthias Ober"),),
            published=datetime(2025, 3, 14, 6, 0, tzinfo=CET),
            source_path=str(path),
            author=("Jana Krüger",),  # dc:creator: a person, not a source
        ),
        Article(
            id=url_id(haushalt),  # no <link>: the permalink guid is the address
            title='Stadtrat Oberfeld beschließt Haushalt "ohne neue Schulden"',  # twice-escaped quotes undone
            url=haushalt,
            topics=("Politik",),
            lead="Der Etat für 2025 umfasst 48,3 Millionen Euro. Die Grundsteuer steigt nicht.",
            published=datetime(2025, 3, 13, 21, 40, tzinfo=timezone.utc),
            source_path=str(path),
            author=("Tobias Lang",),  # the name from "redaktion@… (Tobias Lang)"
        ),
        Article(
            id=url_id(gewitter),
            title="Gewitter: Feuerwehr rückt 40-mal aus",
            url=gewitter,
            lead="Umgestürzte Bäume und vollgelaufene Keller – vor allem in Wiesau-Süd.",
            published=datetime(2025, 3, 12, 23, 15, tzinfo=CET),
            agency="dpa",
            source_path=str(path),
        ),
    ]
    assert [a.published.utcoffset() for a in articles] == [timedelta(hours=1), timedelta(0), timedelta(hours=1)]


def test_atom_entries_take_alternate_link_content_and_updated_as_fallback():
    path = FEEDS / "atom_wissen.xml"
    stoerche = "https://www.rheinkurier.example/wissen/stoerche-sender-marokko-201.html"
    sternwarte = "https://www.rheinkurier.example/wissen/mondfinsternis-sternwarte-200.html"

    articles = parse_feed(path)

    assert articles == [
        Article(
            id=url_id(stoerche),  # rel="alternate", not the enclosure listed first
            title="Forscher finden Störche mit Sender in Marokko",  # type="html" title without its <em>
            url=stoerche,
            topics=("Tiere", "forschung"),  # the label where there is one, else the term
            lead="Drei Jungvögel aus der Südpfalz überwintern in Nordafrika & kehren im März zurück.",
            body=("Die Sender übertragen alle zwei Stunden die Position – über das Mobilfunknetz.",),
            subheadings=("Sender wiegen 25 Gramm",),  # from the xhtml content
            published=datetime(2025, 3, 13, 11, 30, tzinfo=CET),  # <published>, not <updated>
            source_path=str(path),
            author=("Lena Hoffmann",),
        ),
        Article(
            id=url_id(sternwarte),
            title="Sternwarte Oberfeld öffnet für Mondfinsternis",
            url=sternwarte,  # a <link> without rel is the alternate link
            lead="In der Nacht zum Freitag ist der Mond vollständig im Erdschatten.",  # no summary: first paragraph
            body=("Die Sternwarte öffnet ab 4 Uhr; Eintritt 5 €.",),
            published=datetime(2025, 3, 12, 9, 0, tzinfo=timezone.utc),  # only <updated>
            source_path=str(path),
        ),
    ]
    assert [a.published.utcoffset() for a in articles] == [timedelta(hours=1), timedelta(0)]


def test_feed_item_and_saved_page_of_one_article_share_an_id():
    item = parse_feed(FEEDS / "rss_region.xml")[0]
    page = parse_html(DATA / "html" / "jsonld_graph.html")

    assert item.id == page.id == url_id(page.url)


def test_broken_xml_is_rejected_with_line_and_column():
    path = FEEDS / "broken.xml"

    with pytest.raises(ArticleParseError) as caught:
        parse_feed(path)

    assert (caught.value.path, caught.value.reason) == (str(path), "kein gültiges XML (Zeile 4, Spalte 49)")


def test_entity_expansion_bomb_is_refused():
    lol = b"".join(b'<!ENTITY lol%d "&lol%d;&lol%d;&lol%d;&lol%d;">' % (i, i - 1, i - 1, i - 1, i - 1) for i in range(1, 10))
    data = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + lol + b"]>"
        b"<rss><channel><item><title>&lol9;</title></item></channel></rss>"
    )

    with pytest.raises(ArticleParseError) as caught:
        parse_feed_bytes(data, "bombe.xml")

    assert (caught.value.path, caught.value.reason) == (
        "bombe.xml",
        "enthält Entity-Deklarationen, die aus Sicherheitsgründen nicht gelesen werden",
    )


@pytest.mark.parametrize(
    "data, reason",
    [
        pytest.param(b"", "die Datei ist leer", id="empty"),
        pytest.param(b"\n  \n", "die Datei ist leer", id="whitespace"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "kein gültiges XML (Zeile 1, Spalte 1)", id="binary"),
        pytest.param(
            b'<?xml version="1.0"?><opml version="2.0"><body/></opml>',
            "weder RSS 2.0 noch Atom (Wurzelelement <opml>)",
            id="opml",
        ),
    ],
)
def test_unusable_feed_files_are_rejected_with_path_and_german_reason(tmp_path: Path, data: bytes, reason: str):
    path = tmp_path / "feed.xml"
    path.write_bytes(data)

    with pytest.raises(ArticleParseError) as caught:
        parse_feed(path)

    assert (caught.value.path, caught.value.reason) == (str(path), reason)


def rss(*items: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test</title>'
            + "".join(items) + "</channel></rss>").encode("utf-8")


def test_item_without_title_and_text_is_skipped_and_one_without_title_gets_its_first_sentence():
    articles = parse_feed_bytes(
        rss(
            "<item><guid isPermaLink='false'>leer-1</guid><pubDate>Mon, 10 Mar 2025 08:00:00 +0100</pubDate></item>",
            "<item><description>Die A 61 ist wieder frei. Der Stau hat sich aufgelöst.</description></item>",
        ),
        "feed.xml",
    )

    assert [(a.title, a.lead, a.url) for a in articles] == [
        ("Die A 61 ist wieder frei", "Die A 61 ist wieder frei. Der Stau hat sich aufgelöst.", ""),
    ]


def test_content_broken_by_br_is_split_into_paragraphs_at_sentence_ends_only():
    """Issue 15.6: a ``<br>`` inside a sentence is a line break, not a paragraph end."""
    content = ("<![CDATA[Die Behörde teilte mit, dass der<br>Corona-Impfstoff bereits geprüft werde.<br>"
               "Ein Sprecher bestätigte das am Abend.]]>")
    (article,) = parse_feed_bytes(
        rss(f"<item><title>Impfstoff</title><content:encoded xmlns:content="
            f"'http://purl.org/rss/1.0/modules/content/'>{content}</content:encoded></item>"),
        "feed.xml",
    )

    assert (article.lead, article.body) == (
        "Die Behörde teilte mit, dass der Corona-Impfstoff bereits geprüft werde.",
        ("Ein Sprecher bestätigte das am Abend.",),
    )


def test_unreadable_date_leaves_the_item_undated():
    articles = parse_feed_bytes(rss("<item><title>Eilmeldung</title><pubDate>gestern Abend</pubDate></item>"), "feed.xml")

    assert [(a.title, a.published) for a in articles] == [("Eilmeldung", None)]


def test_windows_1252_feed_is_decoded_by_its_xml_declaration():
    data = (
        '<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel>'
        "<item><title>Gebühren für Müllabfuhr steigen um 12 € – „moderat“</title></item></channel></rss>"
    ).encode("cp1252")

    articles = parse_feed_bytes(data, "feed.xml")

    assert [a.title for a in articles] == ["Gebühren für Müllabfuhr steigen um 12 € – „moderat“"]


def test_atom_text_constructs_follow_their_type():
    data = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        "<title>Warum &lt;br&gt; im Titel stehen darf</title>"
        '<summary type="text">Plain text: &lt;p&gt; bleibt stehen.</summary>'
        '<content type="text/html">&lt;p&gt;Erster Absatz.&lt;/p&gt;&lt;p&gt;Zweiter Absatz.&lt;/p&gt;</content>'
        "</entry></feed>"
    ).encode("utf-8")

    [article] = parse_feed_bytes(data, "atom.xml")

    assert (article.title, article.lead, article.body) == (
        "Warum <br> im Titel stehen darf",
        "Plain text: <p> bleibt stehen.",
        ("Erster Absatz.", "Zweiter Absatz."),
    )
