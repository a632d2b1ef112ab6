"""Which writer a plain ``newsearch index`` takes, and what it costs: time and peak RSS.

    python -m bench.bench_paths --articles ../shared/data/fang-covid-real.jsonl.gz [--first 1000] [--json]

Three runs of the real CLI on the same file, each in a fresh index directory:

- ``index FILE`` into an empty index (the README's first command);
- ``index --full FILE``, the baseline of the same run;
- ``index FIRST`` (the first ``--first`` lines as a file of their own), then ``index FILE``: a
  large batch into a small index that already holds some of its articles. Only the second
  command is measured.

Peak RSS is the largest sum over the command and all its descendants (the bulk writer's build
processes), sampled every 50 ms by ``bench.bench_index.timed``: ``/usr/bin/time -v`` reports the
largest single process of the tree, not their sum.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_index import newsearch, timed  # noqa: E402


def measure(cmd: list[str]) -> dict:
    peaks: list[float] = []
    seconds = timed(cmd, peaks)
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(peaks[0], 1)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", required=True, type=Path, help="JSON Lines (.gz), e.g. the FANG file")
    parser.add_argument("--first", type=int, default=1000, help="articles in the index before the incremental run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    articles = str(args.articles.resolve())

    with tempfile.TemporaryDirectory(prefix="bench-paths-") as tmp:
        work = Path(tmp)
        first = work / "first.jsonl"
        with gzip.open(articles, "rt", encoding="utf-8") as src, first.open("w", encoding="utf-8") as out:
            for line, _ in zip(src, range(args.first)):
                out.write(line)
        results = {
            "index": measure(newsearch(work / "plain", "index", "--nice", "0", articles)),
            "index --full": measure(newsearch(work / "full", "index", "--full", "--nice", "0", articles)),
        }
        timed(newsearch(work / "small", "index", "--nice", "0", str(first)))
        results[f"index after {args.first}"] = measure(newsearch(work / "small", "index", "--nice", "0", articles))
    lines = (f"{name:<22} {figures['seconds']:8.1f} s {figures['peak_rss_mb']:8.1f} MB" for name, figures in results.items())
    print(json.dumps(results) if args.json else "\n".join(lines))
    return results


if __name__ == "__main__":
    main()
