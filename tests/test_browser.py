"""The search page in headless Chromium, used as a person uses it."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from indexer.dates import BERLIN
from indexer.parse import parse_article
from tests.conftest import SAMPLE, run_cli
from tests.pages import write_page

pytestmark = pytest.mark.browser
ARTICLE = parse_article(SAMPLE)


def test_typing_a_query_shows_ranked_results_with_marked_snippets(page):
    page.goto(page.base + "/")
    box = page.locator("#q")
    assert box.evaluate("el => el === document.activeElement"), "the search box is focused on load"
    box.fill("Botschaft")
    box.press("Enter")
    page.wait_for_url("**/?q=Botschaft*")
    assert page.locator("#count").inner_text() == "1 Treffer – Seite 1 von 1"
    first = page.locator("li.hit").first
    assert first.locator("h2").inner_text() == ARTICLE.title
    assert first.locator(".kind").inner_text() == "Artikel"
    assert first.locator("mark").all_inner_texts() == ["Botschaften"]
    assert page.locator("#q").input_value() == "Botschaft"


def test_clicking_a_section_facet_filters_and_can_be_undone(page):
    page.goto(page.base + "/?q=Ukraine")
    assert page.locator("li.hit").count() == 6
    page.locator("section[data-facet=section] a", has_text="Boerse").click()
    page.wait_for_url("**section=Boerse*")
    assert page.locator("li.hit h2").all_inner_texts() == [ARTICLE.related[0].title]
    page.locator("section[data-facet=section] a.selected").click()
    page.wait_for_function("document.querySelectorAll('li.hit').length === 6")


def test_date_form_limits_results_to_the_range(page):
    page.goto(page.base + "/?q=Ukraine")
    page.fill("#from", "25.01.2026")
    page.press("#from", "Enter")
    page.wait_for_url("**from=25.01.2026*")
    titles = page.locator("li.hit h2").all_inner_texts()
    assert titles == [ARTICLE.related[0].title, ARTICLE.related[1].title]
    assert page.locator("section[data-facet=year] li").all_inner_texts() == ["2026\n2"]


def test_bad_date_shows_german_error_page(page):
    response = page.goto(page.base + "/?q=Ukraine&from=31.02.2026")
    assert response.status == 400
    assert page.locator("h1").inner_text() == "Die Suche ist nicht lesbar"


# -- more of the site, as a person uses it -----------------------------------------------------


def add_articles(index_dir: Path, folder: Path, *pages: dict) -> None:
    """Write page dumps and index them with the real CLI into the index the live server reads."""
    folder.mkdir()
    for i, fields in enumerate(pages):
        write_page(folder / f"{i:03d}.txt", **fields)
    result = run_cli("index", str(folder), index_dir=index_dir)
    assert result.returncode == 0, result.stderr


def berlin_stamp(day: date, hour: int = 10) -> str:
    return f"{day:%d.%m.%Y} - {hour:02d}:00:00"


def test_clicking_a_histogram_bar_narrows_to_that_month_and_shows_its_days(page):
    page.goto(page.base + "/?q=Ukraine")
    assert page.locator("#histogram-title").inner_text() == "TREFFER JE MONAT"
    page.locator('section.histogram a[aria-label="Januar 2026: 5 Treffer"]').click()
    page.wait_for_url("**from=01.01.2026&to=31.01.2026*")
    assert page.locator("#count").inner_text() == "5 Treffer – Seite 1 von 1"
    assert page.locator("#histogram-title").inner_text() == "TREFFER JE TAG"
    assert page.locator("section.histogram a").evaluate_all("bars => bars.map(b => b.getAttribute('aria-label'))") == [
        "23.01.2026: 1 Treffer", "24.01.2026: 2 Treffer", "25.01.2026: 1 Treffer", "26.01.2026: 1 Treffer",
    ]
    assert page.locator(".chips a.chip").all_inner_texts() == ["Zeitraum:\n01.01.2026 bis 31.01.2026\n✕"]
    assert page.locator("#from").input_value() == "01.01.2026"


def test_paging_forward_and_back_through_twelve_matches(page, index_dir, tmp_path):
    start = date(2026, 3, 1)
    add_articles(index_dir, tmp_path / "wind", *(
        {"title": f"Windpark Nummer {n}", "lead": f"Der Windpark {n} liefert Strom.", "stamp": berlin_stamp(start + timedelta(days=n))}
        for n in range(1, 13)
    ))  # fmt: skip
    page.goto(page.base + "/?q=Windpark&sort=date")
    assert page.locator("#count").inner_text() == "12 Treffer – Seite 1 von 2"
    assert page.locator("li.hit h2").all_inner_texts() == [f"Windpark Nummer {n}" for n in range(12, 2, -1)]
    page.get_by_role("link", name="Weiter »").click()
    page.wait_for_url("**page=2*")
    assert page.locator("#count").inner_text() == "12 Treffer – Seite 2 von 2"
    assert page.locator("li.hit h2").all_inner_texts() == ["Windpark Nummer 2", "Windpark Nummer 1"]
    assert page.locator(".pages [aria-current=page]").inner_text() == "2"
    page.get_by_role("link", name="« Zurück").click()
    page.wait_for_function("document.querySelector('#count').innerText.endsWith('Seite 1 von 2')")
    assert "page=" not in page.url


def test_opening_an_article_and_following_a_related_item_and_back(page):
    page.goto(page.base + "/?q=Botschaft")
    page.locator("li.hit h2 a").click()
    page.wait_for_url(f"**/artikel/{ARTICLE.id}?q=Botschaft&hit=1")
    assert page.locator("h1").inner_text() == ARTICLE.title
    assert page.locator("figcaption").all_inner_texts() == [f"{c.text}\nFoto: {c.credit}" for c in ARTICLE.captions]
    assert page.locator("section.related a").all_inner_texts() == [r.title for r in ARTICLE.related]
    assert page.locator("section.similar h2").inner_text() == "ÄHNLICHE ARTIKEL"
    page.get_by_role("link", name=ARTICLE.related[2].title).click()
    page.wait_for_url(f"**/artikel/{ARTICLE.related[2].id}")
    assert page.locator("h1").inner_text() == ARTICLE.related[2].title
    assert page.locator(".lead").inner_text() == ARTICLE.related[2].teaser
    assert page.locator("article .meta").inner_text() == "Meldung\n24. Januar 2026, 12:26 Uhr\nAusland"
    page.locator("section.parents a").click()
    page.wait_for_url(f"**/artikel/{ARTICLE.id}")


def test_date_form_with_letzte_woche_keeps_last_weeks_articles(page, index_dir, tmp_path):
    today = datetime.now(BERLIN).date()
    last_monday = today - timedelta(days=today.weekday() + 7)
    add_articles(index_dir, tmp_path / "woche", *(
        {"title": title, "lead": "Der Stadtrat berät über den Haushalt.", "stamp": berlin_stamp(day)}
        for title, day in [("Haushalt vorige Woche beraten", last_monday + timedelta(days=2)),
                           ("Haushalt vor drei Wochen eingebracht", last_monday - timedelta(days=14))]
    ))  # fmt: skip
    page.goto(page.base + "/?q=Haushalt")
    assert page.locator("#count").inner_text() == "2 Treffer – Seite 1 von 1"
    page.fill("#from", "letzte Woche")
    page.get_by_role("button", name="Anwenden").click()
    page.wait_for_url("**from=letzte+Woche*")
    assert page.locator("li.hit h2").all_inner_texts() == ["Haushalt vorige Woche beraten"]
    assert page.locator(".chips a.chip").all_inner_texts() == [
        f"Zeitraum:\nab letzte Woche ({last_monday:%d.%m.%Y} – …)\n✕"
    ]
    page.locator(".chips a.chip").click()
    page.wait_for_function("document.querySelectorAll('li.hit').length === 2")


def test_a_topic_facet_and_its_chip_toggle_with_the_keyboard(page):
    page.goto(page.base + "/?q=Ukraine")
    page.locator("section[data-facet=topic] a", has_text="Russland").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**topic=Russland*")
    assert page.locator("li.hit h2").all_inner_texts() == [ARTICLE.title]
    assert page.locator("section[data-facet=topic] a.selected").inner_text() == "Russland"
    page.locator(".chips a.chip").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('li.hit').length === 6")


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(page):
    page.goto(page.base + f"/artikel/{ARTICLE.id}")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Zum Inhalt springen"
    assert page.locator(".skip").bounding_box()["x"] >= 0, "the skip link shows when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "inhalt"


def test_every_page_has_landmarks_and_labelled_controls(page):
    for path in ("/", "/?q=Ukraine", f"/artikel/{ARTICLE.id}", "/api", "/artikel/gibtsnicht"):
        page.goto(page.base + path)
        for role in ("banner", "main", "contentinfo", "search"):
            assert page.get_by_role(role).count() >= 1, (path, role)
        unlabelled = page.evaluate(
            """[...document.querySelectorAll('input:not([type=hidden]), button, select, textarea')]
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
                 .map(el => el.outerHTML)"""
        )
        assert unlabelled == [], path
    page.goto(page.base + "/?q=Ukraine")
    assert page.get_by_role("complementary", name="Filter").count() == 1
    assert page.get_by_role("navigation", name="Seiten").count() == 0  # one page only


CONTRAST_JS = """() => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el.getClientRects().length) continue;
    if (el.closest('.skip, .visually-hidden, svg')) continue;
    const style = getComputedStyle(el);
    out.push({text: walker.currentNode.textContent.trim().slice(0, 30), fg: rgb(style.color).slice(0, 3),
              bg: background(el), size: parseFloat(style.fontSize), bold: Number(style.fontWeight) >= 700});
  }
  return out;
}"""


def contrast(fg, bg) -> float:
    def luminance(rgb):
        channels = [c / 255 for c in rgb]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("path", ["/?q=Ukraine&section=Ausland", f"/artikel/{ARTICLE.id}", "/"])
def test_all_text_meets_wcag_aa_contrast(page, path):
    page.goto(page.base + path)
    page.evaluate("document.activeElement.blur()")
    texts = page.evaluate(CONTRAST_JS)
    assert len(texts) > 20
    # WCAG 2.1 AA: 4.5:1, or 3:1 for large text (24px, or 18.66px bold).
    failing = [
        (t["text"], round(contrast(t["fg"], t["bg"]), 2))
        for t in texts
        if contrast(t["fg"], t["bg"]) < (3 if t["size"] >= 24 or (t["bold"] and t["size"] >= 18.66) else 4.5)
    ]
    assert failing == []


def test_phone_width_fits_the_screen_with_results_before_filters(page):
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/?q=Ukraine", f"/artikel/{ARTICLE.id}", "/api"):
        page.goto(page.base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    page.goto(page.base + "/?q=Ukraine")
    results, filters = page.locator("section.results").bounding_box(), page.locator("aside.facets").bounding_box()
    assert filters["y"] > results["y"] + results["height"] - 1
    page.get_by_role("link", name="Filter und Zeitraum").click()
    page.wait_for_url("**#filter")
    assert page.locator("#from").is_visible()
