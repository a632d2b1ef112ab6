"""JSON Lines files as articles: shapes of the FANG, Wikinews and 10kGNAD dumps, dates, ids, bad lines."""
from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from indexer.errors import ArticleParseError
from indexer.jsonl import parse_jsonl
from indexer.model import Article, Caption, RelatedItem

BERLIN = ZoneInfo("Europe/Berlin")

# The shape of fang-covid-real.jsonl.gz: teaser on the first line, body hard-wrapped.
FANG = {
    "id": "10000",
    "url": "https://www.zeit.de/wissen/2020-04/dunkelziffer-coronavirus",
    "date": "2020-04-24T20:17:56+02:00",
    "source": "zeit.de",
    "section": "wissen",
    "title": '"Bestimmt hatte ich\'s längst"',
    "text": (
        "Vielleicht war's die Erkältung neulich. Über die Hoffnung auf eine Dunkelziffer.\n"
        "Einer der ersten Hinweise kam im März aus Italien. Im Dorf Vó in der\n"
        "nordöstlichen Provinz Padua starb der erste Mensch. \n"
        "Kein Husten, kein Fieber."
    ),
}
FANG_ARTICLE_FIELDS = dict(
    # sha1("url:" + url), the id a page dump of the same URL gets
    id=hashlib.sha1(b"url:https://www.zeit.de/wissen/2020-04/dunkelziffer-coronavirus").hexdigest()[:16],
    title='"Bestimmt hatte ich\'s längst"',
    url="https://www.zeit.de/wissen/2020-04/dunkelziffer-coronavirus",
    lead="Vielleicht war's die Erkältung neulich. Über die Hoffnung auf eine Dunkelziffer.",
    body=(
        "Einer der ersten Hinweise kam im März aus Italien. Im Dorf Vó in der nordöstlichen Provinz Padua starb der erste Mensch.",
        "Kein Husten, kein Fieber.",
    ),
    published=datetime(2020, 4, 24, 20, 17, 56, tzinfo=timezone(timedelta(hours=2))),
    section="wissen",
    publisher="zeit.de",  # FANG names the outlet in "source"
)


def write_lines(path, lines, compress=False):
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def record_hash(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


@pytest.mark.parametrize(
    "name, compress",
    [("fang.jsonl", False), ("fang.jsonl.gz", True), ("fang-ohne-endung.jsonl", True)],
)
def test_plain_and_gzipped_files_give_the_same_article(tmp_path, name, compress):
    """Gzip is recognised by its magic bytes, so a compressed file without .gz is read too."""
    path = write_lines(tmp_path / name, [json.dumps(FANG, ensure_ascii=False)], compress)

    assert list(parse_jsonl(path)) == [Article(**FANG_ARTICLE_FIELDS, source_path=str(path))]


def test_broken_line_in_the_middle_is_reported_and_the_rest_is_read(tmp_path):
    path = write_lines(
        tmp_path / "data.jsonl",
        [
            json.dumps({"title": "Eins", "text": "Erster Text."}),
            '{"title": "Zwei" "text": "x"}',
            "",
            '["kein", "Objekt"]',
            json.dumps({"id": "4", "section": "Sport"}),
            json.dumps({"title": "Fünf", "text": "Fünfter Text.", "date": "gestern irgendwann"}),
            json.dumps({"title": "Sechs", "text": "Sechster Text."}),
        ],
    )
    errors = []

    articles = list(parse_jsonl(path, on_error=lambda where, reason: errors.append(f"{where}: {reason}")))

    assert [(a.title, a.lead) for a in articles] == [("Eins", "Erster Text."), ("Sechs", "Sechster Text.")]
    assert errors == [
        f"{path}:2: ungültiges JSON (Expecting ',' delimiter: line 1 column 18 (char 17))",
        f"{path}:4: kein JSON-Objekt, sondern eine Liste",
        f"{path}:5: weder „title“ noch „text“ vorhanden",
        f"{path}:6: „date“ ist kein lesbares Datum: 'gestern irgendwann'",
    ]


def test_without_on_error_the_first_bad_line_raises_with_path_and_line(tmp_path):
    path = write_lines(tmp_path / "data.jsonl", [json.dumps({"title": "Eins"}), "{kaputt", json.dumps({"title": "Drei"})])
    articles = parse_jsonl(path)

    assert next(articles).title == "Eins"
    with pytest.raises(ArticleParseError) as caught:
        next(articles)
    assert caught.value.path == f"{path}:2"
    assert caught.value.message == (
        f"{path}:2: ungültiges JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"
    )


def test_gzip_stream_cut_short_is_reported_after_the_articles_before_it(tmp_path):
    whole = gzip.compress("".join(json.dumps({"title": f"Titel {i}"}) + "\n" for i in range(2000)).encode())
    path = tmp_path / "abgeschnitten.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    errors = []

    articles = list(parse_jsonl(path, on_error=lambda where, reason: errors.append((where, reason))))

    assert articles, "the lines before the cut must still be read"
    assert [a.title for a in articles] == [f"Titel {i}" for i in range(len(articles))]
    assert errors == [
        (
            str(path),
            f"nach Zeile {len(articles)} nicht weiter lesbar "
            "(Compressed file ended before the end-of-stream marker was reached)",
        )
    ]


@pytest.mark.parametrize(
    "stamp, expected",
    [
        ("2020-12-25 16:31:15", "2020-12-25T16:31:15+01:00"),  # winter: CET
        ("2020-06-26 16:22:00", "2020-06-26T16:22:00+02:00"),  # summer: CEST
        ("2005-08-20", "2005-08-20T00:00:00+02:00"),  # Wikinews: a day only
        ("2020-04-24T18:17:56Z", "2020-04-24T18:17:56+00:00"),  # an explicit offset is kept
        ("2020-04-24T20:17:56+02:00", "2020-04-24T20:17:56+02:00"),
    ],
)
def test_date_without_zone_is_berlin_time_and_an_offset_is_kept(tmp_path, stamp, expected):
    path = write_lines(tmp_path / "d.jsonl", [json.dumps({"title": "T", "date": stamp})])

    (article,) = parse_jsonl(path)

    assert article.published.isoformat() == expected
    # Check the Berlin offset against zoneinfo directly, not only the formatted string.
    if "T" not in stamp:
        naive = datetime.fromisoformat(stamp)
        assert article.published.utcoffset() == naive.replace(tzinfo=BERLIN).utcoffset()


def test_title_fused_into_text_becomes_the_first_sentence_and_date_stays_empty(tmp_path):
    """10kGNAD records have id, category and text only; the headline is the text's first sentence."""
    record = {
        "id": 1,
        "category": "Sport",
        "text": "Franzosen verteidigen 2:1-Führung – Benfica mit Abwehrsorgen nach St. Petersburg. "
        "London – Mit einem trügerischen Vorsprung ist Paris gereist. Am Mittwoch spielt Chelsea.",
    }
    path = write_lines(tmp_path / "10kgnad.jsonl", [json.dumps(record, ensure_ascii=False)])

    assert list(parse_jsonl(path)) == [
        Article(
            id=record_hash("record:10kgnad.jsonl:1"),
            title="Franzosen verteidigen 2:1-Führung – Benfica mit Abwehrsorgen nach St. Petersburg",
            lead="London – Mit einem trügerischen Vorsprung ist Paris gereist. Am Mittwoch spielt Chelsea.",
            section="Sport",
            source_path=str(path),
        )
    ]


def test_record_ids_of_different_sources_do_not_collide_and_stay_stable(tmp_path):
    lines = [
        json.dumps({"id": "7", "source": "zeit.de", "title": "Gleicher Titel"}),
        json.dumps({"id": "7", "source": "tagesspiegel.de", "title": "Gleicher Titel"}),
        json.dumps({"title": "Gleicher Titel", "date": "2020-12-25 16:31:15"}),
    ]
    path = write_lines(tmp_path / "ids.jsonl", lines)

    ids = [a.id for a in parse_jsonl(path)]

    assert ids == [
        record_hash("record:zeit.de:7"),
        record_hash("record:tagesspiegel.de:7"),
        record_hash("title:gleicher titel|2020-12-25T15:31Z"),
    ]
    assert [a.id for a in parse_jsonl(path)] == ids


def test_blank_lines_separate_paragraphs_and_lowercase_continuations_are_joined(tmp_path):
    text = "Der Vorspann.\n\nErster Absatz, hart\numbrochen.\nZweiter Absatz.\nNeuer Absatz mit Großbuchstaben.\n\n\n"
    path = write_lines(tmp_path / "p.jsonl", [json.dumps({"title": "T", "text": text})])

    (article,) = parse_jsonl(path)

    assert article.lead == "Der Vorspann."
    assert article.body == (
        "Erster Absatz, hart umbrochen.",
        "Zweiter Absatz.",
        "Neuer Absatz mit Großbuchstaben.",
    )


def test_hard_wrapped_sentence_is_one_paragraph_even_where_a_line_starts_with_a_capital(tmp_path):
    """Issue 15.6: FANG's zeit.de texts break mid-sentence before nouns ("dass der" / "Corona-Impfstoff")."""
    text = (
        "Der Vorspann.\n"
        "Die Behörde teilte am Montag mit, dass der\n"
        "Corona-Impfstoff bereits geprüft werde, sagte ein Sprecher der\n"
        "Behörde.\n"
        "Ein neuer Absatz beginnt nach dem Satzende.\n"
        "Geimpft wird ab Januar\n"
        "Die Länder bereiten Impfzentren vor, die ab Januar öffnen sollen, wie es heißt."
    )
    path = write_lines(tmp_path / "wrap.jsonl", [json.dumps({"title": "T", "text": text})])

    (article,) = parse_jsonl(path)

    assert article.body == (
        "Die Behörde teilte am Montag mit, dass der Corona-Impfstoff bereits geprüft werde, sagte ein Sprecher der Behörde.",
        "Ein neuer Absatz beginnt nach dem Satzende.",
        "Geimpft wird ab Januar",  # a subheading: far shorter than the wrapped lines
        "Die Länder bereiten Impfzentren vor, die ab Januar öffnen sollen, wie es heißt.",
    )


def test_general_shape_with_every_optional_key(tmp_path):
    record = {
        "id": "a-1",
        "title": "Kreml sieht Gespräche am Anfang",
        "topics": "Russland, Ukraine ,",
        "lead": "Der Kreml sieht die Gespräche erst am Anfang.",
        "body": ["Erster Absatz.", "  ", "Zweiter\nAbsatz."],
        "subheadings": ["Keine Eile"],
        "captions": ["Der Kreml in Moskau", {"text": "Peskow", "credit": "dpa"}],
        "agency": "dpa",
        "date": "27.02.2025 - 11:57:57",
        "related": [{"title": "Gespräche in Riad", "teaser": "Erste Runde.", "section": "Politik", "date": "26.01.2026 - 11:32"}],
        "unbekannt": "wird ignoriert",
    }
    path = write_lines(tmp_path / "general.jsonl", [json.dumps(record, ensure_ascii=False)])

    assert list(parse_jsonl(path)) == [
        Article(
            id=record_hash("record:general.jsonl:a-1"),
            title="Kreml sieht Gespräche am Anfang",
            topics=("Russland", "Ukraine"),
            lead="Der Kreml sieht die Gespräche erst am Anfang.",
            body=("Erster Absatz.", "Zweiter Absatz."),
            subheadings=("Keine Eile",),
            captions=(Caption("Der Kreml in Moskau"), Caption("Peskow", "dpa")),
            published=datetime(2025, 2, 27, 11, 57, 57, tzinfo=BERLIN),
            agency="dpa",
            source_path=str(path),
            related=(
                RelatedItem(
                    id=record_hash("title:gespräche in riad|2026-01-26T10:32Z"),
                    title="Gespräche in Riad",
                    teaser="Erste Runde.",
                    section="Politik",
                    published=datetime(2026, 1, 26, 11, 32, tzinfo=BERLIN),
                ),
            ),
        )
    ]


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"title": ["Liste"]}, "„title“ muss Text sein, nicht eine Liste"),
        ({"title": "T", "topics": 3}, "„topics“ muss eine Liste oder ein Text mit Kommas sein, nicht eine Zahl"),
        ({"title": "T", "body": {"a": 1}}, "„body“ muss eine Liste von Texten sein, nicht ein Objekt"),
        ({"title": "T", "id": True}, "„id“ muss Text oder eine ganze Zahl sein, nicht ein Wahrheitswert"),
        ({"title": "T", "related": [{"teaser": "x"}]}, "ein Eintrag in „related“ hat keinen „title“"),
        ({"text": "   \n "}, "weder „title“ noch „text“ vorhanden"),
    ],
)
def test_value_of_the_wrong_kind_names_the_key(tmp_path, record, reason):
    path = write_lines(tmp_path / "bad.jsonl", [json.dumps(record)])
    errors = []

    assert list(parse_jsonl(path, on_error=lambda where, why: errors.append((where, why)))) == []
    assert errors == [(f"{path}:1", reason)]


def test_invalid_utf8_line_is_reported_and_the_next_line_read(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"title": "Gr\xfc\xdfe"}\n'.encode("latin-1") + b'{"title": "Danach"}\n')
    errors = []

    articles = list(parse_jsonl(path, on_error=lambda where, why: errors.append((where, why))))

    assert [a.title for a in articles] == ["Danach"]
    assert errors == [(f"{path}:1", "kein UTF-8 (invalid start byte bei Byte 13)")]


def test_missing_file_is_reported_with_its_path(tmp_path):
    path = tmp_path / "fehlt.jsonl"

    with pytest.raises(ArticleParseError) as caught:
        list(parse_jsonl(path))
    assert caught.value.message == f"{path}: nicht lesbar (No such file or directory)"


def test_size_limit_applies_to_each_line_of_an_archive_not_to_the_file(tmp_path):
    """A 28,000-article export is larger than any single page may be; only an oversized line is refused."""
    from indexer.write import index_files
    from search.query import build_request, open_searcher, run_query
    from indexer.store import open_for_reading

    lines = [json.dumps({"id": str(i), "title": f"Meldung {i}", "text": "Ein Satz. " * 50}) for i in range(20)]
    lines[7] = json.dumps({"id": "7", "title": "Riesig", "text": "Zu lang. " * 400})
    path = write_lines(tmp_path / "archiv.jsonl.gz", lines, compress=True)
    assert path.stat().st_size < 3000 < sum(map(len, lines))

    report = index_files([path], tmp_path / "ix", max_bytes=3000)

    assert [(f.path, f.reason) for f in report.failures] == [(f"{path}:8", "Zeile zu groß (3.643 Bytes, erlaubt sind 3.000)")]
    assert report.added == 19
    with open_searcher(open_for_reading(tmp_path / "ix")) as searcher:
        # the 19 texts are the same, so they are one story: count documents (issue 19)
        assert run_query(searcher, build_request("Meldung", per_page=50, collapse=False)).total == 19
