"""The collection statistics of a query's words in one index: what ``dfs_query_then_fetch`` collects.

Split from ``search/whoosh/evaluate.py`` (issue 18's review: one job a module). Step 1 of a search
over shards (search/scatter.py) asks each shard for these figures and adds them up, so that every
shard scores with the figures of the whole collection: the document count, each field's total
length, each word's document frequency, and the words each prefix of the query stands for.
"""
from __future__ import annotations

from whoosh import query as wq

from indexer.schema import KIND, SOURCE_KIND
from search.backend import CollectionStats
from search.whoosh.combined import CombinedTerm, term_text
from search.whoosh.postings import state_of


def query_terms(q: wq.Query) -> set[tuple[str, str]]:
    """The (field, term) pairs whose statistics score ``q``: its terms, the fields of its
    ``CombinedTerm``s and the words of its phrases (phrases score as their words), ``"a b"~N``'s
    among them. The words of its prefixes are in ``query_prefixes``."""
    found: set[tuple[str, str]] = set()

    def walk(node):
        if isinstance(node, wq.Term):
            found.add((node.fieldname, term_text(node.text)))
        elif isinstance(node, wq.Phrase):
            found.update((node.fieldname, term_text(w)) for w in node.words)
        elif isinstance(node, CombinedTerm):
            found.update((t.fieldname, term_text(t.text)) for t in node.subqueries)
        elif not node.is_leaf():
            for child in node.children():
                walk(child)

    walk(q)
    return found


def query_prefixes(q: wq.Query) -> set[tuple[str, str]]:
    """The (field, prefix) pairs of ``q``'s prefixes, whose words ``statistics`` looks up."""
    found: set[tuple[str, str]] = set()

    def walk(node):
        if isinstance(node, wq.Prefix):
            found.add((node.fieldname, node.text))
        elif not node.is_leaf():
            for child in node.children():
                walk(child)

    walk(q)
    return found


def statistics(searcher, terms, prefixes=()) -> CollectionStats:
    """This index's ``CollectionStats`` for ``terms`` ((field, analysed text) pairs) and
    ``prefixes`` ((field, prefix) pairs): its document count, every scored field's total length,
    the words each prefix expands to here, and the document frequency of each term and each of
    those words, as Whoosh counts them (deleted documents until a merge), read off the joined
    posting arrays, which the evaluation then scores from (``IndexState.postings``)."""
    reader = searcher.reader()
    schema = searcher.schema
    state = state_of(reader)
    expansions = {(fieldname, prefix): expand(reader, fieldname, prefix)
                  for fieldname, prefix in prefixes if fieldname in schema}
    terms = set(terms) | {(fieldname, word) for (fieldname, _), words in expansions.items() for word in words}
    frequencies = {}
    for fieldname, text in terms:
        if fieldname not in schema:
            continue
        try:
            btext = schema[fieldname].to_bytes(text)
        except ValueError:
            continue
        frequencies[(fieldname, text)] = len(state.postings(reader, fieldname, btext)[0])
    lengths = {name: reader.field_length(name) for name in schema.scorable_names()}
    ledger = reader.doc_frequency(KIND, SOURCE_KIND) if KIND in schema else 0
    return CollectionStats(reader.doc_count_all(), lengths, frequencies, ledger, expansions)


def expand(reader, fieldname: str, prefix: str) -> tuple[str, ...]:
    """The words of ``fieldname`` in this index that start with ``prefix``, sorted (Whoosh's
    ``Prefix``: an empty word is none)."""
    field = reader.schema[fieldname]
    return tuple(sorted(w for w in (field.from_bytes(b) for b in reader.expand_prefix(fieldname, prefix)) if w))
