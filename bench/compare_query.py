"""Query latency of several checkouts in one run, interleaved: ``bench_query``'s passes, each code
on an index it can read.

On a shared machine the load changes from minute to minute, so a figure means something only as a
ratio against a baseline timed right beside it (issue 17: p95 with all facets against bc90f5b).
Each round runs every checkout once, in turn, as its own process with that checkout first on the
import path: ``make_queries(read_records(FANG), 500)``, 20 warm-up queries, top 10, then top 10
with all facets, as ``bench_query`` asks them.

    python bench/compare_query.py --rounds 3 /tmp/base:/tmp/ix-base .:/tmp/ix-new
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

FANG = Path("../shared/data/fang-covid-real.jsonl.gz")  # from the checkout, as bench/README's commands


def one(index: str, articles: str) -> dict:
    """The passes in this process, with whatever code comes first on the import path."""
    from bench.bench_query import make_queries, percentile, read_records, timed
    from indexer.store import open_for_reading
    from search.query import build_request, open_searcher, run_query

    queries = make_queries(read_records(Path(articles), None), 500)
    with open_searcher(open_for_reading(index)) as searcher:
        def ask(q, facets=False):
            text, window = q
            request = build_request(text, *(window or (None, None)))
            return run_query(searcher, replace(request, facets=facets, suggest=False))
        for q in queries[:20]:
            ask(q, True)
        plain = timed(ask, queries)
        with_facets = timed(lambda q: ask(q, True), queries)
    return {"p50": round(statistics.median(plain), 1), "p95": round(percentile(plain, 95), 1),
            "p50_facets": round(statistics.median(with_facets), 1),
            "p95_facets": round(percentile(with_facets, 95), 1)}


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        print(json.dumps(one(argv[1], argv[2])))
        return
    rounds = int(argv[1]) if argv[:1] == ["--rounds"] else 3
    pairs = [p.split(":", 1) for p in (argv[2:] if argv[:1] == ["--rounds"] else argv)]
    for round_ in range(1, rounds + 1):
        for code, index in pairs:
            code = str(Path(code).resolve())
            env = dict(os.environ, PYTHONPATH=code)
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--one", str(Path(index).resolve()), str(FANG.resolve())],
                                 cwd=code, env=env, capture_output=True, text=True, check=True).stdout
            print(json.dumps({"round": round_, "code": code, **json.loads(out)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
