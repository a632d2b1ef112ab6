"""Generate a corpus of broken and odd input files, each labelled with what indexing must do.

    python -m tests.broken_corpus DIR      # writes the files and DIR/expected.json

Every file is either ``good`` (must be indexed, with the title recorded) or ``bad`` (must be
reported with its path and a reason). The mix covers what scrapers and newsroom exports deliver:
truncation at every layer, wrong and mixed encodings, binary junk, empty and whitespace files,
oversized files, hostile markup, JSON Lines with broken lines, feeds that are not feeds.
"""
from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

MAX_BYTES = 60_000  # the test indexes with --max-file-size 60000

PAGE = "{topics}\n\n{title}\n\n{stamp}\n\n{lead}\n\n{body}\n\n@ dpa.de\n"
HTML = ('<!doctype html><html lang="de"><head><meta charset="{charset}"><title>{title}</title></head>'
        "<body><article><h1>{title}</h1><time datetime=\"2026-01-{day:02d}T10:00:00+01:00\"></time>"
        "<p>{lead}</p><p>{body}</p></article></body></html>")
RSS = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed</title>'
       "<item><title>{title}</title><description>{lead}</description>"
       "<pubDate>Mon, {day:02d} Jan 2026 10:00:00 +0100</pubDate><link>https://example.invalid/{n}</link></item>"
       "</channel></rss>")


def generate(target: Path, seed: int = 1) -> dict[str, dict]:
    """Write the corpus into ``target``; returns {file name: {"expect": "good"|"bad", "titles": [...]}}."""
    rng = random.Random(seed)
    target.mkdir(parents=True, exist_ok=True)
    expected: dict[str, dict] = {}

    def good(name: str, data: bytes, *titles: str) -> None:
        (target / name).write_bytes(data)
        expected[name] = {"expect": "good", "titles": list(titles)}

    def bad(name: str, data: bytes) -> None:
        (target / name).write_bytes(data)
        expected[name] = {"expect": "bad", "titles": []}

    for n in range(20):  # valid page dumps, some with odd but legal content
        title = f"Meldung {n} über Straßenbäume in Köln"
        lead = rng.choice(["Ein Vorspann.", "Vorspann mit <b>Markup</b> & „Zitaten“.", "Emoji 🎉 im Vorspann.",
                           "Ein\u00adweicher Trenn\u00adstrich.", "Rechts-nach-links \u202e Text."])
        page = PAGE.format(topics="Köln", title=title, stamp=f"{n % 28 + 1:02d}.01.2026 - 10:00:00", lead=lead,
                           body="Ein Absatz. " * rng.randint(1, 50))
        good(f"page-{n:02d}.txt", page.encode("utf-8"), title)
    for n in range(10):  # the same, in cp1252 and with CRLF line ends
        title = f"Altes Format {n}: Bürgerbüro öffnet"
        page = PAGE.format(topics="Stadt", title=title, stamp="02.01.2026 - 09:00:00", lead="Öffnungszeiten ändern sich.",
                           body="Die Stadt teilt mit.").replace("\n", "\r\n")
        good(f"cp1252-{n:02d}.txt", page.encode("cp1252"), title)
    for n in range(10):  # HTML pages in several encodings, some lying about it
        title = f"Seite {n}: Müllabfuhr verschoben"
        charset, codec = [("utf-8", "utf-8"), ("iso-8859-1", "cp1252"), ("utf-8", "cp1252"), ("windows-1252", "utf-8")][n % 4]
        html = HTML.format(charset=charset, title=title, day=n + 1, lead="Die Abfuhr verschiebt sich.", body="Grund: Feiertag.")
        good(f"html-{n:02d}.html", html.encode(codec), title)
    for n in range(5):
        title = f"Feed-Meldung {n}: Fähre fällt aus"
        good(f"feed-{n:02d}.xml", RSS.format(title=title, lead="Sturm.", day=n + 1, n=n).encode("utf-8"), title)
    lines = [json.dumps({"id": str(i), "source": "corpus", "title": f"Zeile {i}: Deichbau", "text": "Der Deich.",
                         "date": "2026-01-05 10:00"}) for i in range(5)]
    good("lines.jsonl.gz", gzip.compress(("\n".join(lines) + "\n").encode()), *[f"Zeile {i}: Deichbau" for i in range(5)])
    mixed = lines[:2] + ['{"id": "x", "title": "kaputt', "[1, 2, 3]", '{"id": "y"}', "\x00\x01"] + lines[2:3]
    good("mixed.jsonl", ("\n".join(mixed) + "\n").encode(), "Zeile 0: Deichbau", "Zeile 1: Deichbau", "Zeile 2: Deichbau")

    for n in range(15):  # binary junk under every suffix
        suffix = [".txt", ".html", ".xml", ".jsonl", ".rss"][n % 5]
        bad(f"junk-{n:02d}{suffix}", bytes(rng.randrange(256) for _ in range(rng.randint(10, 3000))) + b"\x00")
    for n, suffix in enumerate([".txt", ".html", ".xml", ".jsonl", ".htm", ".atom"]):
        bad(f"empty-{n}{suffix}", b"")
        bad(f"blank-{n}{suffix}", b" \n\t\r\n  \n")
    for n in range(10):  # truncated at random points
        html = HTML.format(charset="utf-8", title=f"Abgeschnitten {n}", day=1, lead="x", body="y").encode()
        bad(f"cut-{n:02d}.html", html[: rng.randint(5, 40)])
        feed = RSS.format(title=f"Abgeschnitten {n}", lead="x", day=1, n=n).encode()
        bad(f"cut-{n:02d}.xml", feed[: rng.randint(20, len(feed) - 20)])
    for n in range(5):
        bad(f"huge-{n}.txt", PAGE.format(topics="Groß", title=f"Zu groß {n}", stamp="01.01.2026 - 10:00:00",
                                         lead="x", body="Langer Text. " * 6000).encode())
    bad("bomb.xml", b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                    b"<rss><channel><item><title>&lol2;</title></item></channel></rss>")
    bad("not-a-feed.xml", b'<?xml version="1.0"?><opml version="2.0"><body/></opml>')
    bad("only-json-garbage.jsonl", b"{\n[\nnull\n")
    bad("no-headline.html", "<html><body><nav>Menü</nav><footer>Impressum</footer></body></html>".encode())
    (target / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1), encoding="utf-8")
    return expected


if __name__ == "__main__":
    written = generate(Path(sys.argv[1]))
    print(f"{len(written)} Dateien: {sum(v['expect'] == 'good' for v in written.values())} gut, "
          f"{sum(v['expect'] == 'bad' for v in written.values())} kaputt")
