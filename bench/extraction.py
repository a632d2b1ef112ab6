"""How well newsearch reads real news pages, against trafilatura alone, on annotated saved pages.

    python -m bench.extraction [PAGES_DIR] [EXPECTED_JSON] [--repeat N]

Defaults: ``../shared/eval/realworld-html/pages`` and ``../shared/eval/realworld-html/expected.json``
(README there). For each page, and for each of the two readers in the same run:

must-have recall
    the share of the page's ``with`` strings found in the text the reader makes searchable;
must-not leakage
    the share of its ``without`` strings (navigation, adverts, other stories' teasers, copyright
    lines) found there;
title, date
    whether the title equals the annotated headline, and the publication day the annotated date.

Strings match as substrings after folding whitespace runs to one space and removing soft hyphens
and zero-width spaces (the README's rule); titles compare after the same folding, case-insensitively.
newsearch's searchable text is what ``indexer/documents.py`` indexes: title, topics, lead, subheadings,
body and captions (not the photo credits). trafilatura's is its title and main text from
``bare_extraction(with_metadata=True)``, its date the day htmldate found.

Totals are pooled over all strings (a page with six must-haves weighs twice one with three); a page
"with nothing found" has a must-have recall of 0. Prints one row per page, then one JSON line:
``{"pages": N, "newsearch": {...}, "trafilatura": {...}}`` with ``must_have``, ``must_not``,
``nothing_found``, ``titles``, ``dates`` (right / annotated), ``median_ms`` and ``pages_per_s``
(the median of ``--repeat`` passes over all pages).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from indexer.dates import berlin_day
from indexer.errors import ArticleParseError
from indexer.html import parse_html_bytes

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT.parent / "shared" / "eval" / "realworld-html"


@dataclass(frozen=True, slots=True)
class Reading:
    """What one reader made of one page: its searchable text, title and day (``YYYY-MM-DD``)."""

    text: str
    title: str
    day: str


def read_newsearch(data: bytes, name: str) -> Reading:
    try:
        article = parse_html_bytes(data, name)
    except ArticleParseError:
        return Reading("", "", "")
    parts = [article.title, *article.topics, article.lead, *article.subheadings, *article.body,
             *(c.text for c in article.captions)]
    return Reading("\n".join(parts), article.title, berlin_day(article.published) if article.published else "")


def read_trafilatura(data: bytes, name: str) -> Reading:
    doc = trafilatura.bare_extraction(data, with_metadata=True)
    if doc is None:
        return Reading("", "", "")
    return Reading(f"{doc.title or ''}\n{doc.text or ''}", doc.title or "", doc.date or "")


READERS: dict[str, Callable[[bytes, str], Reading]] = {"newsearch": read_newsearch, "trafilatura": read_trafilatura}


def fold(text: str) -> str:
    return " ".join(text.replace("\xad", "").replace("\u200b", "").split())


def score(reading: Reading, expected: dict) -> dict:
    text = fold(reading.text)
    extra = expected.get("added_from_realworld_tests") or {}
    must = list(dict.fromkeys([*expected.get("with", []), *extra.get("with", [])]))
    must_not = list(dict.fromkeys([*expected.get("without", []), *extra.get("without", [])]))
    row = {
        "found": sum(fold(s) in text for s in must), "must": len(must),
        "leaked": sum(fold(s) in text for s in must_not), "must_not": len(must_not),
        "title": None, "date": None,
    }
    if expected.get("title"):
        row["title"] = fold(reading.title).casefold() == fold(expected["title"]).casefold()
    if expected.get("date"):
        row["date"] = reading.day == expected["date"][:10]
    return row


def summarise(rows: list[dict], times: list[float]) -> dict:
    per_page = statistics.median(times)
    return {
        "must_have": round(sum(r["found"] for r in rows) / max(1, sum(r["must"] for r in rows)), 3),
        "must_not": round(sum(r["leaked"] for r in rows) / max(1, sum(r["must_not"] for r in rows)), 3),
        "nothing_found": sum(r["must"] > 0 and r["found"] == 0 for r in rows),
        "titles": f'{sum(r["title"] is True for r in rows)}/{sum(r["title"] is not None for r in rows)}',
        "dates": f'{sum(r["date"] is True for r in rows)}/{sum(r["date"] is not None for r in rows)}',
        "median_ms": round(per_page * 1000, 1),
        "pages_per_s": round(len(times) / sum(times), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="?", type=Path, default=DEFAULT_DIR / "pages")
    parser.add_argument("expected", nargs="?", type=Path, default=DEFAULT_DIR / "expected.json")
    parser.add_argument("--repeat", type=int, default=3, help="passes over all pages for the timings (median)")
    args = parser.parse_args(argv)
    expected = json.loads(args.expected.read_text(encoding="utf-8"))
    pages = {name: (args.pages / name).read_bytes() for name in sorted(expected)}

    rows: dict[str, dict[str, dict]] = {reader: {} for reader in READERS}
    times: dict[str, dict[str, list[float]]] = {reader: {name: [] for name in pages} for reader in READERS}
    for _ in range(max(1, args.repeat)):
        for name, data in pages.items():
            for reader, read in READERS.items():  # alternating, so load on the machine hits both alike
                start = time.perf_counter()
                reading = read(data, name)
                times[reader][name].append(time.perf_counter() - start)
                rows[reader][name] = score(reading, expected[name])

    print(f"{'page':42} {'reader':11} {'with':>5} {'w/o':>5} title date")
    for name in pages:
        for reader in READERS:
            r = rows[reader][name]
            mark = {True: "ok", False: "--", None: ""}
            print(f"{name[:42]:42} {reader:11} {r['found']:>2}/{r['must']:<2} {r['leaked']:>2}/{r['must_not']:<2}"
                  f" {mark[r['title']]:5} {mark[r['date']]}")
    summary = {"pages": len(pages)}
    for reader in READERS:
        medians = [statistics.median(t) for t in times[reader].values()]
        summary[reader] = summarise(list(rows[reader].values()), medians)
    sys.stdout.flush()
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
