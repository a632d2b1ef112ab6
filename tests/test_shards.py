"""Time shards (issue 18): an index split by ``--shard-size`` answers as one index of the same
documents, through the real CLI and the real API: ids, order, scores, totals, facets, histogram,
suggestions and "more like this". (Scored with each shard's own statistics instead of the
merged ones, 9 of these queries answer otherwise; the prefixes and ``"a b"~N`` of QUERIES, 5,
answered otherwise while Whoosh scored them per shard.)"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from indexer.ledger import fingerprint
from indexer.model import Failure
from indexer.routing import FileShare
from indexer.shards import read_layout
from indexer.write import index_files
from search.query import build_request, run_query
from search.results import result_to_json
from search.scatter import open_shards
from tests.conftest import fetch, run_cli, serving, write_jsonl

WORDS = ("Regierung Hafen Impfstoff Wahl Kanzlerin Streik Bahn Klima Gipfel Grenze Schule Pflege Miete Energie "
         "Strompreis Bundestag Landtag Gericht Urteil Polizei Feuerwehr Hochwasser Deich Ernte Export").split()
SECTIONS = ("Politik", "Wirtschaft", "Panorama")
SOURCES = ("zeit.de", "taz.de", "welt.de")
QUERIES = [
    ("Hafen",), ("Hafen Streik",), ("Regierung Wahl Klima",), ("\"Hafen Streik\"",),
    ("Hafen NICHT Streik",), ("Bahn ODER Deich",), ("Hafen Zeppelin",),  # no article has both: OR fallback
    ("Hafn",),  # a misspelling: "Meinten Sie"
    ("Hafen", "--from", "2021-03-01", "--to", "2021-06-30"),  # only some shards overlap
    ("Hafen", "--from", "2030-01-01"),  # no shard overlaps
    ("Klima", "--section", "Politik"), ("Klima", "--source", "taz.de", "--source", "welt.de"),
    ("", "--sort", "newest"), ("Energie", "--sort", "oldest"), ("Wahl", "--page", "2", "--limit", "5"),
    # prefixes: the words they stand for and their figures over all shards (one word, two, in the title)
    ("Hafe*",), ("Str* Klima",), ("titel:Ge*",),
    ("\"Hafen Streik\"~3",), ("\"Klima Wahl\"~2 Bahn",),  # near: the words' figures of all shards
]


def _article(rng: random.Random, n: int, day: str) -> dict:
    words = [rng.choice(WORDS) for _ in range(rng.randint(15, 60))]
    return {
        "id": f"a{n:03d}", "date": f"{day}T{rng.randint(6, 20):02d}:{rng.randint(0, 59):02d}:00+01:00",
        "source": SOURCES[n % 3], "section": SECTIONS[n % len(SECTIONS) - 1 if n % 5 else 0],
        "title": " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))) + f" Nummer {n}",
        "lead": " ".join(rng.choice(WORDS) for _ in range(8)),
        "text": " ".join(words) + ".",
        "topics": [rng.choice(WORDS)],
    }


def _corpus(folder: Path) -> None:
    """Three files of 40 articles over two years, in no order of date; the third, read on a second
    run, holds backfills (older days) and a new version of an article of the first."""
    rng = random.Random(18)
    days = [f"20{20 + i // 12}-{i % 12 + 1:02d}-{d:02d}" for i in range(24) for d in (3, 17)]
    rng.shuffle(days)
    articles = [_article(rng, n, days[n % len(days)]) for n in range(80)]
    write_jsonl(folder / "a.jsonl", articles[:40])
    write_jsonl(folder / "b.jsonl", articles[40:])


def corpus_files(root: Path) -> Path:
    """``root/files`` holding the corpus of the first run."""
    files = root / "files"
    files.mkdir()
    _corpus(files)
    return files


def _second_run(folder: Path) -> None:
    rng = random.Random(19)
    backfills = [_article(rng, 100 + n, f"2020-{n % 9 + 1:02d}-09") for n in range(12)]
    changed = dict(_article(rng, 7, "2020-01-03"), id="a007", title="Hafen Streik Neufassung")
    write_jsonl(folder / "c.jsonl", backfills + [changed])


@pytest.fixture(scope="module")
def indexes(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("shards")
    files = corpus_files(root)
    one, sharded = root / "one", root / "sharded"
    for index_dir, extra in ((one, ()), (sharded, ("--shard-size", "20"))):
        done = run_cli("index", *extra, str(files), index_dir=index_dir)
        assert done.returncode == 0, done.stderr
    _second_run(files)
    for index_dir in (one, sharded):  # the sharded index keeps its size without the flag
        done = run_cli("index", str(files), index_dir=index_dir)
        assert done.returncode == 0, done.stderr
    return one, sharded


def _query(index_dir: Path, *args: str) -> dict:
    done = run_cli("query", *args, "--json", *(() if "--limit" in args else ("--limit", "100")), index_dir=index_dir)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _in_process(index_dir: Path, text: str, *options: str) -> dict:
    """What ``newsearch query TEXT OPTIONS --json --limit 100`` prints, computed in this process."""
    named = dict(zip(options[::2], options[1::2]))
    chosen = {}
    for flag, value in zip(options[::2], options[1::2]):
        if flag in ("--section", "--source"):
            chosen.setdefault(flag[2:], []).append(value)
    request = build_request(text, named.get("--from"), named.get("--to"), sort=named.get("--sort"),
                            page=named.get("--page"), per_page=named.get("--limit", 100), **chosen)
    with open_shards(index_dir) as shards:
        return result_to_json(run_query(shards, request))


def _ties_aside(answer: dict) -> dict:
    """``answer`` with hits of equal score in id order: which of two equal documents comes first
    is document order, and that differs between one index and shards. The scores in the order
    given stay, so any other difference of order still shows."""
    hits = answer.get("hits", [])
    return {**answer, "hits": sorted(hits, key=lambda h: (-h["score"], h["id"])),
            "scores": [h["score"] for h in hits]}


def test_layout_holds_time_ranged_shards(indexes):
    """The first run fills shards of 20 in date order (the 21st article of shard-000 shares the
    day of its 20th, which that shard covers); the second run's backfills go to the shard covering
    their day or the one before the gap they fall in (nine to shard-000, three to shard-001),
    and the changed article stays where it lives (80 + 12 articles, not 93)."""
    layout = read_layout(indexes[1])
    assert [s.name for s in layout] == ["shard-000", "shard-001", "shard-002", "shard-003"]
    assert [s.count for s in layout] == [30, 23, 21, 18]
    assert all(a.last < b.first for a, b in zip(layout, layout[1:]))  # ranges in order, no overlap
    assert (layout[0].first, layout[-1].last) == ("2020-01-03", "2021-12-17")


def test_sharded_queries_equal_one_index(indexes):
    """Every query of QUERIES, asked in this process of each index as the CLI asks it."""
    differing = []
    for args in QUERIES:
        one, sharded = (_in_process(index_dir, *args) for index_dir in indexes)
        assert one["suggestion"] == "Hafen" if args == ("Hafn",) else one["total"] > 0 or args[-1] == "2030-01-01"
        if _ties_aside(sharded) != _ties_aside(one):
            differing.append(" ".join(args))
    assert differing == []


@pytest.mark.parametrize("args", [("Hafen Streik",), ("Hafen Zeppelin",), ("Klima", "--from", "2021-03-01")], ids=" ".join)
def test_sharded_cli_query_equals_one_index(indexes, args):
    one, sharded = (_query(index_dir, *args) for index_dir in indexes)
    assert one["total"] > 0
    assert _ties_aside(sharded) == _ties_aside(one)


def test_similar_and_show_equal_one_index(indexes):
    """"More like this" weighs key terms and scores neighbours with the figures of all shards."""
    ids = [hit["id"] for hit in _query(indexes[0], "Neufassung")["hits"] + _query(indexes[0], "Deich")["hits"][:1]]
    assert len(ids) == 2
    for doc_id in ids:
        for command in (("similar", doc_id, "--limit", "8", "--json"), ("show", doc_id, "--json")):
            one, sharded = (run_cli(*command, index_dir=index_dir) for index_dir in indexes)
            assert one.returncode == 0, one.stderr
            assert json.loads(sharded.stdout) == json.loads(one.stdout)
            assert json.loads(one.stdout)["id"] == doc_id
    assert len(json.loads(run_cli("similar", ids[0], "--json", index_dir=indexes[1]).stdout)["hits"]) == 5


def test_api_over_shards_equals_one_index(indexes):
    """The real server over each index: /api/search with facets and histogram, /api/similar."""
    paths = ["/api/search?q=Hafen+Streik&per_page=50", "/api/search?q=Klima&from=2020-06-01&to=2021-02-28&section=Politik",
             "/api/similar/" + _query(indexes[0], "Neufassung")["hits"][0]["id"]]
    answers = []
    for index_dir in indexes:
        with serving(index_dir) as base:
            answers.append([fetch(base + path) for path in paths])
    assert [status for status, _, _ in answers[1]] == [200, 200, 200]
    assert [json.loads(body) for _, _, body in answers[1]] == [json.loads(body) for _, _, body in answers[0]]


@pytest.mark.parametrize("args", [("Hafen", "--exact"), ("\"Hafen Streik\"~3",), ("Hafen NICHT quelle:taz.de",)],
                         ids=" ".join)
def test_desk_queries_over_shards_equal_one_index(indexes, args):
    """Issue 20's exakt switch, ``"a b"~N`` and ``NICHT quelle:`` over time shards as over one index:
    ``"a b"~N`` scored with the figures of all shards too (search/whoosh/evaluate.py ``near``)."""
    one, sharded = (_query(index_dir, *args) for index_dir in indexes)
    assert one["total"] > 0
    assert _ties_aside(sharded) == _ties_aside(one)
    if "NICHT" in args[0]:
        assert {hit["publisher"] for hit in sharded["hits"]} == {"zeit.de", "welt.de"}


def test_export_over_shards_equals_one_index(indexes):
    """``query --format jsonl --all`` fetches chunk after chunk through the shards: every hit, as one index has them."""
    exports = []
    for index_dir in indexes:
        done = run_cli("query", "Hafen", "--format", "jsonl", "--all", index_dir=index_dir)
        assert done.returncode == 0, done.stderr
        exports.append(_ties_aside({"hits": [json.loads(line) for line in done.stdout.splitlines()]}))
    assert len(exports[0]["hits"]) == _query(indexes[0], "Hafen")["total"]
    assert exports[1] == exports[0]


def test_pages_over_shards_equal_one_index(indexes):
    """The result page's quick dates count back from the newest day of all shards; the article
    page opened from a search marks its words and links its neighbours, as over one index."""
    first = _query(indexes[0], "Streik")["hits"][1]["id"]
    pages = []
    for index_dir in indexes:
        with serving(index_dir) as base:
            pages.append([fetch(f"{base}/?q=Streik"), fetch(f"{base}/artikel/{first}?q=Streik&hit=2")])
    (search_one, article_one), (search_sharded, article_sharded) = pages
    assert [status for status, _, _ in (search_sharded, article_sharded)] == [200, 200]
    quick = re.findall(r'<p class="quick">.*?</p>', search_sharded[2], re.S)
    assert quick == re.findall(r'<p class="quick">.*?</p>', search_one[2], re.S)
    assert "17.12.2021" in quick[0] or "2021-12-17" in quick[0]
    marks, links = (re.compile(p) for p in (r"<mark>([^<]*)</mark>", r'href="(/artikel/[^"]*hit=\d+[^"]*)"'))
    assert set(marks.findall(article_sharded[2])) == {"Streik"}
    assert links.findall(article_sharded[2]) == links.findall(article_one[2]) != []


def _errors(done) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("Fehler:")]


def test_broken_records_are_reported_once_with_their_line_however_many_shards(tmp_path):
    """Routing reads each changed file once and says what is broken; each shard reads only its
    lines (indexer/routing.py). A broken line is reported once, with its line, on the first run and
    on every unchanged run after it, as one index reports it; a file of nothing but broken lines,
    or not readable at all, too, even when no shard exists yet to take anything (before, such a
    run said nothing and exited 0)."""
    files = tmp_path / "files"
    files.mkdir()
    (files / "kaputt.json").write_text('{"id": "kaputt", "title": "Ohne Ende')
    (files / "nur-kaputt.jsonl").write_text("kein JSON\n")
    alone = run_cli("index", "--shard-size", "2", str(files), index_dir=tmp_path / "alone")
    assert alone.returncode == 1, alone.stderr
    assert _errors(alone) == [f"Fehler: {files / 'kaputt.json'}: kein gültiges JSON (Zeile 1, Spalte 27)",
                              f"Fehler: {files / 'nur-kaputt.jsonl'}:1: ungültiges JSON (Expecting value: line 1 "
                              f"column 1 (char 0))"]
    rng = random.Random(18)
    records = [json.dumps(_article(rng, n, f"2021-0{n % 6 + 1}-03")) for n in range(6)]
    records[3] = '{"id": "a003", "title": 7}'
    (files / "a.jsonl").write_text("\n".join(records) + "\n")
    line = f"Fehler: {files / 'a.jsonl'}:4: „title“ muss Text sein, nicht eine Zahl"
    # one index's order: the files read in this run in file order, after those it did not read again
    expected = [[line, *_errors(alone)], [line, *_errors(alone)[::-1]]]
    for run in range(2):
        one = run_cli("index", str(files), index_dir=tmp_path / "one")
        sharded = run_cli("index", *(("--shard-size", "2") if run == 0 else ()), str(files), index_dir=tmp_path / "sharded")
        assert sharded.returncode == one.returncode == 1, sharded.stderr
        assert (run, _errors(sharded)) == (run, _errors(one)) == (run, expected[run])
        assert ("neu: 5" if run == 0 else "unverändert: 5") in sharded.stdout, sharded.stdout
    assert [s.count for s in read_layout(tmp_path / "sharded")] == [2, 2, 1]


def test_a_shards_run_reads_only_the_lines_given_to_it(tmp_path):
    """A shard's run (``index_files`` with its ``shares``) takes the lines routed to it and
    reports the file's broken records as routing found them: it parses no other line, so the
    broken line between its lines, which routing did not name, is not reported by it. A file
    changed since it was routed is read whole (its articles kept by ``accept``)."""
    rng = random.Random(18)
    path = tmp_path / "a.jsonl"
    lines = [json.dumps(_article(rng, n, "2021-03-03")) for n in range(5)]
    lines[1] = "kein JSON"
    path.write_text("\n".join(lines) + "\n")
    known = Failure(f"{path}:4", "von der Routing-Lesung gemeldet")
    report = index_files([path], tmp_path / "ix", shares={str(path): FileShare(fingerprint(path), (1, 3), (known,))})
    assert (report.added, report.failures) == (2, (known,))
    with open_shards(tmp_path / "ix") as shards:
        assert sorted(hit.title.rsplit(" ", 1)[1] for hit in run_query(shards, build_request("")).hits) == ["0", "2"]
    stale = index_files([path], tmp_path / "ix2", shares={str(path): FileShare("vorher", (1,), (known,))},
                        accept=lambda article: not article.title.endswith("Nummer 4"))
    assert (stale.added, [f.path for f in stale.failures]) == (3, [f"{path}:2"])
