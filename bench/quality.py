"""Retrieval quality of newsearch against a plain Whoosh baseline, on German test collections.

Each task prints one JSON object ``{"newsearch": {...}, "baseline": {...}}`` with nDCG@10, MRR@10,
recall@10 and recall@100 on stdout; progress and timings go to stderr. See bench/README.md
("Quality") for the commands and the figures of the last run.

``beir``
    A collection in BEIR layout: ``corpus.jsonl`` (``_id``, ``title``, ``text``), a queries file
    (``_id``, ``text``) and a qrels TSV (query id, corpus id, graded score; a header line is
    skipped). Passages are indexed with their page title (underscores as spaces) as title and
    their text as body. Only queries with at least one relevant passage are asked.
``known-item``
    News articles from a JSON Lines file (read with ``indexer.jsonl.parse_jsonl``) indexed WITHOUT
    their titles; the queries TSV holds an article's record ``id`` and title, the title is the
    query and that article the one right answer.

Both systems index the same articles and are asked the same query text, words OR-ed, because
questions and headlines are not keyword lists: requiring every word would find almost nothing.

newsearch
    ``indexer.write.index_articles`` into a temporary directory (an empty index, so the bulk
    writer builds it), searched through ``search.query.open_searcher`` with the query
    ``search.query.search_ranked(any_words=True)`` ranks as the product does: every field of
    ``FIELD_BOOSTS`` with its weight, each word one BM25F term over the text fields
    (``search/ranking.py``), the words OR-ed and a quoted span asked for as its words plus the
    phrase, the best 100 re-ranked by term proximity (``search/proximity.py``).
baseline
    Stock Whoosh: the article's text fields (title, topics, lead, subheadings, body, captions),
    each ``TEXT(analyzer=LanguageAnalyzer("de"))``, default ``BM25F``, a ``MultifieldParser`` over
    them with ``OrGroup`` and no boosts, asked the sanitised query (``sanitised``: ``\\w+`` words,
    lower-cased, OR-ed), as the anchor rows of issue 17 were. This is the one schema outside
    ``indexer/schema.py``, on purpose: it is what we measure against.

The baseline is built by Whoosh's own writer (``indexer.run.WRITER_LIMIT_MB`` of memory, one
process), newsearch by the bulk writer (two processes), so their build times on stderr measure
the writers as much as the analysis.
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as ``python bench/quality.py``: make indexer/ and search/ importable from the repo root.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator, Mapping, Sequence  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402

import click  # noqa: E402
from whoosh import fields, index, scoring  # noqa: E402
from whoosh.analysis import LanguageAnalyzer  # noqa: E402
from whoosh.qparser import MultifieldParser, OrGroup, QueryParserError  # noqa: E402
from whoosh.searching import Searcher  # noqa: E402

from indexer import schema as f  # noqa: E402
from indexer.errors import ArticleParseError, QuerySyntaxError  # noqa: E402
from indexer.jsonl import article_from_record, open_jsonl, parse_jsonl  # noqa: E402
from indexer.model import Article  # noqa: E402
from indexer.store import open_for_reading  # noqa: E402
from indexer.documents import article_document  # noqa: E402
from indexer.run import WRITER_LIMIT_MB  # noqa: E402
from indexer.write import index_articles  # noqa: E402
from search.query import open_searcher, search_ranked  # noqa: E402
from search.ranking import FIELD_BOOSTS, ANALYSED_APART  # noqa: E402

DEPTH = 100  # hits fetched per query: the deepest cut-off reported (recall@100)
# The article's own text fields. newsearch also searches copies of the same text analysed
# differently (search/ranking.py FIELD_BOOSTS); having none of those is what makes the baseline one.
BASELINE_FIELDS = (f.TITLE, f.TOPICS, f.LEAD, f.SUBHEADINGS, f.BODY, f.CAPTIONS)

Rankings = dict[str, list[str]]  # query id -> answer ids, best first


# --- Metrics: pure functions over one query's ranking and its judgements (answer id -> gain) ---


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulated gain (Järvelin & Kekäläinen, "Cumulated gain-based evaluation of IR
    techniques", ACM TOIS 20(4), 2002): the gain at rank i divided by log2(i + 1), summed.

    Rank 1 is undiscounted and gains are the graded judgements as given (linear), as trec_eval's
    ``ndcg_cut`` and BEIR (Thakur et al., 2021) compute it.

    >>> round(dcg([3, 2, 0, 1]), 4)  # 3/1 + 2/log2(3) + 0 + 1/log2(5)
    4.6925
    """
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


def ndcg_at(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """nDCG@k: DCG of the top k divided by the DCG of the best possible top k (the ideal ranking).

    >>> ndcg_at(["a", "b"], {"a": 1}, 10)
    1.0
    >>> round(ndcg_at(["x", "a"], {"a": 1}, 10), 4)  # 1/log2(3)
    0.6309
    >>> round(ndcg_at(["b", "x", "a"], {"a": 2, "b": 1}, 10), 4)  # (1/1 + 2/log2(4)) / (2/1 + 1/log2(3))
    0.7602
    """
    ideal = dcg(sorted((g for g in judged.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([max(judged.get(doc, 0), 0) for doc in ranking[:k]]) / ideal


def reciprocal_rank_at(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """1/rank of the first relevant answer within the top k, else 0; its mean over queries is MRR@k
    (Voorhees, "The TREC-8 Question Answering Track Report", 1999).

    >>> reciprocal_rank_at(["x", "y", "a"], {"a": 1}, 10)
    0.3333333333333333
    >>> reciprocal_rank_at(["x", "y", "a"], {"a": 1}, 2)
    0.0
    """
    for rank, doc in enumerate(ranking[:k], start=1):
        if judged.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def recall_at(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """Recall@k: the share of the relevant answers (gain > 0) found in the top k (Manning, Raghavan
    & Schütze, "Introduction to Information Retrieval", 2008, ch. 8).

    >>> recall_at(["a", "x", "b"], {"a": 1, "b": 1, "c": 2, "d": 0}, 2)
    0.3333333333333333
    """
    relevant = {doc for doc, gain in judged.items() if gain > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


METRICS: dict[str, Callable[[Sequence[str], Mapping[str, int]], float]] = {
    "ndcg@10": lambda ranking, judged: ndcg_at(ranking, judged, 10),
    "mrr@10": lambda ranking, judged: reciprocal_rank_at(ranking, judged, 10),
    "recall@10": lambda ranking, judged: recall_at(ranking, judged, 10),
    "recall@100": lambda ranking, judged: recall_at(ranking, judged, 100),
}


def evaluate(rankings: Rankings, qrels: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """Each metric's mean over the judged queries; a query without a ranking scores 0."""
    judged_queries = [qid for qid, judged in qrels.items() if any(g > 0 for g in judged.values())]
    if not judged_queries:
        raise click.ClickException("Keine Anfrage hat eine relevante Antwort: nichts zu messen.")
    return {
        name: round(sum(metric(rankings.get(qid, []), qrels[qid]) for qid in judged_queries) / len(judged_queries), 4)
        for name, metric in METRICS.items()
    }


# --- Collections ---


@dataclass(frozen=True, slots=True)
class Collection:
    """What both systems index and are asked, and the judgements their rankings are scored by."""

    articles: tuple[Article, ...]
    queries: dict[str, str]  # query id -> text, in file order
    qrels: dict[str, dict[str, int]]  # query id -> {answer id -> gain}
    answer_ids: dict[str, str]  # article id -> the id the qrels use


def load_beir(corpus: Path, queries: Path, qrels: Path, limit: int | None = None) -> Collection:
    """A BEIR collection; with ``limit``, its first queries and first passages plus their answers."""
    judgements = read_qrels(qrels)
    texts = {
        str(record["_id"]): record["text"]
        for record in read_json_lines(queries)
        if str(record["_id"]) in judgements
    }
    texts = _first(texts, limit)
    judgements = {qid: judgements[qid] for qid in texts}
    articles = [
        Article(id=str(record["_id"]), title=record.get("title", "").replace("_", " "), body=(record["text"],),
                url=passage_address(record))
        for record in read_json_lines(corpus)
    ]
    articles = _cut_corpus(articles, {a.id: a.id for a in articles}, judgements, limit)
    return Collection(tuple(articles), texts, judgements, {a.id: a.id for a in articles})


def passage_address(record: dict) -> str:
    """A passage's address as a passage feed would give it: its page's, with its id as the fragment.
    xquad-de's passages are the sentences of paragraphs of English Wikipedia pages (translated), the
    page named by ``title``; the passages of one page so share an address up to ``#`` (``search/context.py``).

    >>> passage_address({"_id": "s00001", "title": "Super_Bowl_50"})
    'https://en.wikipedia.org/wiki/Super_Bowl_50#s00001'
    """
    title = record.get("title", "")
    return f"https://en.wikipedia.org/wiki/{title}#{record['_id']}" if title else ""


def load_known_item(articles_path: Path, queries: Path, limit: int | None = None) -> Collection:
    """Articles without titles, each asked for by its title; the answer is the article's record id."""
    titles = _first(dict(read_known_item_queries(queries)), limit)
    judgements = {record_id: {record_id: 1} for record_id in titles}

    def report(where: str, reason: str) -> None:
        _log(f"übersprungen: {where}: {reason}")

    articles = [replace(article, title="") for article in parse_jsonl(articles_path, on_error=report)]
    # The qrels name the record's own "id"; our article id comes from the URL, so map one to the other.
    answer_ids = {}
    for record in read_json_lines(articles_path, skip_bad=True):
        try:
            article = article_from_record(record, str(articles_path), articles_path.name)
        except ArticleParseError:
            continue  # already reported by parse_jsonl
        answer_ids[article.id] = str(record.get("id", article.id))
    known = set(answer_ids.values())
    missing = [rid for rid in titles if rid not in known]
    if missing:
        raise click.ClickException(
            f"{len(missing)} Anfragen nennen Artikel, die in {articles_path} fehlen, z. B. {missing[:3]}."
        )
    articles = _cut_corpus(articles, answer_ids, judgements, limit)
    return Collection(tuple(articles), titles, judgements, answer_ids)


def read_json_lines(path: Path, skip_bad: bool = False) -> Iterator[dict]:
    """The objects of a JSON Lines file, plain or gzipped; a bad line stops with its line number."""
    with open_jsonl(path) as stream:
        for line_no, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError as err:
                if skip_bad:
                    continue
                raise click.ClickException(f"{path}:{line_no}: ungültiges JSON ({err})") from None
            if isinstance(record, dict):
                yield record
            elif not skip_bad:
                raise click.ClickException(f"{path}:{line_no}: kein JSON-Objekt")


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """BEIR qrels: ``query-id<TAB>corpus-id<TAB>score`` per line; a header line is skipped."""
    qrels: dict[str, dict[str, int]] = {}
    for line_no, parts in _tsv_rows(path):
        if len(parts) != 3:
            raise click.ClickException(f"{path}:{line_no}: erwartet drei Spalten, gefunden {len(parts)}")
        try:
            gain = int(parts[2])
        except ValueError:
            if line_no == 1:
                continue  # the header: query-id, corpus-id, score
            raise click.ClickException(f"{path}:{line_no}: Bewertung {parts[2]!r} ist keine ganze Zahl") from None
        qrels.setdefault(parts[0], {})[parts[1]] = gain
    return qrels


def read_known_item_queries(path: Path) -> Iterator[tuple[str, str]]:
    """``article-id<TAB>title`` per line; a header line starting with ``article-id`` is skipped."""
    for line_no, parts in _tsv_rows(path):
        if line_no == 1 and parts[0] == "article-id":
            continue
        if len(parts) != 2 or not parts[1].strip():
            raise click.ClickException(f"{path}:{line_no}: erwartet Artikel-Id und Titel, getrennt durch Tab")
        yield parts[0], parts[1]


def _tsv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    with open(path, encoding="utf-8-sig") as lines:
        for line_no, line in enumerate(lines, start=1):
            if line.strip():
                yield line_no, line.rstrip("\r\n").split("\t")


def _first(items: dict, limit: int | None) -> dict:
    return dict(list(items.items())[:limit]) if limit else items


def _cut_corpus(articles: list[Article], answer_ids: dict, judgements: dict, limit: int | None) -> list[Article]:
    """With a limit, the first ``limit`` articles plus every answer of a kept query, in file order:
    a quick run keeps every right answer in the index, or it would measure the cut, not the search."""
    if not limit:
        return articles
    needed = {doc for judged in judgements.values() for doc, gain in judged.items() if gain > 0}
    return [a for i, a in enumerate(articles) if i < limit or answer_ids.get(a.id) in needed]


# --- The two systems ---


def ablation_variants() -> dict[str, tuple[dict[str, float] | None, bool]]:
    """Query-time variants over one index, each adding one feature (all fields are indexed anyway),
    as (field weights, term proximity).

    stemming: the stemmed text fields alone, equal weights (PyStemmer Snowball, which also folds
    umlauts and reads ae/oe/ue, our stop list and hyphen parts; with equal weights the BM25F term
    is BM25 over the article's text); +exact: surface forms ranked, so the spelling and word form
    as typed come first (Müller above Mueller); +compounds: compound parts; +weights: the
    product's field weights (``FIELD_BOOSTS``), and a question's own K1 and exact-form weight
    (``search.ranking.is_question``); ``newsearch`` itself adds term proximity
    (``search/proximity.py``) and document context (``search/context.py``).
    """
    stemmed = {name: 1.0 for name in FIELD_BOOSTS if name not in ANALYSED_APART}
    return {
        "newsearch:stemming": (stemmed, False),
        "newsearch:+exact": ({**stemmed, f.EXACT: FIELD_BOOSTS[f.EXACT]}, False),
        "newsearch:+compounds": ({**stemmed, f.EXACT: FIELD_BOOSTS[f.EXACT], f.PARTS: FIELD_BOOSTS[f.PARTS]}, False),
        "newsearch:+weights": (None, False),
    }


def rank_newsearch(articles: Sequence[Article], queries: Mapping[str, str], ablations: bool = False) -> dict:
    """Index with index_articles, rank as the product does (``search.query.search_ranked``), words OR-ed."""
    with tempfile.TemporaryDirectory(prefix="quality-newsearch-") as index_dir:
        started = time.perf_counter()
        index_articles(articles, index_dir)
        _log(f"newsearch: {len(articles)} Artikel indexiert in {time.perf_counter() - started:.1f} s")
        with open_searcher(open_for_reading(index_dir)) as searcher:
            runs = {}
            variants = {"newsearch": (None, True), **(ablation_variants() if ablations else {})}
            for name, (boosts, proximity) in variants.items():
                runs[name] = _search_all(name, searcher, queries, lambda text, b=boosts, p=proximity: [
                    searcher.stored_fields(doc)[f.ID]
                    for doc, _ in search_ranked(searcher, text, DEPTH, any_words=True, boosts=b, proximity=p)])
            return runs


def baseline_schema() -> fields.Schema:
    """Stock Whoosh German: the article's text fields, each with ``LanguageAnalyzer("de")``."""
    return fields.Schema(
        **{f.ID: fields.ID(stored=True, unique=True)},
        **{name: fields.TEXT(analyzer=LanguageAnalyzer("de")) for name in BASELINE_FIELDS},
    )


def rank_baseline(articles: Sequence[Article], queries: Mapping[str, str]) -> dict:
    """Index the same field texts into the stock schema, search with default BM25F and OrGroup.

    The query is sanitised as for the anchor rows of issue 17 (Lucene, tantivy, Whoosh): its
    ``\\w+`` words, lower-cased, OR-ed, no wildcards (``sanitised``). Whoosh's parser would read
    a word ending in ``?`` as a wildcard that matches nothing (nearly every xquad question ends in
    one), so a baseline asked the raw text is no baseline at all.
    """
    with tempfile.TemporaryDirectory(prefix="quality-baseline-") as index_dir:
        started = time.perf_counter()
        ix = index.create_in(index_dir, baseline_schema())
        writer = ix.writer(limitmb=WRITER_LIMIT_MB)
        try:
            for article in articles:
                # article_document gives the exact texts newsearch indexes for each field; as text
                # (counted_as_text) it skips deriving the parts terms the baseline has no use for.
                doc = article_document(article, counted_as_text=True)
                writer.add_document(**{f.ID: article.id}, **{name: doc[name] for name in BASELINE_FIELDS})
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        _log(f"baseline: {len(articles)} Artikel indexiert in {time.perf_counter() - started:.1f} s")
        with ix.searcher(weighting=scoring.BM25F()) as searcher:
            parser = MultifieldParser(list(BASELINE_FIELDS), searcher.schema, group=OrGroup)
            return {"baseline": _search_all("baseline", searcher, queries, lambda text: [
                hit[f.ID] for hit in searcher.search(parser.parse(sanitised(text)), limit=DEPTH)])}


def sanitised(text: str) -> str:
    """The query's words (``\\w+``), lower-cased, space-separated: OR-ed by the parser's ``OrGroup``,
    with nothing left that Whoosh's parser reads as an operator, a wildcard or a phrase.

    >>> sanitised('Wer gewann „Die Linke“ 2021? US-Wahl*')
    'wer gewann die linke 2021 us wahl'
    """
    return " ".join(_WORDS.findall(text.lower()))


_WORDS = re.compile(r"\w+")


def _search_all(name: str, searcher: Searcher, queries: Mapping[str, str],
                ranking: Callable[[str], list[str]]) -> Rankings:
    rankings: Rankings = {}
    started = time.perf_counter()
    for done, (qid, text) in enumerate(queries.items(), start=1):
        try:
            rankings[qid] = ranking(text)
        except (QueryParserError, QuerySyntaxError) as err:
            _log(f"{name}: Anfrage {qid} nicht lesbar ({err}), zählt als leer")
            rankings[qid] = []
        if done % 200 == 0:
            _log(f"{name}: {done}/{len(queries)} Anfragen")
    elapsed = time.perf_counter() - started
    _log(f"{name}: {len(queries)} Anfragen in {elapsed:.1f} s ({1000 * elapsed / max(len(queries), 1):.0f} ms je Anfrage)")
    return rankings


def compare(collection: Collection, details: Path | None = None, ablations: bool = False) -> dict[str, dict[str, float]]:
    """Both systems' metrics on the collection; with ``details``, one JSON line per query there."""
    _log(f"{len(collection.articles)} Artikel, {len(collection.queries)} Anfragen")
    runs = {}
    ranked = {**rank_newsearch(collection.articles, collection.queries, ablations),
              **rank_baseline(collection.articles, collection.queries)}
    for name, rankings in ranked.items():
        runs[name] = {qid: [collection.answer_ids[doc] for doc in docs] for qid, docs in rankings.items()}
    if details:
        _write_details(details, collection, runs)
    return {name: evaluate(rankings, collection.qrels) for name, rankings in runs.items()}


def _write_details(path: Path, collection: Collection, runs: dict[str, Rankings]) -> None:
    """Per query: its text, the relevant answers, and per system the first relevant rank and metrics."""
    with open(path, "w", encoding="utf-8") as out:
        for qid, text in collection.queries.items():
            judged = collection.qrels[qid]
            row = {"query_id": qid, "query": text, "relevant": sorted(d for d, g in judged.items() if g > 0)}
            for name, rankings in runs.items():
                ranking = rankings.get(qid, [])
                first = next((i for i, doc in enumerate(ranking, start=1) if judged.get(doc, 0) > 0), None)
                row[name] = {"first_relevant_rank": first, "top3": ranking[:3]} | {
                    metric: round(fn(ranking, judged), 4) for metric, fn in METRICS.items()
                }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    _log(f"Einzelwerte je Anfrage: {path}")


def _log(message: str) -> None:
    click.echo(message, err=True)


# --- Command line ---

_LIMIT = click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Nur die ersten N Anfragen und die ersten N Dokumente (plus die Antworten dieser Anfragen).",
)
_DETAILS = click.option(
    "--details",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Schreibt je Anfrage eine JSON-Zeile mit Rang und Werten beider Systeme in diese Datei.",
)
_ABLATIONS = click.option("--ablations", is_flag=True,
                          help="Zusätzlich newsearch mit je einem Merkmal weniger (siehe ablation_variants).")
_FILE = dict(type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)


@click.group()
def cli() -> None:
    """Suchqualität von newsearch gegen stock Whoosh (LanguageAnalyzer("de"), BM25F)."""


@cli.command()
@click.option("--corpus", **_FILE, help="corpus.jsonl mit _id, title, text")
@click.option("--queries", **_FILE, help="Anfragen als JSON Lines mit _id, text")
@click.option("--qrels", **_FILE, help="TSV: query-id, corpus-id, score")
@_LIMIT
@_DETAILS
@_ABLATIONS
def beir(corpus: Path, queries: Path, qrels: Path, limit: int | None, details: Path | None, ablations: bool) -> None:
    """Fragen gegen eine Passagensammlung im BEIR-Format, Wörter ODER-verknüpft."""
    click.echo(json.dumps(compare(load_beir(corpus, queries, qrels, limit), details, ablations)))


@cli.command("known-item")
@click.option("--articles", **_FILE, help="Artikel als JSON Lines (auch .gz), mit id")
@click.option("--queries", **_FILE, help="TSV: article-id, title")
@_LIMIT
@_DETAILS
@_ABLATIONS
def known_item(articles: Path, queries: Path, limit: int | None, details: Path | None, ablations: bool) -> None:
    """Artikel ohne Titel indexieren und jeden über seinen Titel suchen; genau er ist richtig."""
    try:
        collection = load_known_item(articles, queries, limit)
    except ArticleParseError as err:
        raise click.ClickException(err.message) from err
    click.echo(json.dumps(compare(collection, details, ablations)))


if __name__ == "__main__":
    cli()
