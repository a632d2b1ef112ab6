"""The search page in headless Chromium, used as a person uses it."""
from __future__ import annotations

import pytest

from indexer.parse import parse_article
from tests.conftest import SAMPLE

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
