"""One stored document in full, and the documents most like it.

The article page and ``/api/document/<id>`` show ``get_document``; the "Ähnliche Artikel" list
and ``/api/similar/<id>`` show ``similar_documents``. Both read only what the index stores, so
a page never needs the source file. JSON for both is built here, in ``document_to_json`` and
``similar_to_json``, so the API cannot drift from the types.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import zip_longest

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer import schema as f
from indexer.dates import from_utc
from indexer.errors import DocumentNotFoundError
from indexer.model import ARTICLE, RELATED, Caption
from indexer.versions import versions_from_stored
from search.whoosh.evaluate import Matches, evaluate
from search.highlight import make_snippet
from search.ranking import FIELD_BOOSTS, ANALYSED_APART
from search.results import Hit, hit_to_json

SIMILAR_LIMIT = 5
# Key terms per field and in the final query: enough that an article shares some with a short
# related item, few enough that one shared common word does not make everything "similar".
KEY_TERMS = 20
MIN_SHARED_TERMS = 2
CANDIDATES = 10  # times ``limit``: hits scored before those sharing too few terms are dropped


@dataclass(frozen=True, slots=True)
class DocumentLink:
    """A document another one points to (a related item, the article listing it), resolved from the index."""

    id: str
    kind: str
    title: str
    published: datetime | None  # Europe/Berlin
    section: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """Everything the index stores about one article or related item, ready to show."""

    id: str
    kind: str
    title: str
    url: str
    topics: tuple[str, ...]
    lead: str
    body: tuple[str, ...]  # paragraphs
    subheadings: tuple[str, ...]
    captions: tuple[Caption, ...]  # each with the photo credit stored beside it
    published: datetime | None  # Europe/Berlin
    section: str
    agency: str
    author: tuple[str, ...]  # names, in byline order
    publisher: str
    parents: tuple[DocumentLink, ...]  # the articles that listed this related item
    related: tuple[DocumentLink, ...]  # the article's "Weitere Meldungen", in page order
    # Agency items only (ninjs, NewsML-G2): the agency's id, the version shown, its earlier versions
    item_id: str = ""
    version: int = 0
    earlier: tuple[EarlierVersion, ...] = ()  # oldest first
    change: int | None = None  # characters this version added (negative: cut) against the one before
    urgency: int = 0
    genre: str = ""
    located: str = ""
    first_created: datetime | None = None  # Europe/Berlin


@dataclass(frozen=True, slots=True)
class EarlierVersion:
    """A version of an agency item that a later one replaced: what the article page lists."""

    version: int
    published: datetime | None  # when the agency created it, Europe/Berlin
    title: str
    chars: int  # length of title, lead and body
    change: int | None  # against the version before it; None for the first one seen


def get_document(searcher: Searcher, doc_id: str) -> Document:
    """The stored document ``doc_id`` with its links resolved.

    :raise DocumentNotFoundError: (404) when no article or related item has that id; the index's
        ledger documents are not documents a person can open.
    """
    stored = _stored(searcher, doc_id)
    return Document(
        id=stored[f.ID],
        kind=stored.get(f.KIND, ARTICLE),
        title=stored.get(f.TITLE, ""),
        url=stored.get(f.URL) or "",
        topics=_split(stored.get(f.TOPIC), ","),
        lead=stored.get(f.LEAD) or "",
        body=_split(stored.get(f.BODY), "\n\n"),
        subheadings=_split(stored.get(f.SUBHEADINGS), "\n"),
        captions=_captions(stored),
        published=_published(stored),
        section=stored.get(f.SECTION) or "",
        agency=stored.get(f.AGENCY) or "",
        author=_split(stored.get(f.AUTHOR), ","),
        publisher=stored.get(f.PUBLISHER) or "",
        parents=_links(searcher, _split(stored.get(f.PARENTS), ",")),
        related=_links(searcher, stored.get(f.RELATED_IDS) or ()),
        **_item_fields(stored),
    )


def _item_fields(stored: dict) -> dict:
    """The agency-item fields of ``Document``: each version with its change in size against the one before."""
    if not stored.get(f.ITEM_ID):
        return {}
    listed, before = [], None
    for version in versions_from_stored(stored.get(f.VERSIONS)):
        change = None if before is None else version.chars - before
        listed.append(EarlierVersion(version.version, version.created, version.title, version.chars, change))
        before = version.chars
    held = stored.get(f.VERSION) or 0
    first = stored.get(f.FIRST_CREATED)
    return {
        "item_id": stored[f.ITEM_ID],
        "version": held,
        "earlier": tuple(v for v in listed if v.version < held),
        "change": next((v.change for v in listed if v.version == held), None),
        "urgency": stored.get(f.URGENCY) or 0,
        "genre": stored.get(f.GENRE) or "",
        "located": stored.get(f.LOCATED) or "",
        "first_created": from_utc(first) if first else None,
    }


def similar_documents(searcher: Searcher, doc_id: str, limit: int = SIMILAR_LIMIT) -> list[Hit]:
    """The documents most like ``doc_id``, best first, without the document itself.

    Whoosh's more-like-this, spread over every stemmed text field: each field proposes key terms
    from its stored text (the Bo1 divergence-from-randomness model, Amati 2003, as Whoosh's
    ``more_like`` does), weighted by the field's ``FIELD_BOOSTS`` entry, so a headline word counts
    more than a body word. The best terms are then searched in all those fields, as a typed query
    is: an article's body words must be able to find a related item, which has no body. The
    unstemmed ``exact`` and compound ``parts`` fields are left out; they repeat the same text.

    :raise DocumentNotFoundError: (404) for an unknown id.
    """
    stored = _stored(searcher, doc_id)
    fields = [name for name in FIELD_BOOSTS if name not in ANALYSED_APART]
    weights: dict[str, float] = {}
    for name in fields:
        text = stored.get(name)
        if not text:
            continue
        for word, weight in searcher.key_terms_from_text(name, text, numterms=KEY_TERMS, normalize=True):
            weights[word] = weights.get(word, 0.0) + weight * FIELD_BOOSTS[name]
    best = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:KEY_TERMS]
    if not best:
        return []
    per_word = [wq.Or([wq.Term(name, word, boost=FIELD_BOOSTS[name]) for name in fields], boost=weight)
                for word, weight in best]
    docnum = searcher.document_number(**{f.ID: stored[f.ID]})
    # Evaluated over posting arrays (search/evaluate.py): Whoosh's matchers took 6-17 s for these
    # 20 words in six fields over the 28k FANG articles. The words are OR-ed: scores add up.
    scores = np.zeros(searcher.reader().doc_count_all())
    shared = np.zeros(len(scores), dtype=np.int32)
    for word in per_word:
        matches = evaluate(searcher, word)
        scores[matches.docs] += matches.scores
        shared[matches.docs] += 1
    searchable = evaluate(searcher, wq.Or([wq.Term(f.KIND, ARTICLE), wq.Term(f.KIND, RELATED)])).docs
    candidates = searchable[(shared[searchable] > 0) & (searchable != docnum)]
    found = Matches(candidates, scores[candidates])
    # Scored over more candidates than shown: one shared word (a topic, an "ab" the stop list lacks)
    # is chance, not likeness, so a neighbour must share at least MIN_SHARED_TERMS key terms.
    close = [(doc, score) for doc, score in found.ranked(limit * CANDIDATES) if shared[doc] >= MIN_SHARED_TERMS]
    return [stored_hit(searcher.stored_fields(doc), score) for doc, score in close[:limit]]


def document_to_json(document: Document) -> dict:
    """The JSON object of ``GET /api/document/<id>``."""
    return {
        "id": document.id,
        "kind": document.kind,
        "title": document.title,
        "url": document.url or None,
        "published": _iso(document.published),
        "section": document.section or None,
        "agency": document.agency or None,
        "author": list(document.author),
        "publisher": document.publisher or None,
        "topics": list(document.topics),
        "lead": document.lead,
        "body": list(document.body),
        "subheadings": list(document.subheadings),
        "captions": [{"text": c.text, "credit": c.credit or None} for c in document.captions],
        "parents": [link_to_json(link) for link in document.parents],
        "related": [link_to_json(link) for link in document.related],
        "item_id": document.item_id or None,
        "version": document.version or None,
        "first_created": _iso(document.first_created),
        "urgency": document.urgency or None,
        "genre": document.genre or None,
        "located": document.located or None,
        "versions": [
            {"version": v.version, "published": _iso(v.published), "title": v.title, "chars": v.chars, "change": v.change}
            for v in document.earlier
        ],
    }


def link_to_json(link: DocumentLink) -> dict:
    return {
        "id": link.id,
        "kind": link.kind,
        "title": link.title,
        "published": _iso(link.published),
        "section": link.section or None,
    }


def similar_to_json(doc_id: str, hits: list[Hit]) -> dict:
    """The JSON object of ``GET /api/similar/<id>``: hits shaped as in ``/api/search``."""
    return {"id": doc_id, "hits": [hit_to_json(hit) for hit in hits]}


def _stored(searcher: Searcher, doc_id: str) -> dict:
    stored = searcher.document(**{f.ID: doc_id}) if doc_id else None
    if stored is None or stored.get(f.KIND) == f.SOURCE_KIND:
        raise DocumentNotFoundError(
            f"Ein Dokument mit der Kennung {doc_id!r} gibt es im Index nicht (mehr). "
            "Suchen Sie nach seinem Titel, um es wiederzufinden."
        )
    return stored


def _links(searcher: Searcher, ids) -> tuple[DocumentLink, ...]:
    """The ids that still resolve to a searchable document, in the order given."""
    links = []
    for doc_id in ids:
        stored = searcher.document(**{f.ID: doc_id})
        if stored is None or stored.get(f.KIND) == f.SOURCE_KIND:
            continue  # a link the index no longer backs: show nothing rather than a dead link
        links.append(
            DocumentLink(
                id=doc_id,
                kind=stored.get(f.KIND, ARTICLE),
                title=stored.get(f.TITLE, ""),
                published=_published(stored),
                section=stored.get(f.SECTION) or "",
            )
        )
    return tuple(links)


def _captions(stored: dict) -> tuple[Caption, ...]:
    """Caption lines paired with the credits list the indexer stores in the same order."""
    texts = _split(stored.get(f.CAPTIONS), "\n")
    credits = stored.get(f.CREDITS) or []
    return tuple(Caption(text, credit or "") for text, credit in zip_longest(texts, credits, fillvalue="") if text)


def stored_hit(stored: dict, score: float, matchers=()) -> Hit:
    """A stored document as a result-list entry: the search page's and the similar list's.

    The snippet is the best passage of lead and body for ``matchers`` (``search/highlight.py``),
    without any the opening of the lead or body.
    """
    parents = _split(stored.get(f.PARENTS), ",")
    return Hit(
        id=stored[f.ID],
        kind=stored.get(f.KIND, ARTICLE),
        title=stored.get(f.TITLE, ""),
        published=_published(stored),
        section=stored.get(f.SECTION) or "",
        topics=_split(stored.get(f.TOPIC), ","),
        agency=stored.get(f.AGENCY) or "",
        author=_split(stored.get(f.AUTHOR), ","),
        publisher=stored.get(f.PUBLISHER) or "",
        snippet=make_snippet([stored.get(f.LEAD) or "", stored.get(f.BODY) or ""], list(matchers)),
        score=score,
        parent_id=parents[0] if parents else None,
        url=stored.get(f.URL) or "",
    )


def _published(stored: dict) -> datetime | None:
    published = stored.get(f.PUBLISHED)
    return from_utc(published) if published else None


def _split(value: str | None, separator: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(separator) if part.strip())


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
