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

from collections import Counter
from math import log

from indexer import schema as f
from indexer.dates import from_utc
from indexer.errors import DocumentNotFoundError, NewsearchError
from indexer.model import ARTICLE, Caption
from indexer.settings import SIMILAR_COUNT
from indexer.versions import versions_from_stored
from search.backend import CollectionStats
from search.hits import published_of, split_field, stored_hit  # noqa: F401 (stored_hit: re-exported)
from search.ranking import ANALYSED_APART, FIELD_BOOSTS
from search.results import Hit, hit_to_json
from search.scatter import as_shards

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


def get_document(source, doc_id: str) -> Document:
    """The stored document ``doc_id`` with its links resolved, from whichever shard holds it
    (``source``: the index's ``Shards``, or one Whoosh searcher).

    :raise DocumentNotFoundError: (404) when no article or related item has that id; the index's
        ledger documents are not documents a person can open.
    """
    shards = as_shards(source)
    _, stored = _stored(shards, doc_id)
    return Document(
        id=stored[f.ID],
        kind=stored.get(f.KIND, ARTICLE),
        title=stored.get(f.TITLE, ""),
        url=stored.get(f.URL) or "",
        topics=split_field(stored.get(f.TOPIC), ","),
        lead=stored.get(f.LEAD) or "",
        body=split_field(stored.get(f.BODY), "\n\n"),
        subheadings=split_field(stored.get(f.SUBHEADINGS), "\n"),
        captions=_captions(stored),
        published=published_of(stored),
        section=stored.get(f.SECTION) or "",
        agency=stored.get(f.AGENCY) or "",
        author=split_field(stored.get(f.AUTHOR), ","),
        publisher=stored.get(f.PUBLISHER) or "",
        parents=_links(shards, split_field(stored.get(f.PARENTS), ",")),
        related=_links(shards, stored.get(f.RELATED_IDS) or ()),
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


def similar_documents(source, doc_id: str, limit: int = SIMILAR_COUNT) -> list[Hit]:
    """The documents most like ``doc_id``, best first, without the document itself.

    Whoosh's more-like-this, spread over every stemmed text field: each field proposes key terms
    from its stored text (the Bo1 divergence-from-randomness model, Amati 2003, as Whoosh's
    ``more_like`` does), weighted by the field's ``FIELD_BOOSTS`` entry, so a headline word counts
    more than a body word. The best terms are then searched in all those fields, as a typed query
    is: an article's body words must be able to find a related item, which has no body. The
    unstemmed ``exact`` and compound ``parts`` fields are left out; they repeat the same text.

    Over several shards the key terms are weighed with the collection's figures (document count,
    each term's frequency over all shards), and every shard scores its documents under the
    merged statistics, so the list equals one index's.

    :raise DocumentNotFoundError: (404) for an unknown id.
    """
    shards = as_shards(source)
    owner, stored = _stored(shards, doc_id)
    fields = [name for name in FIELD_BOOSTS if name not in ANALYSED_APART]
    doc_count = CollectionStats.merged(shards.each("term_statistics", ()).values()).doc_count
    weights: dict[str, float] = {}
    for name in fields:
        text = stored.get(name)
        if not text:
            continue
        for word, weight in _key_terms(shards, owner, name, text, doc_count):
            weights[word] = weights.get(word, 0.0) + weight * FIELD_BOOSTS[name]
    best = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:KEY_TERMS]
    if not best:
        return []
    terms = {(name, word) for word, _ in best for name in fields}
    stats = CollectionStats.merged(shards.each("term_statistics", terms).values())
    found = []
    for number, similar in shards.each("similar", best, fields, stored[f.ID], limit * CANDIDATES, stats).items():
        found += [(-score, number, doc, score, shared) for doc, score, shared in similar]
    # Scored over more candidates than shown: one shared word (a topic, an "ab" the stop list lacks)
    # is chance, not likeness, so a neighbour must share at least MIN_SHARED_TERMS key terms.
    found.sort(key=lambda e: e[:3])
    close = [(number, doc, score) for _, number, doc, score, shared in found[: limit * CANDIDATES]
             if shared >= MIN_SHARED_TERMS][:limit]
    return [hit for number, doc, score in close
            for hit in shards.each("hits", [(doc, score)], among={number}).get(number, ())]


def _key_terms(shards, owner, fieldname: str, text: str, doc_count: int) -> list[tuple[str, float]]:
    """The ``KEY_TERMS`` most telling words of ``text`` by Bo1 (Amati 2003), normalised, as Whoosh's
    ``key_terms_from_text`` ranks them, with the collection frequencies of all shards."""
    weights = owner.analysed(fieldname, text)
    frequency = Counter()
    for found in shards.each("frequencies", fieldname, list(weights)).values():
        frequency.update(found)
    scored, best = [], 0.0
    for word, weight in weights.items():
        if frequency[word]:
            share = frequency[word] / doc_count
            score = weight * log((1.0 + share) / share, 2) + log(1.0 + share, 2)
            best = max(best, score)
            scored.append((score, word))
    if not scored:
        return []
    share = best / doc_count
    norm = (best * log((1.0 + share) / share) + log(1.0 + share)) / log(2.0) if best else best
    ranked = sorted(((score / norm, word) for score, word in scored), key=lambda x: (-x[0], x[1]))
    return [(word, weight) for weight, word in ranked[:KEY_TERMS]]


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


def similar_to_json(doc_id: str, hits: list[Hit], messages=()) -> dict:
    """The JSON object of ``GET /api/similar/<id>``: hits shaped as in ``/api/search``, and, as
    there, ``messages``: the shards that did not answer (``Shards.missing``), whose documents
    the list lacks."""
    return {"id": doc_id, "hits": [hit_to_json(hit) for hit in hits], "messages": list(messages)}


def _stored(shards, doc_id: str) -> tuple[object, dict]:
    """The shard holding ``doc_id`` and its stored fields; ``DocumentNotFoundError`` if none."""
    shard, stored = shards.stored(doc_id) if doc_id else (None, None)
    if stored is None and shards.missing:  # a shard that may hold it did not answer (on a cluster)
        raise NewsearchError(f"Das Dokument {doc_id!r} ist gerade nicht erreichbar; bitte gleich noch einmal "
                             f"versuchen. {' '.join(shards.missing)}", status=503)
    if stored is None or stored.get(f.KIND) == f.SOURCE_KIND:
        raise DocumentNotFoundError(
            f"Ein Dokument mit der Kennung {doc_id!r} gibt es im Index nicht (mehr). "
            "Suchen Sie nach seinem Titel, um es wiederzufinden."
        )
    return shard, stored


def _links(shards, ids) -> tuple[DocumentLink, ...]:
    """The ids that still resolve to a searchable document, in the order given."""
    links = []
    for doc_id in ids:
        _, stored = shards.stored(doc_id)
        if stored is None or stored.get(f.KIND) == f.SOURCE_KIND:
            continue  # a link the index no longer backs: show nothing rather than a dead link
        links.append(
            DocumentLink(
                id=doc_id,
                kind=stored.get(f.KIND, ARTICLE),
                title=stored.get(f.TITLE, ""),
                published=published_of(stored),
                section=stored.get(f.SECTION) or "",
            )
        )
    return tuple(links)


def _captions(stored: dict) -> tuple[Caption, ...]:
    """Caption lines paired with the credits list the indexer stores in the same order."""
    texts = split_field(stored.get(f.CAPTIONS), "\n")
    credits = stored.get(f.CREDITS) or []
    return tuple(Caption(text, credit or "") for text, credit in zip_longest(texts, credits, fillvalue="") if text)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
