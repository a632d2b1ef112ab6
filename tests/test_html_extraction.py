"""Real news page layouts that page rules of our own misread (issue 16), as small pages written here.

Each page has the chrome a real one has (navigation, teasers of other stories, footer) around a
story of its own; the assertions name what a reader of the page sees as the article.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from indexer.dates import BERLIN
from indexer.html import parse_html_bytes

STORY = (
    "Der Gemeinderat von Wiesau hat am Dienstagabend nach langer Debatte beschlossen, die alte Rheinbrücke"
    " bis zum Jahr 2027 vollständig zu sanieren und für den Autoverkehr zu sperren.",
    "Die Kosten von rund 38 Millionen Euro tragen zu zwei Dritteln das Land und zu einem Drittel die Gemeinde,"
    " die dafür einen Kredit über zwölf Jahre aufnehmen will.",
    "Bürgermeisterin Sabine Groß sprach von einer schweren, aber richtigen Entscheidung. Pendler müssen sich"
    " während der Bauzeit auf Umwege von bis zu 25 Minuten einstellen.",
    "Die Fähre zwischen Wiesau und Oberfeld soll in dieser Zeit bis 22 Uhr fahren, Radfahrer und Fußgänger"
    " können einen Steg auf der Südseite der Brücke nutzen.",
    "Die Opposition im Gemeinderat kritisierte, dass die Bürger erst spät beteiligt worden seien. Eine"
    " Informationsveranstaltung ist für den kommenden Montag in der Stadthalle geplant.",
)
TITLE = "Wiesau saniert die Rheinbrücke bis 2027"
NAV = ('<header class="site-header"><a href="/" class="logo">Rheinkurier</a><nav><ul>'
       + "".join(f'<li><a href="/{s.lower()}">{s}</a></li>' for s in ("Politik", "Wirtschaft", "Sport", "Kultur", "Region"))
       + "</ul></nav></header>")
FOOTER = ('<footer class="site-footer"><p>© 2025 Rheinkurier Verlagsgesellschaft mbH. Alle Rechte vorbehalten.</p>'
          '<ul><li><a href="/impressum">Impressum</a></li><li><a href="/datenschutz">Datenschutz</a></li></ul></footer>')
OTHER = ("Neuer Supermarkt in Oberfeld eröffnet am Samstag", "Stadtfest in Kellheim fällt wegen Sturm aus",
         "Landrat will mehr Busse für Schüler im Kreis", "Handballerinnen aus Wiesau steigen in die Oberliga auf")


def page(body: str, head: str = "", title: str = TITLE) -> bytes:
    return (f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{title} | Rheinkurier</title>'
            f'<meta property="og:site_name" content="Rheinkurier">{head}</head><body>{NAV}{body}{FOOTER}</body></html>'
            ).encode("utf-8")


def teasers(tag: str = "li") -> str:
    return "".join(f'<{tag} class="teaser"><a href="/region/{i}"><h3>{t}</h3></a><p>Mehr dazu lesen Sie hier.</p></{tag}>'
                   for i, t in enumerate(OTHER))


def paragraphs(texts=STORY) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


def test_story_set_in_a_div_with_br_breaks_is_read_whole_not_only_the_subscription_box():
    """spiegel.de, badische-zeitung.de: no <p>, paragraphs split by <br><br>; the only <p> is an advert,
    which page rules reading <p> took for the whole text."""
    body = ('<main><article><h1>' + TITLE + '</h1><div class="article-text">' + "<br><br>".join(STORY) + "</div>"
            '<p class="abo-box">Jetzt Plus abonnieren und alle Artikel lesen. Nur 1 Euro im ersten Monat, jederzeit'
            ' kündbar.</p></article></main>')

    article = parse_html_bytes(page(body), "br.html")

    assert (article.lead, *article.body[: len(STORY) - 1]) == STORY


@pytest.mark.parametrize("wrapper", ["js-dynamic-advertorial", "TestReport__Section--Ads", "steady-paywall-container"])
def test_story_in_a_container_whose_class_sounds_like_an_advert_is_kept(wrapper):
    body = f'<main><h1>{TITLE}</h1><div class="{wrapper}">{paragraphs()}</div><ul class="more">{teasers()}</ul></main>'

    article = parse_html_bytes(page(body), "noise.html")

    assert (article.lead, *article.body) == STORY


def test_the_story_is_found_among_teaser_articles_that_have_more_paragraphs():
    """A page of 13 <article>s: the one with most <p> is a list of short teasers, not the story."""
    more = "<article class='more'><h2>Mehr aus der Region</h2>" + "".join(f"<p><a href='/r/{i}'>{t}</a></p>" for i, t in enumerate(OTHER * 2)) + "</article>"
    cards = "".join(f"<article class='card'><h3><a href='/c/{i}'>{t}</a></h3></article>" for i, t in enumerate(OTHER))
    body = f"<main>{cards}<article class='story'><h1>{TITLE}</h1>{paragraphs()}</article>{more}{cards}</main>"

    article = parse_html_bytes(page(body), "articles.html")

    assert (article.lead, *article.body) == STORY


def test_story_text_in_list_items_is_read():
    points = ("Die Brücke wird ab dem 5. Mai für Autos, Lastwagen und Busse vollständig gesperrt.",
              "Radfahrer und Fußgänger können während der gesamten Bauzeit einen Steg auf der Südseite nutzen.")
    body = (f"<main><article><h1>{TITLE}</h1>{paragraphs(STORY[:3])}<p>Das ändert sich für Pendler:</p>"
            f"<ul>{''.join(f'<li>{p}</li>' for p in points)}</ul>{paragraphs(STORY[3:])}</article></main>")

    article = parse_html_bytes(page(body), "list.html")

    assert all(any(p in para for para in article.body) for p in points), article.body


def test_headlines_of_other_stories_are_no_subheadings():
    body = (f"<main><article><h1>{TITLE}</h1>{paragraphs(STORY[:3])}<h2>Was bedeutet das für Pendler?</h2>"
            f"{paragraphs(STORY[3:])}<section class='ranking'><h2>Die meistgelesenen Artikel</h2><ol>{teasers()}</ol>"
            "</section></article></main>")

    article = parse_html_bytes(page(body), "headings.html")

    assert article.subheadings == ("Was bedeutet das für Pendler?",)


def test_page_without_article_or_main_element_leaves_its_footer_out():
    """tagesschau.de: the story sits in plain <div>s, and so does the footer with its links and copyright."""
    footer = ('<div class="footer"><p>Über uns: Der Rheinkurier berichtet seit 1949 aus der Region.</p>'
              '<p>Kontakt und Leserservice erreichen Sie montags bis freitags von 8 bis 18 Uhr.</p>'
              '<p>© Rheinkurier 2025. Alle Rechte vorbehalten.</p></div>')
    body = f'<div class="content"><div class="box"><h1>{TITLE}</h1>{paragraphs()}</div></div>{footer}'

    article = parse_html_bytes(page(body), "divs.html")

    assert (article.lead, *article.body) == STORY


@pytest.mark.parametrize("date_markup", [
    '<span itemprop="datePublished" content="2025-03-14T06:00:00+01:00">14. März 2025</span>',
    '<time content="2025-03-14T06:00:00+01:00">14. März</time>',
], ids=["itemprop-span", "time-content"])  # fmt: skip
def test_date_given_only_in_the_markup_dates_the_article(date_markup):
    body = f"<main><article><h1>{TITLE}</h1><div class='meta'>{date_markup}</div>{paragraphs()}</article></main>"

    article = parse_html_bytes(page(body), "date.html")

    assert article.published is not None and article.published.astimezone(BERLIN).date() == datetime(2025, 3, 14).date()


def test_date_of_a_webpage_json_ld_node_dates_the_article():
    head = ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "WebPage",'
            ' "name": "Wiesau saniert die Rheinbrücke bis 2027", "datePublished": "2025-03-14T06:00:00+01:00"}</script>')
    body = f"<main><article><h1>{TITLE}</h1>{paragraphs()}</article></main>"

    article = parse_html_bytes(page(body, head), "webpage.html")

    assert article.published is not None and article.published.astimezone(BERLIN).date() == datetime(2025, 3, 14).date()


def test_headline_kicker_is_not_part_of_the_title():
    head = f'<meta property="og:title" content="Verkehr: {TITLE}">'
    body = (f'<main><article><h1><span class="headline-kicker">Verkehr</span><span class="sr-only">: </span>'
            f'<span class="headline-title">{TITLE}</span></h1>{paragraphs()}</article></main>')

    article = parse_html_bytes(page(body, head), "kicker.html")

    assert article.title == TITLE


def test_story_inside_an_aside_element_is_read():
    """A page that sets its article column in <aside>: dropping every <aside> as a sidebar lost the story."""
    body = f"<main><h1>{TITLE}</h1><aside class='article-column'>{paragraphs()}</aside><ul class='more'>{teasers()}</ul></main>"

    article = parse_html_bytes(page(body), "aside.html")

    assert (article.lead, *article.body) == STORY


def test_byline_line_names_the_authors_not_the_broadcaster_and_stays_out_of_the_text():
    story = (*STORY, "Von Montag an gilt eine Umleitung über Kellheim.")  # text, though it starts with "Von"
    body = (f"<div class='content'><h1>{TITLE}</h1><p class='byline'>Von Anna Weber und Jonas Klein, NDR</p>"
            f"{paragraphs(story)}</div>")

    article = parse_html_bytes(page(body), "byline.html")

    assert (article.author, article.agency, article.lead, *article.body) == (("Anna Weber", "Jonas Klein"), "", *story)
