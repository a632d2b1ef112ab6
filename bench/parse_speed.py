"""Parse time of the JSON Lines and feed paths, which must not get slower when the HTML reader changes.

    python -m bench.parse_speed [--articles FANG.jsonl.gz] [--items 1000] [--repeat 3]

Reads the whole FANG file with ``indexer.jsonl.parse_jsonl``, and an RSS feed of ``--items`` FANG
articles (``content:encoded`` paragraphs, a ``dc:creator``) with ``indexer.feeds.parse_feed_bytes``.
Prints one JSON line with the median CPU seconds (``time.process_time``: other processes on a
shared machine count less than in wall time) of ``--repeat`` runs. To compare two versions, run it
with ``PYTHONPATH`` pointing at each checkout (bench/README.md, "HTML extraction").
"""
from __future__ import annotations

import argparse
import gzip
import html
import json
import statistics
import time
from pathlib import Path

from indexer.feeds import parse_feed_bytes
from indexer.jsonl import parse_jsonl

ROOT = Path(__file__).resolve().parent.parent
FANG = ROOT.parent / "shared" / "data" / "fang-covid-real.jsonl.gz"


def build_feed(path: Path, items: int) -> bytes:
    """An RSS 2.0 feed of the first ``items`` records, their text lines as ``<p>`` paragraphs."""
    entries = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for _, line in zip(range(items), lines):
            record = json.loads(line)
            paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in record["text"].split("\n") if p.strip())
            entries.append(
                f"<item><title>{html.escape(record['title'])}</title><link>{html.escape(record['url'])}</link>"
                f"<dc:creator>Anna Weber</dc:creator><content:encoded><![CDATA[{paragraphs}]]></content:encoded></item>"
            )
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>FANG</title>'
            + "".join(entries) + "</channel></rss>").encode("utf-8")


def cpu_seconds(run) -> tuple[float, int]:
    start = time.process_time()
    count = run()
    return time.process_time() - start, count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=FANG)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    feed = build_feed(args.articles, args.items)
    jsonl, feeds = [], []
    for _ in range(max(1, args.repeat)):
        seconds, articles = cpu_seconds(lambda: sum(1 for _ in parse_jsonl(args.articles)))
        jsonl.append(seconds)
        seconds, items = cpu_seconds(lambda: len(parse_feed_bytes(feed, "feed.xml")))
        feeds.append(seconds)
    print(json.dumps({"jsonl_articles": articles, "jsonl_cpu_s": round(statistics.median(jsonl), 2),
                      "feed_items": items, "feed_cpu_s": round(statistics.median(feeds), 2)}))


if __name__ == "__main__":
    main()
