"""Generate a corpus of broken and odd input files, each labelled with what indexing must do.

    python -m tests.broken_corpus DIR      # writes the files and DIR/expected.json

Every file is either ``good`` (must be indexed, with the title recorded) or ``bad`` (must be
reported with its path and a reason). A good JSON Lines file may have ``bad_lines``, each to be
reported as ``path:line``; ``undated`` titles must be indexed without a date. ``skipped`` files
are of no format newsearch reads and must be named as skipped; ``ignored`` ones (hidden files,
editor backups) must not be mentioned at all. The mix covers what scrapers and newsroom exports
deliver: truncation at every layer, wrong and mixed encodings, binary junk, empty and whitespace
files, oversized files, hostile markup, JSON Lines with broken lines, feeds that are not feeds,
and hostile records in every format (``hostile``): placeholder, impossible and far-future dates,
epoch numbers, negative years, huge fields, wrong JSON types, invalid UTF-8, NUL bytes.
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

    hostile(target, expected)

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
    expected["mixed.jsonl"]["bad_lines"] = [3, 4, 5, 6]

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


# Dates no article can have, as exports and pages write them. JSON Lines reports the record (its
# date is one field with one meaning); pages, feeds and page dumps index the article undated.
HOSTILE_DATES = ["0001-01-01", "9999-12-31", "2020-02-30", "1588888888", "-0044-03-15", "3000-01-01T00:00:00Z",
                 "0000-00-00", "2020", "2020-01-01T10:00:00+25:00"]
HOSTILE_STAMPS = ["01.01.0001 - 10:00:00", "31.12.9999 - 23:59:59", "30.02.2020 - 10:00:00", "00.00.0000 - 00:00"]


def hostile(target: Path, expected: dict[str, dict]) -> None:
    """Hostile records in every input format, beside the files ``generate`` writes."""
    def record(n: int, **fields) -> str:
        return json.dumps({"id": n, "source": "feindlich", "title": f"Feindlich {n}: Schleuse", "text": "Die Schleuse.",
                           **fields}, ensure_ascii=True)

    # JSON Lines: first the dates, then wrong types, then bytes and sizes, good records among them.
    lines, bad_lines, titles, undated = [], [], [], []

    def add(line: str, good: bool, title: str = "", dated: bool = False) -> None:
        lines.append(line)
        if good:
            titles.append(title)
            if not dated:
                undated.append(title)
        else:
            bad_lines.append(len(lines))

    n = 0
    for date in HOSTILE_DATES:
        n += 1
        add(record(n, date=date), False)
    for value in (1588888888, -44, ["2020-01-01"], {"jahr": 2020}, True):
        n += 1
        add(record(n, date=value), False)
    n += 1
    add(record(n, date=""), True, f"Feindlich {n}: Schleuse")  # empty: no date, not a wrong one
    n += 1
    add(record(n, date="2026-01-07 10:00"), True, f"Feindlich {n}: Schleuse", dated=True)
    for key, value in (("title", 42), ("title", ["a", "b"]), ("title", {"de": "x"}), ("text", 3.5),
                       ("text", ["Absatz"]), ("section", 7), ("topics", {"a": 1}), ("topics", 5),
                       ("captions", "Bild"), ("captions", [1]), ("related", "Liste"), ("related", [None]),
                       ("id", [1]), ("id", {"x": 1}), ("url", 5), ("agency", None), ("lead", False)):
        n += 1
        fine = key == "agency"  # null where a string is expected is "absent", so the record is good
        add(record(n, **{key: value}), fine, f"Feindlich {n}: Schleuse")
    n += 1
    add(record(n, related=[{"title": "Schleuse alt", "date": "0001-01-01"}]), False)
    n += 1
    add(record(n, title="Surrogat \ud800 Schleuse"), False)  # json.dumps writes the escape "\\ud800"
    n += 1
    add(record(n, title=f"Feindlich {n}: Nul\u0000 Schleuse"), True,  # written as the escape "\\u0000"
        f"Feindlich {n}: Nul Schleuse")
    n += 1
    add(record(n, text="Wort " * 11_000), True, f"Feindlich {n}: Schleuse")  # 55 KB: huge, within the limit
    n += 1
    add(record(n, text="y" * 59_000), True, f"Feindlich {n}: Schleuse")  # one 59,000-letter word
    n += 1
    add(record(n, text="z " * 40_000), False)  # 80 KB: over the test's --max-file-size
    add('{"id": 999, "title": "roh \x00 Nul"}', False)  # a raw NUL inside a JSON string
    add("[" * 50_000, False)  # nested deeper than any parser's stack
    data = ("\n".join(lines) + "\n").encode()
    data += b'{"id": 1000, "title": "Latin-1 \xe4rger", "text": "x"}\n'
    bad_lines.append(len(lines) + 1)
    (target / "feindlich.jsonl").write_bytes(data)
    expected["feindlich.jsonl"] = {"expect": "good", "titles": titles, "bad_lines": bad_lines, "undated": undated}

    def undated_good(name: str, data: bytes, title: str) -> None:
        (target / name).write_bytes(data)
        expected[name] = {"expect": "good", "titles": [title], "undated": [title]}

    for n, date in enumerate(HOSTILE_DATES):
        title = f"Feindliche Seite {n}: Pegel steigt"
        meta = json.dumps({"@type": "NewsArticle", "headline": title, "datePublished": date})
        page = (f'<html><head><script type="application/ld+json">{meta}</script>'
                f'<meta property="article:published_time" content="{date}"></head><body><article><h1>{title}</h1>'
                f'<time datetime="{date}">{date}</time><p>Der Pegel steigt.</p></article></body></html>')
        undated_good(f"feindlich-{n}.html", page.encode(), title)
        title = f"Feindlicher Feed {n}: Deich hält"
        undated_good(f"feindlich-{n}.rss", RSS.replace("Mon, {day:02d} Jan 2026 10:00:00 +0100", date).format(
            title=title, lead="Noch.", day=1, n=f"feindlich-{n}").encode(), title)
        title = f"Feindlicher Atom-Eintrag {n}: Flut"
        atom = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>'
                f"<entry><title>{title}</title><summary>Flut.</summary><published>{date}</published></entry></feed>")
        undated_good(f"feindlich-{n}.atom", atom.encode(), title)
    for n, stamp in enumerate(HOSTILE_STAMPS):
        title = f"Feindlicher Seitenabzug {n}: Sperrwerk"
        related = f"Altes Sperrwerk Der Bericht von damals (Region, {stamp[:18].rstrip(' -:')}) weiterlesen..."
        page = PAGE.format(topics="Küste", title=title, stamp=stamp, lead="Das Sperrwerk schließt.", body="Sturmflut.")
        undated_good(f"feindlich-{n}.txt", (page + f"\nWeitere Meldungen\n\n{related}\n").encode(), title)
    # Bytes no format takes: a NUL in markup or XML, invalid UTF-8 in XML.
    for name, data in (("nul.html", b"<html><body><h1>Nul</h1><p>a\x00b</p></body></html>"),
                       ("nul.rss", RSS.format(title="Nul\x00", lead="x", day=1, n=0).encode()),
                       ("kaputt-utf8.atom", b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/'
                                            b'Atom"><entry><title>\xff\xfe</title></entry></feed>')):
        (target / name).write_bytes(data)
        expected[name] = {"expect": "bad", "titles": []}
    for name, data in (("notizen.md", b"kein Artikel"), ("bericht.pdf", b"kein Artikel"),
                       ("daten.json", b'{"kein": "Artikel"}')):  # JSON, but no ninjs
        (target / name).write_bytes(data)
        expected[name] = {"expect": "skipped", "titles": []}
    for name in (".notiz.txt.swp", "notiz.txt~", "#notiz.txt#", ".git/objects/ab/cdef", ".versteckt/artikel.txt"):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(b"Thema\n\nVersteckt\n\n01.01.2026 - 10:00:00\n\nText.\n")
        expected[name] = {"expect": "ignored", "titles": []}


if __name__ == "__main__":
    written = generate(Path(sys.argv[1]))
    print(f"{len(written)} Dateien: {sum(v['expect'] == 'good' for v in written.values())} gut, "
          f"{sum(v['expect'] == 'bad' for v in written.values())} kaputt")
