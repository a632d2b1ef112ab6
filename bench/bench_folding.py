"""Query cost of folding near-duplicates: the same searches with and without it, in one process.

    python -m bench.bench_folding --articles ../shared/data/fang-covid-real.jsonl.gz \
        [--index-dir DIR] [--queries 500] [--rounds 2]

Builds the articles with ``index --full`` into a temporary directory (or searches the index in
``--index-dir``, built from the same file), draws the 500 queries of ``bench_query`` (same seed),
runs each once both ways to warm up, then times every query as a page with all facets (as people
search), ``collapse`` off and on one right after the other, which goes first in turns,
``--rounds`` times, so the load of a shared machine falls on both alike.
Prints p50 and p95 of each and the ratio of the p95s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_query import make_queries, percentile, read_records, timed  # noqa: E402
from indexer.store import open_for_reading  # noqa: E402
from indexer.write import index_files  # noqa: E402
from search.query import build_request, open_searcher, run_query  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    queries = make_queries(read_records(args.articles, None), args.queries)
    with tempfile.TemporaryDirectory(prefix="bench-folding-") as tmp:
        target = args.index_dir
        if target is None:
            target = Path(tmp) / "ix"
            index_files([args.articles], target, full=True)
        with open_searcher(open_for_reading(target)) as searcher:
            def search(q, collapse):
                text, window = q
                request = replace(build_request(text, *(window or (None, None))), suggest=False, collapse=collapse)
                return run_query(searcher, request)

            for q in queries:  # every posting list read once: the first pass over them is disk, not folding
                search(q, True), search(q, False)
            times = {False: [], True: []}
            for round_ in range(args.rounds):
                for n, q in enumerate(queries):  # both ways query by query, in turns first
                    for collapse in ((False, True) if (n + round_) % 2 == 0 else (True, False)):
                        times[collapse] += timed(lambda q: search(q, collapse), [q])
            folded = sum(search(q, False).total - search(q, True).total for q in queries)
    for collapse, label in ((False, "collapse=0"), (True, "collapse=1")):
        print(f"{label}: {len(times[collapse])} searches, p50 {statistics.median(times[collapse]):.1f} ms, "
              f"p95 {percentile(times[collapse], 95):.1f} ms")
    print(f"p95 ratio {percentile(times[True], 95) / percentile(times[False], 95):.3f}; "
          f"documents folded away over all {len(queries)} queries: {folded}")


if __name__ == "__main__":
    main()
