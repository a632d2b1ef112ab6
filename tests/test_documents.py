"""One stored document in full, and more-like-this, read from a real index of the sample article."""
from __future__ import annotations

import pytest

from indexer import schema as f
from indexer.errors import DocumentNotFoundError
from indexer.model import Caption
from indexer.parse import parse_article
from indexer.store import open_for_reading
from indexer.write import index_files
from search.documents import (
    document_to_json,
    get_document,
    similar_documents,
    similar_to_json,
)
from search.query import open_searcher
from tests.conftest import SAMPLE
from tests.pages import write_page

ARTICLE = parse_article(SAMPLE)


@pytest.fixture
def searcher(index_dir):
    with open_searcher(open_for_reading(index_dir)) as opened:
        yield opened


def test_document_holds_the_whole_article_with_credits_paired_to_captions(searcher):
    doc = get_document(searcher, ARTICLE.id)
    assert (doc.kind, doc.title, doc.lead, doc.agency) == ("article", ARTICLE.title, ARTICLE.lead, "dpa")
    assert doc.body == ARTICLE.body and doc.subheadings == ARTICLE.subheadings
    assert doc.topics == ("USA", "Russland")
    assert doc.captions == (
        Caption("Der Altbau der US-Botschaft in Moskau ist ein beeindruckendes Gebäude im Stil des sowjetischen "
                "Klassizismus. (Archivbild)", "Alexander Zemlianichenko/AP/dpa"),
        Caption("Auch die Botschaft Russlands in Washington arbeitete zuletzt mit Minimalbesetzung. (Archivbild)",
                "Valerie Plesch/dpa"),
    )  # fmt: skip
    assert doc.published == ARTICLE.published and doc.published.utcoffset().total_seconds() == 3600


def test_related_items_resolve_to_their_documents_in_page_order(searcher):
    doc = get_document(searcher, ARTICLE.id)
    assert [(link.id, link.kind, link.title, link.published, link.section) for link in doc.related] == [
        (item.id, "related", item.title, item.published, item.section) for item in ARTICLE.related
    ]
    stub = get_document(searcher, ARTICLE.related[0].id)
    assert (stub.kind, stub.lead, stub.body) == ("related", ARTICLE.related[0].teaser, ())
    assert [(p.id, p.title) for p in stub.parents] == [(ARTICLE.id, ARTICLE.title)]


def test_document_json_carries_every_field_with_iso_times(searcher):
    body = document_to_json(get_document(searcher, ARTICLE.related[1].id))
    item = ARTICLE.related[1]
    assert body == {
        "id": item.id, "kind": "related", "title": item.title, "url": None,
        "published": "2026-01-25T13:06:00+01:00", "section": "Ausland", "agency": None, "author": [],
        "publisher": None, "topics": [],
        "lead": item.teaser, "body": [], "subheadings": [], "captions": [],
        "parents": [{"id": ARTICLE.id, "kind": "article", "title": ARTICLE.title,
                     "published": "2025-02-27T11:57:57+01:00", "section": None}],
        "related": [],
        "author": [],
        "item_id": None, "version": None, "first_created": None, "urgency": None, "genre": None, "located": None,
        "versions": [],
    }  # fmt: skip


@pytest.mark.parametrize("doc_id", ["gibtsnicht", ""])
def test_unknown_id_raises_not_found_with_a_german_sentence(searcher, doc_id):
    with pytest.raises(DocumentNotFoundError) as caught:
        get_document(searcher, doc_id)
    assert caught.value.status == 404
    assert caught.value.message.startswith(f"Ein Dokument mit der Kennung {doc_id!r} gibt es im Index nicht")


def test_ledger_documents_are_not_documents(searcher):
    ledger_ids = [stored[f.ID] for stored in searcher.documents(**{f.KIND: f.SOURCE_KIND})]
    assert len(ledger_ids) == 1, "the sample index records its one file in the ledger"
    with pytest.raises(DocumentNotFoundError):
        get_document(searcher, ledger_ids[0])
    with pytest.raises(DocumentNotFoundError):
        similar_documents(searcher, ledger_ids[0])


def test_similar_documents_rank_the_closest_first_and_never_the_document_itself(tmp_path, sample_files):
    folder = sample_files
    write_page(folder / "a.txt", "Windpark vor Rügen genehmigt", lead="Die Behörden genehmigen einen Windpark in der "
               "Ostsee vor Rügen.", body="Die Windräder sollen ab 2027 Strom für Mecklenburg-Vorpommern liefern.",
               topics="Energie")
    write_page(folder / "b.txt", "Zweiter Windpark in der Ostsee geplant", lead="Nach Rügen soll ein weiterer "
               "Windpark in der Ostsee entstehen.", body="Auch diese Windräder liefern Strom.",
               stamp="02.02.2026 - 09:00:00", topics="Energie")
    write_page(folder / "c.txt", "Bahn erhöht die Ticketpreise", lead="Fahrgäste zahlen ab Dezember mehr.",
               body="Der Konzern begründet das ab sofort mit gestiegenen Kosten.", stamp="03.02.2026 - 09:00:00",
               topics="Verkehr")
    index_files([folder], tmp_path / "index")
    with open_searcher(open_for_reading(tmp_path / "index")) as searcher:
        ids = {stored[f.TITLE]: stored[f.ID] for stored in searcher.all_stored_fields() if stored.get(f.TITLE)}
        wind = ids["Windpark vor Rügen genehmigt"]
        hits = similar_documents(searcher, wind)
        # The other wind-farm article shares many key words; the rail article only "ab", which is not enough.
        assert [h.title for h in hits] == ["Zweiter Windpark in der Ostsee geplant"]
        assert similar_to_json(wind, hits)["hits"][0]["snippet"] == "Nach Rügen soll ein weiterer Windpark in der Ostsee entstehen."
        # The Kreml stub's neighbours: every other Ukraine text, none of the wind or rail articles.
        kreml = similar_documents(searcher, ARTICLE.related[0].id, limit=10)
        assert ARTICLE.related[0].id not in [h.id for h in kreml]
        assert {h.title for h in kreml} <= {ARTICLE.title, *(r.title for r in ARTICLE.related)}
        assert kreml[0].title == "Ukraine-Gespräche: Hardt übt scharfe Kritik an Russland"
