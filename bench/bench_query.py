"""Query latency: newsearch against a naive Whoosh setup on the same documents and queries.

    python -m bench.bench_query --articles ../shared/data/fang-covid-real.jsonl.gz [--limit N]
        [--replicate K] [--queries 500] [--json]

``--replicate 4`` indexes every article four times, each copy with its own id and URL and its
dates moved on by one year per copy (112k documents from the 28k). The 500 queries are drawn
with a fixed seed from the articles: whole titles, one and two title words, two-word phrases,
a third of them with a one-month date filter. newsearch is timed top-10 alone, top-10 with all
facets (years, months, days, sections, topics, agencies, multi-select) and its suggestions; the
naive setup (``LanguageAnalyzer("de")``, default ``MultifieldParser`` over title and text, BM25F)
top-10 alone and with Whoosh's month ``DateRangeFacet``, as its documentation suggests.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dateutil.relativedelta import relativedelta  # noqa: E402
from whoosh import fields, index, sorting  # noqa: E402
from whoosh import query as wq  # noqa: E402
from whoosh.analysis import LanguageAnalyzer  # noqa: E402
from whoosh.qparser import MultifieldParser, OrGroup  # noqa: E402

from indexer.dates import parse_datetime, to_utc  # noqa: E402
from indexer.store import open_for_reading  # noqa: E402
from indexer.write import index_files  # noqa: E402
from search.query import build_request, open_searcher, run_query  # noqa: E402
from search.suggest import suggest_query  # noqa: E402

WORD = re.compile(r"[^\W\d_]{4,}")


def read_records(path: Path, limit: int | None) -> list[dict]:
    records = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            records.append(json.loads(line))
            if limit and len(records) >= limit:
                break
    return records


def replicate(records: list[dict], copies: int, years: int = 1) -> list[dict]:
    """``copies`` copies of ``records``, copy k with its own ids and URLs and its dates moved by
    ``k * years`` years (negative: back; bench/bench_scale.py moves them back so time shards form)."""
    out = []
    for k in range(copies):
        for r in records:
            if k == 0:
                out.append(r)
                continue
            copy = dict(r, id=f"{r['id']}-copy{k}", url=f"{r.get('url') or r['id']}#copy{k}")
            if r.get("date"):
                copy["date"] = (parse_datetime(r["date"]) + relativedelta(years=k * years)).isoformat()
            out.append(copy)
    return out


def make_queries(records: list[dict], n: int, seed: int = 7) -> list[tuple[str, tuple[str, str] | None]]:
    """(query text, optional (from, to) month) pairs: titles, words, word pairs, phrases."""
    rng = random.Random(seed)
    titled = [r for r in records if r.get("title")]
    queries = []
    while len(queries) < n:
        r = rng.choice(titled)
        words = WORD.findall(r["title"])
        if not words:
            continue
        kind = len(queries) % 4
        if kind == 0:
            text = r["title"].replace('"', " ")
        elif kind == 1:
            text = rng.choice(words)
        elif kind == 2 and len(words) >= 2:
            text = " ".join(rng.sample(words, 2))
        elif kind == 3 and len(words) >= 2:
            i = rng.randrange(len(words) - 1)
            text = f'"{words[i]} {words[i + 1]}"'
        else:
            text = words[0]
        window = None
        if len(queries) % 3 == 0 and r.get("date"):
            start = parse_datetime(r["date"]).date().replace(day=1)
            window = (start.isoformat(), (start + relativedelta(months=1) - timedelta(days=1)).isoformat())
        queries.append((text, window))
    return queries


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def build_naive(records: list[dict], target: Path):
    analyzer = LanguageAnalyzer("de")
    schema = fields.Schema(id=fields.ID(stored=True, unique=True), title=fields.TEXT(analyzer=analyzer, stored=True),
                           text=fields.TEXT(analyzer=analyzer), date=fields.DATETIME(stored=True, sortable=True))
    ix = index.create_in(target, schema)
    # Two processes, merged into one segment at commit: the same index as the default writer's
    # (this benchmark times queries, not builds), in half the time at 112k documents.
    writer = ix.writer(procs=2, limitmb=256)
    for r in records:
        doc = dict(id=str(r["id"]), title=r.get("title") or "", text=r.get("text") or "")
        if r.get("date"):
            doc["date"] = to_utc(parse_datetime(r["date"]))
        writer.add_document(**doc)
    writer.commit()
    return ix


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", required=True, type=Path)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--replicate", type=int, default=1)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    records = replicate(read_records(args.articles, args.limit), args.replicate)
    queries = make_queries(records, args.queries)
    print(f"{len(records)} documents, {len(queries)} queries; building both indexes …", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        with (work / "in" / "articles.jsonl").open("w", encoding="utf-8") as out:
            for r in records:
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
        index_files([work / "in"], work / "ours", full=True)  # a first build: the bulk writer
        (work / "naive").mkdir()
        naive_ix = build_naive(records, work / "naive")

        ix = open_for_reading(work / "ours")
        with open_searcher(ix) as searcher, naive_ix.searcher() as naive:
            def ours(q, facets=False):
                text, window = q
                request = build_request(text, *(window or (None, None)))
                return run_query(searcher, _with(request, facets=facets, suggest=False))

            nparser = MultifieldParser(["title", "text"], naive_ix.schema, group=OrGroup.factory(0.9))
            nparser.group = nparser.group  # the docs' default: words OR-ed with a preference for all
            first = min(parse_datetime(r["date"]) for r in records if r.get("date"))
            last = max(parse_datetime(r["date"]) for r in records if r.get("date"))
            month_facet = sorting.DateRangeFacet("date", to_utc(first), to_utc(last) + timedelta(days=1),
                                                 relativedelta(months=1))

            def naive_search(q, facet=False):
                text, window = q
                filt = None
                if window:
                    filt = wq.DateRange("date", datetime.fromisoformat(window[0]),
                                        datetime.fromisoformat(window[1]) + timedelta(days=1))
                return naive.search(nparser.parse(text), limit=10, filter=filt,
                                    groupedby={"month": month_facet} if facet else None)

            def suggestion(q):
                return suggest_query(searcher, q[0], 0, lambda t: 1)

            for q in queries[:20]:  # warm caches (columns, stemmer, vocabulary) on both sides
                ours(q, True), naive_search(q, True)
            plain = timed(ours, queries)
            with_facets = timed(lambda q: ours(q, True), queries)
            suggest = timed(suggestion, queries)
            naive_plain = timed(naive_search, queries)
            naive_facet = timed(lambda q: naive_search(q, True), queries)

    result = {
        "docs": len(records),
        "queries": len(queries),
        "p50_ms": round(statistics.median(plain), 1),
        "p95_ms": round(percentile(plain, 95), 1),
        "p50_ms_facets": round(statistics.median(with_facets), 1),
        "p95_ms_facets": round(percentile(with_facets, 95), 1),
        "p95_ms_suggest": round(percentile(suggest, 95), 1),
        "naive_p50_ms": round(statistics.median(naive_plain), 1),
        "naive_p95_ms": round(percentile(naive_plain, 95), 1),
        "naive_p95_ms_month_facet": round(percentile(naive_facet, 95), 1),
    }
    result["ratio"] = round(result["p95_ms_facets"] / result["naive_p95_ms_month_facet"], 3)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return result


def _with(request, **changes):
    from dataclasses import replace

    return replace(request, **changes)


if __name__ == "__main__":
    main()
