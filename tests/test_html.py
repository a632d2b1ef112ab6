"""Saved HTML pages to ``Article`` values: JSON-LD first, then meta tags, then the markup."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.dates import BERLIN
from indexer.errors import ArticleParseError
from indexer.html import parse_html, parse_html_bytes
from indexer.markup import html_text
from indexer.model import Article, Caption, RelatedItem
from indexer.parse import document_id

DATA = Path(__file__).resolve().parent / "data" / "html"
CET = timezone(timedelta(hours=1))


def url_id(url: str) -> str:
    """The id a URL gives, computed here without ``document_id``."""
    return hashlib.sha1(("url:" + url).encode("utf-8")).hexdigest()[:16]


def test_json_ld_graph_page_is_read_from_its_news_node_and_related_block():
    path = DATA / "jsonld_graph.html"
    url = "https://www.rheinkurier.example/region/rheinbruecke-wiesau-sperrung-100.html"
    faehre = "https://www.rheinkurier.example/region/faehre-oberfeld-fahrplan-102.html"
    landtag = "https://www.rheinkurier.example/politik/landtag-bruecken-milliarde-101.html"
    radrennen = "https://www.rheinkurier.example/sport/radrennen-wiesau-abgesagt-103.html"

    article = parse_html(path)

    assert article == Article(
        id=url_id(url),
        # The JSON-LD headline, not og:title ("Brücke zu: …") nor the <title>.
        title="Rheinbrücke bei Wiesau wird ab Mai für „mindestens“ 14 Monate gesperrt",
        url=url,
        topics=("Verkehr", "Rheinbrücke", "Wiesau"),
        lead="Die marode Rheinbrücke zwischen Wiesau und Oberfeld wird saniert – Pendler müssen mit 25 Minuten"
        " Umweg rechnen.",
        body=(
            "Rund 21.000 Fahrzeuge überqueren die Brücke jeden Tag. Ab dem 5. Mai ist damit Schluss: Der"
            " Landesbetrieb Mobilität sperrt das Bauwerk vollständig, um Fahrbahn und Stahlträger zu erneuern."
            " Die Kosten schätzt das Land auf 38,5 Millionen €.",
            "Wer von Oberfeld nach Wiesau will, muss über die Autobahnbrücke bei Kellheim ausweichen. „Das sind"
            " für viele Pendler 25 Minuten mehr – jeden Tag“, sagt Bürgermeisterin Sabine Groß (parteilos).",
            "Die Fähre in Oberfeld soll während der Bauzeit bis 22 Uhr fahren. Für Radfahrer und Fußgänger bleibt"
            " ein Steg auf der Südseite offen.",
        ),
        subheadings=("Was bedeutet die Sperrung für Pendler?", "Fähre fährt länger"),
        captions=(
            Caption("Die Rheinbrücke bei Wiesau ist seit 1968 in Betrieb.", "Matthias Ober/Rheinkurier"),
            Caption("Die Umleitung führt über die Fähre in Oberfeld.", "dpa"),
        ),
        published=datetime(2025, 3, 14, 6, 0, tzinfo=CET),
        section="Region",  # articleSection, not article:section "Nachrichten"
        source_path=str(path),
        related=(
            RelatedItem(
                id=url_id(faehre),
                title="Fähre Oberfeld bekommt neuen Fahrplan",
                teaser="Ab April legt die Fähre alle 20 Minuten ab.",
                section="Region",
                published=datetime(2025, 3, 12, 17, 30, tzinfo=BERLIN),
                url=faehre,
            ),
            RelatedItem(
                id=url_id(landtag),
                title="Landtag streitet über Brücken-Milliarde",
                teaser="Die Opposition wirft der Regierung Versäumnisse vor.",
                section="Politik",
                published=datetime(2025, 3, 11, 15, 5, tzinfo=CET),
                url=landtag,
            ),
            RelatedItem(id=url_id(radrennen), title="Radrennen „Rund um Wiesau“ abgesagt", url=radrennen),
        ),
        author=("Jana Krüger",),  # the author node the article refers to by @id: a person, not a source
        publisher="Rheinkurier",
    )
    assert article.published.utcoffset() == timedelta(hours=1)


def test_meta_only_page_takes_fields_from_open_graph_and_article_tags():
    path = DATA / "meta_only.html"
    url = "https://abendblatt.example/wirtschaft/stadtwerke-tarif-einigung.html"
    warnstreik = "https://abendblatt.example/mainz/warnstreik-busse-stillstand.html"
    verdi = "https://abendblatt.example/wirtschaft/verdi-forderungen-nahverkehr.html"

    article = parse_html(path)

    assert article == Article(
        id=url_id(url),
        title="Stadtwerke: Einigung im Tarifstreit – Streiks sind vom Tisch",  # og:title without the site name
        url=url,
        topics=("Tarifstreit", "Stadtwerke", "Öffentlicher Nahverkehr"),  # article:tag before name=keywords
        lead="Nach drei Verhandlungsrunden gibt es mehr Geld für 2.400 Beschäftigte. Busse und Straßenbahnen"
        " fahren wieder nach Plan.",
        body=(
            # Soft hyphens gone, <br> read as a space.
            "Die Stadtwerke und die Gewerkschaft Verdi haben sich am Donnerstagnachmittag auf einen neuen"
            " Tarifvertrag geeinigt. Die Löhne steigen in zwei Stufen um insgesamt 7,8 Prozent, mindestens aber"
            " um 250 € im Monat.",
            # a <br> after a sentence end ends a paragraph, as a line break does in any running text
            "„Das ist ein fairer Kompromiss“, sagte Verdi-Verhandlungsführerin Özlem Yıldız.",
            "Die Geschäftsführung sprach von einer „schmerzhaften, aber tragbaren“ Einigung.",
            "Der Vertrag läuft 24 Monate. Für Auszubildende gibt es zusätzlich ein Deutschlandticket – kostenlos.",
        ),
        subheadings=("Laufzeit bis Ende 2026",),
        published=datetime(2025, 3, 13, 15, 20, tzinfo=timezone.utc),
        section="Wirtschaft",
        agency="dpa",
        source_path=str(path),
        related=(
            RelatedItem(id=url_id(warnstreik), title="Warnstreik legt Busse in Mainz lahm", url=warnstreik),
            RelatedItem(id=url_id(verdi), title="Was Verdi im Nahverkehr fordert", url=verdi),
        ),
        publisher="Mainzer Abendblatt",  # og:site_name
    )
    assert article.published.utcoffset() == timedelta(0)


def test_markup_only_page_reads_headline_time_figures_and_dateline_agency():
    path = DATA / "markup_only.html"
    title = "Kita-Gesetz: Tausende protestieren vor dem Landtag"
    published = datetime(2025, 3, 12, 18, 5, tzinfo=BERLIN)
    theater_time = datetime(2025, 3, 11, 9, 15, tzinfo=BERLIN)

    article = parse_html(path)

    # Nothing from the cookie layer, page header, top ad, newsletter box, share bar, infobox aside or footer.
    assert article == Article(
        id=document_id(title, published),
        title=title,
        lead="Mainz (epd) – Mehrere Tausend Erzieherinnen, Erzieher und Eltern haben am Mittwoch vor dem Mainzer"
        " Landtag gegen das geplante Kita-Gesetz demonstriert.",
        body=(
            "Die Gewerkschaften kritisieren vor allem den Personalschlüssel. Künftig soll eine Fachkraft bis zu"
            " zwölf Kinder über drei Jahren betreuen.",
            "Bildungsministerin Katrin Böhm (SPD) verteidigte den Entwurf: Das Land investiere bis 2027"
            " zusätzlich 90 Millionen Euro in die frühkindliche Bildung.",
            # class="download-hinweis" holds "ad" inside a word, not as an ad marker.
            "Den Gesetzentwurf gibt es auf der Seite des Landtags als PDF.",
        ),
        subheadings=("Ministerin verteidigt Pläne",),
        captions=(
            Caption("Hunderte Menschen demonstrierten vor dem Landtag.", "Tobias Lang/epd"),
            Caption("Die neue Kita in Mainz-Gonsenheim.", "Stadt Mainz"),
            Caption("Ministerin Katrin Böhm", "Land Rheinland-Pfalz"),
        ),
        published=published,
        agency="epd",
        source_path=str(path),
        related=(
            RelatedItem(
                id=document_id("Staatstheater stellt Spielplan vor", theater_time, "/kultur/staatstheater-spielplan-2025.html"),
                title="Staatstheater stellt Spielplan vor",
                teaser="Zwölf Premieren, darunter eine Uraufführung.",
                section="Kultur",
                published=theater_time,
                url="/kultur/staatstheater-spielplan-2025.html",
            ),
            RelatedItem(
                id=url_id("/politik/kita-gebuehren-vergleich.html"),
                title="Kita-Gebühren: So viel zahlen Eltern in den Nachbarländern",
                section="Politik",
                url="/politik/kita-gebuehren-vergleich.html",
            ),
        ),
    )
    assert article.published.tzinfo is BERLIN


def test_cp1252_page_whose_meta_claims_utf8_keeps_umlauts_and_typographic_signs():
    path = DATA / "cp1252_lying_meta.html"
    assert b'<meta charset="utf-8">' in path.read_bytes()
    url = "https://www.suedpfalz-bote.example/wirtschaft/strompreis-grundtarif-sinkt.html"

    article = parse_html(path)

    assert article == Article(
        id=url_id(url),  # from <link rel="canonical">: the JSON-LD has no url
        title="Strompreise: Südpfalz-Werke senken Grundtarif um 4,2 Cent",
        url=url,
        topics=("Energie", "Strompreis", "Südpfalz"),
        lead="Ab 1. April zahlen rund 60.000 Haushalte weniger – im Schnitt 126 € im Jahr.",
        body=(
            "Die Südpfalz-Werke geben gesunkene Einkaufspreise an ihre Kunden weiter. Der Arbeitspreis im"
            " Grundtarif fällt von 39,8 auf 35,6 Cent je Kilowattstunde.",
            "„Wir haben früh günstig eingekauft“, sagte Geschäftsführerin Jutta Weiß. Für einen"
            " Zwei-Personen-Haushalt mit 3.000 Kilowattstunden sinkt die Rechnung um gut 126 € – Grundgebühr"
            " unverändert.",
            "Verbraucherschützer raten trotzdem zum Vergleich: Sondertarife seien oft günstiger als die"
            " Grundversorgung.",
        ),
        published=datetime(2025, 3, 10, 7, 45, tzinfo=BERLIN),  # naive datePublished is Berlin time
        section="Wirtschaft",  # the first of the articleSection list
        source_path=str(path),
        author=("Peter Schäfer",),  # from the byline, whose paragraph is not body text
    )
    assert article.published.tzinfo is BERLIN


def page(charset: str, title: str, text: str) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<html><head>{meta}</head><body><article><h1>{title}</h1><p>{text}</p></article></body></html>"


GERMAN_TITLE = "Grüße aus Köln: Straßenbahn fährt für 3 € – „pünktlich“"
GERMAN_TEXT = "Die Fahrgäste in Düsseldorf und Münster ärgern sich über Verspätungen."
LATIN1_TITLE = "Grüße aus Köln: Straßenbahn fährt wieder"


@pytest.mark.parametrize(
    "data, title",
    [
        pytest.param(page("utf-8", GERMAN_TITLE, GERMAN_TEXT).encode("utf-8"), GERMAN_TITLE, id="utf-8"),
        pytest.param(page("", GERMAN_TITLE, GERMAN_TEXT).encode("utf-8"), GERMAN_TITLE, id="utf-8-undeclared"),
        pytest.param(b"\xef\xbb\xbf" + page("", GERMAN_TITLE, GERMAN_TEXT).encode("utf-8"), GERMAN_TITLE, id="utf-8-bom"),
        pytest.param(page("windows-1252", GERMAN_TITLE, GERMAN_TEXT).encode("cp1252"), GERMAN_TITLE, id="cp1252"),
        pytest.param(page("", GERMAN_TITLE, GERMAN_TEXT).encode("cp1252"), GERMAN_TITLE, id="cp1252-undeclared"),
        pytest.param(page("iso-8859-1", LATIN1_TITLE, GERMAN_TEXT).encode("latin-1"), LATIN1_TITLE, id="latin-1"),
        # Pages declared Latin-1 are written in Windows-1252 as often as not, as browsers assume.
        pytest.param(page("iso-8859-1", GERMAN_TITLE, GERMAN_TEXT).encode("cp1252"), GERMAN_TITLE, id="cp1252-as-latin-1"),
        pytest.param(page("utf-8", GERMAN_TITLE, GERMAN_TEXT).encode("cp1252"), GERMAN_TITLE, id="cp1252-claims-utf-8"),
        pytest.param(page("iso-8859-1", GERMAN_TITLE, GERMAN_TEXT).encode("utf-8"), GERMAN_TITLE, id="utf-8-claims-latin-1"),
        pytest.param(
            page("utf-8", GERMAN_TITLE, GERMAN_TEXT).encode("utf-8").replace("3 €".encode("utf-8"), "3 €".encode("cp1252")),
            GERMAN_TITLE,
            id="utf-8-with-one-pasted-cp1252-euro",
        ),
    ],
)
def test_encodings_decode_to_the_same_german_text(data: bytes, title: str):
    article = parse_html_bytes(data, "seite.html")

    assert (article.title, article.lead, article.body) == (title, GERMAN_TEXT, ())


def test_truncated_page_without_title_or_text_is_rejected_with_german_reason():
    path = DATA / "truncated.html"

    with pytest.raises(ArticleParseError) as caught:
        parse_html(path)

    assert (caught.value.path, caught.value.reason) == (
        str(path),
        "kein Artikelinhalt gefunden (weder Überschrift noch Text), die Seite ist leer oder abgeschnitten",
    )


@pytest.mark.parametrize(
    "data, reason",
    [
        pytest.param(b"", "die Datei ist leer", id="empty"),
        pytest.param(b" \r\n\t\n", "die Datei ist leer", id="whitespace"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "keine Textdatei (enthält Binärdaten)", id="png"),
        pytest.param(
            b"<html><body><p>Nur ein Absatz ohne \xc3\x9cberschrift.</p></body></html>",
            "keine Überschrift gefunden",
            id="text-without-headline",
        ),
    ],
)
def test_unusable_files_are_rejected_with_path_and_german_reason(tmp_path: Path, data: bytes, reason: str):
    path = tmp_path / "seite.html"
    path.write_bytes(data)

    with pytest.raises(ArticleParseError) as caught:
        parse_html(path)

    assert (caught.value.path, caught.value.reason) == (str(path), reason)
    assert caught.value.message == f"{path}: {reason}"


def test_missing_file_is_reported_as_unreadable(tmp_path: Path):
    path = tmp_path / "fehlt.html"

    with pytest.raises(ArticleParseError) as caught:
        parse_html(path)

    assert (caught.value.path, caught.value.reason) == (str(path), "nicht lesbar (No such file or directory)")


def test_broken_json_ld_block_falls_back_to_meta_tags():
    data = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
        '<meta property="og:title" content="Hochwasser: Pegel in Köln sinkt">'
        '<meta property="article:published_time" content="2025-02-03T12:00:00+01:00">'
        "</head><body><h1>Anders lautende Überschrift</h1><p>Der Rhein fällt um 40 Zentimeter.</p></body></html>"
    ).encode("utf-8")

    article = parse_html_bytes(data, "hochwasser.html")

    assert (article.title, article.published, article.lead) == (
        "Hochwasser: Pegel in Köln sinkt",
        datetime(2025, 2, 3, 12, 0, tzinfo=CET),
        "Der Rhein fällt um 40 Zentimeter.",
    )


def test_json_ld_article_body_stands_in_when_markup_has_no_paragraphs():
    data = (
        '<html><head><script type="application/ld+json">{"@type": "https://schema.org/NewsArticle",'
        ' "headline": "Glatteis auf der A 61", "datePublished": "2025-01-09 06:30",'
        ' "articleBody": "Mehrere Unfälle am Morgen.\\n\\nDie Polizei rät, langsam zu fahren."}</script>'
        '</head><body><div id="app"></div></body></html>'
    ).encode("utf-8")

    article = parse_html_bytes(data, "glatteis.html")

    assert (article.title, article.published, article.lead, article.body) == (
        "Glatteis auf der A 61",
        datetime(2025, 1, 9, 6, 30, tzinfo=BERLIN),
        "Mehrere Unfälle am Morgen.",
        ("Die Polizei rät, langsam zu fahren.",),
    )


def test_html_text_flattens_tags_and_entities_without_splitting_words_from_punctuation():
    markup = "<p><b>Spaß</b>, &amp; Ärger</p><p>im   Büro&nbsp;&#8211;<br>heute</p><div>Bundes&shy;tag</div>"

    assert html_text(markup) == "Spaß, & Ärger im Büro – heute Bundestag"


def test_news_article_node_wins_over_a_generic_article_node_listed_first():
    data = (
        '<html><head><script type="application/ld+json">[{"@type": "Article", "headline": "Leserbriefe der Woche"},'
        ' {"@type": ["ReportageNewsArticle"], "headline": "Ein Tag auf der Fähre Oberfeld",'
        ' "datePublished": "2025-03-01T10:00:00+01:00"}]</script></head><body><p>Um 5 Uhr legt die erste Fähre ab.</p>'
        "</body></html>"
    ).encode("utf-8")

    article = parse_html_bytes(data, "faehre.html")

    assert (article.title, article.published) == ("Ein Tag auf der Fähre Oberfeld", datetime(2025, 3, 1, 10, 0, tzinfo=CET))


def test_lead_class_on_an_image_box_does_not_make_it_the_lead():
    data = (
        "<html><body><article><h1>Neue Radwege in Oberfeld</h1>"
        '<div class="teaser-bild"><figure><img src="rad.jpg"><figcaption>Der neue Radweg. <small>Foto: Stadt'
        " Oberfeld</small></figcaption></figure></div>"
        '<p class="intro">Die Stadt baut bis Herbst vier Kilometer Radwege.</p><p>Die Kosten trägt das Land.</p>'
        "</article></body></html>"
    ).encode("utf-8")

    article = parse_html_bytes(data, "radwege.html")

    assert (article.lead, article.body, article.captions) == (
        "Die Stadt baut bis Herbst vier Kilometer Radwege.",
        ("Die Kosten trägt das Land.",),
        (Caption("Der neue Radweg.", "Stadt Oberfeld"),),
    )


def test_text_outside_article_elements_is_read_when_the_only_article_is_an_empty_card():
    data = (
        "<html><body><main><h1>Freibad öffnet früher</h1><p>Das Waldbad öffnet schon am 1. Mai.</p>"
        '<article class="karte"><h3>Eintrittspreise steigen</h3></article></main></body></html>'
    ).encode("utf-8")

    article = parse_html_bytes(data, "freibad.html")

    assert (article.title, article.lead, article.subheadings) == (
        "Freibad öffnet früher",
        "Das Waldbad öffnet schon am 1. Mai.",
        ("Eintrittspreise steigen",),
    )


def test_fuller_json_ld_article_body_wins_over_a_teaser_paragraph():
    """Issue 15.5: a paywall page shows one paragraph; JSON-LD carries all five sentences."""
    data = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle",'
        ' "headline": "Stadtrat beschließt neuen Busplan",'
        ' "articleBody": "Der Stadtrat hat den Busplan beschlossen. Ab Juni fahren die Linien\\nim Zehn-Minuten-Takt.'
        ' Die Kosten trägt die Stadt. Die Opposition stimmte dagegen.\\nDer Plan gilt bis 2030."}</script>'
        '</head><body><article><h1>Stadtrat beschließt neuen Busplan</h1>'
        '<p>Der Stadtrat hat den Busplan beschlossen.</p><div class="paywall">Jetzt weiterlesen mit Plus</div>'
        '</article></body></html>'
    ).encode("utf-8")

    article = parse_html_bytes(data, "busplan.html")

    assert (article.lead, article.body) == (
        "Der Stadtrat hat den Busplan beschlossen. Ab Juni fahren die Linien im Zehn-Minuten-Takt. Die Kosten"
        " trägt die Stadt. Die Opposition stimmte dagegen.",
        ("Der Plan gilt bis 2030.",),
    )
