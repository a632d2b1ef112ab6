"""Page dumps to ``Article`` values: the sample article, two invented fixtures and broken files.

Expectations are written out by hand from reading the files, never taken from the parser's output,
so a change in how any field is cut shows up as a failing field here.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from indexer.dates import parse_datetime
from indexer.errors import ArticleParseError
from indexer.model import Caption
from indexer.parse import parse_article, split_title_teaser

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "000_502c415add25ad79.txt"
DATA = Path(__file__).resolve().parent / "data"
BAHN = DATA / "001_bahn_bruecken_afp.txt"
PFLEGE = DATA / "002_pflege_land_epd.txt"
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


def related_fields(article) -> list[tuple]:
    """Every related item as (title, teaser, section, published); ids are checked separately."""
    return [(r.title, r.teaser, r.section, r.published) for r in article.related]


# --- the sample article -------------------------------------------------------------------------

SAMPLE_LEAD = (
    "Seit Jahren ist das Vertrauen zwischen den Atommächten Russland und USA zerrüttet. Deshalb "
    "kochten die diplomatischen Beziehungen auf Sparflamme, die großen Botschaften standen fast leer."
)
SAMPLE_CAPTIONS = (
    Caption(
        text="Der Altbau der US-Botschaft in Moskau ist ein beeindruckendes Gebäude im Stil des "
        "sowjetischen Klassizismus. (Archivbild)",
        credit="Alexander Zemlianichenko/AP/dpa",
    ),
    Caption(
        text="Auch die Botschaft Russlands in Washington arbeitete zuletzt mit Minimalbesetzung. (Archivbild)",
        credit="Valerie Plesch/dpa",
    ),
)
SAMPLE_BODY = (
    "Die USA und Russland sprechen bei ihrer Wiederannäherung auch über eine Normalisierung der Arbeit "
    "ihrer Botschaften im jeweils anderen Land. Diplomaten beider Länder kamen zu Beratungen über diese "
    "Frage in Istanbul zusammen, wie die staatliche russische Nachrichtenagentur Tass meldete.",
    "Ort des nichtöffentlichen Treffens war demnach die Residenz des US-Generalkonsuls in der türkischen "
    "Metropole. Um den Krieg in der Ukraine gehe es bei dem Gespräch nicht, teilte das "
    "US-Außenministerium mit.",
    "Die diplomatischen Beziehungen zwischen den großen Atommächten USA und Russland haben sich seit der "
    "Annexion der ukrainischen Halbinsel Krim durch Moskau 2014 verschlechtert. Seitdem haben die "
    "wechselseitige Ausweisung von Diplomaten, Schließungen von Konsulaten und die Beschlagnahme von "
    "Botschaftsbesitz die Arbeitsfähigkeit der Vertretungen eingeschränkt. US-Präsident Donald Trump "
    "sucht nun wieder den Kontakt zu Russland.",
    "Ende 2016 verwiesen die USA unter Präsident Barack Obama 35 Moskauer Diplomaten des Landes wegen der "
    "versuchten russischen Einflussnahme auf die US-Wahlen. 2017 zwang Kremlchef Wladimir Putin die "
    "US-Vertretungen in Russland, 755 Mitarbeiter abzubauen.",
    "2018 schlossen die USA das russische Generalkonsulat in Seattle und wiesen 60 Diplomaten aus. Das "
    "war die Reaktion auf den Giftanschlag auf den russischen Ex-Agenten Sergej Skripal in "
    "Großbritannien. Moskau reagierte spiegelbildlich mit der Ausweisung von 60 US-Vertretern. Weitere "
    "Ausweisungen russischer Diplomaten aus den USA folgten 2022 und 2023 wegen des Angriffskrieges auf "
    "die Ukraine.",
)
SAMPLE_RELATED = [
    (
        "Kreml sieht Ukraine-Gespräche noch ganz am Anfang",
        "Der Kreml sieht die Gespräche zwischen Russland, der Ukraine und den USA über ein Ende des "
        "Krieges noch ganz am Anfang.",
        "Boerse",
        berlin(2026, 1, 26, 11, 32),
    ),
    (
        "Ukraine-Gespräche: Hardt übt scharfe Kritik an Russland",
        "Nach dem vorläufigen Abschluss der Gespräche über ein Ende des Ukrainekriegs in Abu Dhabi hat der "
        "außenpolitische Sprecher der CDU/CSU-Bundestagsfraktion, Jürgen Hardt, scharfe Kritik an Russland "
        'geübt.Der "Rheinischen Post" sagte Hardt: "Erneut bleiben die Ukraine-Gespräche ergebnislos und '
        "erneut war es Russland, das mit seinen Maximalforderungen einen echten Fortschritt verhindert hat.",
        "Ausland",
        berlin(2026, 1, 25, 13, 6),
    ),
    (
        "Ukraine-Verhandlungen am zweiten Tag auch über Gebietsfragen",
        "Es geht dabei auch um die Schlüsselfrage von Gebietsabgaben. In Abu Dhabi hat der zweite "
        "Verhandlungstag bei den Gesprächen über ein Ende des Ukraine-Kriegs begonnen.",
        "Ausland",
        berlin(2026, 1, 24, 12, 26),
    ),
    (
        "Ukrainer und Russen setzen Gespräche über Kriegsende fort",
        "Dabei treffen auch militärische Schwergewichte aufeinander. Die direkten Friedensverhandlungen "
        "zwischen Ukrainern und Russland gehen unter Vermittlung der USA in eine neue Runde.",
        "Ausland",
        berlin(2026, 1, 24, 5, 49),
    ),
    (
        "US-Verteidigungsstrategie: Europa ja, aber nicht der Fokus",
        "Jetzt veröffentlicht sie ihre Verteidigungsstrategie, in der auch Europa vorkommt. Die nationale "
        "Sicherheitsstrategie von Trumps Regierung hat die europäischen Partner geschockt.",
        "Ausland",
        berlin(2026, 1, 24, 1, 59),
    ),
    (
        "Erste Ukraine-Verhandlungsrunde in Abu Dhabi beendet",
        "Die ersten direkten Gesprächen zwischen Ukrainern und Russland seit Langem liefen mehrere Stunden "
        "unter US-Vermittlung in Abu Dhabi.",
        "Ausland",
        berlin(2026, 1, 23, 21, 30),
    ),
]


def test_sample_topics_come_from_the_comma_separated_kicker_line():
    assert parse_article(SAMPLE).topics == ("USA", "Russland")


def test_sample_title_is_the_line_before_the_stamp():
    assert parse_article(SAMPLE).title == "USA und Russland sprechen über Arbeit ihrer Botschaften"


def test_sample_published_is_berlin_time_with_winter_offset():
    published = parse_article(SAMPLE).published
    assert published.isoformat() == "2025-02-27T11:57:57+01:00"
    assert published.tzinfo == BERLIN


def test_sample_lead_is_the_first_paragraph_after_the_stamp():
    assert parse_article(SAMPLE).lead == SAMPLE_LEAD


def test_sample_captions_split_text_from_photo_credit():
    assert parse_article(SAMPLE).captions == SAMPLE_CAPTIONS


def test_sample_body_is_five_paragraphs_without_subheading_or_caption_repeats():
    """Guards the bare credit lines and the slider line gluing both captions staying out of the body."""
    article = parse_article(SAMPLE)
    assert article.body == SAMPLE_BODY
    assert article.subheadings == ("Ausweisungen wegen Wahlbeeinflussung und Giftanschlag",)


def test_sample_agency_is_the_domain_name_of_the_at_line():
    assert parse_article(SAMPLE).agency == "dpa"


def test_sample_related_items_split_title_teaser_section_and_time():
    assert related_fields(parse_article(SAMPLE)) == SAMPLE_RELATED


def test_related_teasers_drop_the_weiterlesen_link():
    teasers = [r.teaser for path in (SAMPLE, BAHN, PFLEGE) for r in parse_article(path).related]
    assert len(teasers) == 6 + 3 + 8
    assert [t for t in teasers if "weiterlesen" in t] == []


@pytest.mark.parametrize("path", [SAMPLE, BAHN, PFLEGE], ids=lambda p: p.name)
def test_ids_are_stable_and_distinct_across_article_and_related_items(path):
    first, second = parse_article(path), parse_article(path)
    assert first.id == second.id
    assert [r.id for r in first.related] == [r.id for r in second.related]
    related_ids = [r.id for r in first.related]
    assert len(set(related_ids)) == len(related_ids)
    assert first.id not in related_ids


def test_sample_with_crlf_line_endings_parses_to_the_same_fields(tmp_path):
    """Files saved on Windows carry CRLF; paragraph breaks must still be found."""
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(SAMPLE.read_bytes().replace(b"\n", b"\r\n"))
    article = parse_article(crlf)
    assert (article.title, article.lead, article.captions, article.body) == (
        "USA und Russland sprechen über Arbeit ihrer Botschaften",
        SAMPLE_LEAD,
        SAMPLE_CAPTIONS,
        SAMPLE_BODY,
    )
    assert related_fields(article) == SAMPLE_RELATED


# --- fixture 001: one topic, three captions with three credit forms, afp, three related items ------

BAHN_CAPTIONS = (
    Caption(text="Ein ICE fährt über eine Eisenbahnbrücke bei Duisburg. (Symbolbild)", credit="Martin Feldhaus/dpa"),
    Caption(text="Infrastrukturvorständin Katrin Albers stellte die Pläne in Berlin vor.", credit="Lena Morgenroth/AFP"),
    Caption(text="Viele Brücken im Netz stammen noch aus der Kaiserzeit.", credit="Jonas Reichert/dpa"),
)
BAHN_BODY = (
    "Die Deutsche Bahn will bis zum Jahr 2030 rund 4000 Eisenbahnbrücken erneuern. Das kündigte "
    "Infrastrukturvorständin Katrin Albers am Dienstag in Berlin an. Insgesamt sollen dafür nach Angaben "
    "des Konzerns 18 Milliarden Euro bereitstehen.",
    "Ein Großteil des Geldes soll aus dem Bundeshaushalt kommen. Das Verkehrsministerium bestätigte, dass "
    "die Mittel im Entwurf für das kommende Jahr eingeplant seien.",
    "Für Fahrgäste bedeutet das Programm zunächst weitere Einschränkungen. Auf einigen Strecken im "
    "Ruhrgebiet und in Sachsen sollen Brücken über mehrere Wochen voll gesperrt werden, wie Albers sagte. "
    "Die Bahn will Ersatzbusse einsetzen.",
    "Ein Sprecher des Pendlerverbands Rhein-Ruhr begrüßte die Pläne grundsätzlich, forderte aber eine "
    "bessere Information der Reisenden. Sperrungen müssten mindestens drei Monate im Voraus bekannt sein.",
)


def test_single_topic_kicker_gives_one_topic_with_its_space_kept():
    assert parse_article(BAHN).topics == ("Deutsche Bahn",)


def test_title_with_numbers_and_summer_stamp_parse_with_summer_offset():
    article = parse_article(BAHN)
    assert article.title == "Bahn will bis 2030 rund 4000 Brücken erneuern"
    assert article.published.isoformat() == "2025-06-03T16:42:10+02:00"
    assert article.published.tzinfo == BERLIN


def test_lead_ending_in_non_breaking_space_is_trimmed():
    assert parse_article(BAHN).lead == (
        "Die Deutsche Bahn legt ein Sanierungsprogramm für ihre Eisenbahnbrücken vor. Viele der Bauwerke "
        "sind älter als hundert Jahre, Tausende gelten als dringend erneuerungsbedürftig."
    )


def test_caption_credits_after_hyphen_en_dash_or_in_brackets_are_split_off():
    assert parse_article(BAHN).captions == BAHN_CAPTIONS


def test_glued_caption_line_with_mixed_credit_forms_stays_out_of_body():
    """Regression: the slider repeat was matched against a rebuilt "text - Foto: credit", so an
    en-dash or bracketed credit let the glued line through as a body paragraph."""
    assert parse_article(BAHN).body == BAHN_BODY


def test_bare_credit_line_of_bracketed_credit_is_not_a_subheading():
    assert parse_article(BAHN).subheadings == ("Pendler müssen sich auf Sperrungen einstellen",)


def test_agency_from_afp_com_line_is_afp():
    assert parse_article(BAHN).agency == "afp"


def test_bahn_related_items_split_title_teaser_section_and_time():
    assert related_fields(parse_article(BAHN)) == [
        (
            "Neue Bahnchefin: Die Sanierung dauert bis 2030",
            "Der Konzern rechnet mit jahrelangen Einschränkungen für Reisende im Fernverkehr.",
            "Wirtschaft",
            berlin(2025, 6, 2, 18, 20),
        ),
        (
            "Wird das Deutschlandticket teurer?",
            "Die Verkehrsminister der Länder beraten am Montag über den Preis für das kommende Jahr.",
            "Inland",
            berlin(2025, 6, 1, 9, 15),
        ),
        (
            "Pendler klagen über kurzfristige Sperrungen",
            "„Wir erfahren davon oft erst am Vortag“, sagt eine Sprecherin des Pendlerverbands.",
            "Wirtschaft",
            berlin(2025, 5, 31, 12, 3),
        ),
    ]


# --- fixture 002: three topics, no captions, a question subheading, epd, eight related items ------

PFLEGE_BODY = (
    "Nach einer Umfrage des evangelischen Wohlfahrtsverbands unter seinen Einrichtungen mussten im "
    "vergangenen Jahr mehr als 40 Prozent der ambulanten Dienste Anfragen neuer Patientinnen und "
    "Patienten ablehnen. In Großstädten lag der Anteil deutlich niedriger.",
    "„Wer auf dem Land alt wird, hat schlechtere Karten“, sagte Diakonie-Vorständin Miriam Kessler in "
    "Berlin. Die Lücke werde sich in den kommenden Jahren weiter vergrößern.",
    "Besonders schwierig sei die Lage in Ostdeutschland und in Teilen Niedersachsens. Dort blieben Stellen "
    "für Pflegefachkräfte im Schnitt fünf Monate unbesetzt, heißt es in der Auswertung.",
    "Die Diakonie verlangt unter anderem höhere Zuschläge für lange Anfahrtswege und weniger Aufwand bei "
    "der Dokumentation. Zudem sollten ausländische Fachkräfte schneller anerkannt werden.",
)
PFLEGE_RELATED = [
    (
        "Kirchen verlieren weiter Mitglieder",
        "Der Trend zu Austritten hält an, hat sich im vergangenen Jahr aber etwas abgeschwächt.",
        "Inland",
        berlin(2025, 3, 11, 15, 45),
    ),
    (
        "Sozialverbände fordern höheres Bürgergeld",
        "Die Regelsätze reichten nicht zum Leben, kritisieren die Verbände in einem gemeinsamen Brief.",
        "Politik",
        berlin(2025, 3, 11, 12, 10),
    ),
    (
        "Streit um Pflegereform: Die Länder verlangen mehr Mitsprache",
        "Nach dem Entwurf aus dem Gesundheitsministerium sollen die Kassen künftig über die Zahl der "
        "Heimplätze mitentscheiden.",
        "Politik",
        berlin(2025, 3, 10, 17, 2),
    ),
    (
        "Zahl der Pflegebedürftigen steigt auf Höchststand seit 1999",
        "Die Statistiker zählten zum Jahresende mehr als fünf Millionen Menschen, die auf Hilfe angewiesen sind.",
        "Inland",
        berlin(2025, 3, 10, 8, 0),
    ),
    (
        "Bischöfin ruft zu Zusammenhalt auf",
        "„Wir dürfen uns nicht gegeneinander ausspielen lassen“, sagte sie in ihrer Predigt in Hannover.",
        "Panorama",
        berlin(2025, 3, 9, 13, 30),
    ),
    (
        "Wer pflegt die Pflegenden?",
        "Eine Studie zeigt, wie stark Beschäftigte in Heimen belastet sind.",
        "Inland",
        berlin(2025, 3, 8, 10, 20),
    ),
    (
        "Sozialminister laden zum 3. Pflegegipfel nach Berlin",
        "Erwartet werden Vertreter von Kassen, Verbänden und Gewerkschaften.",
        "Politik",
        berlin(2025, 3, 7, 16, 55),
    ),
    (
        "Landessynode beendet Frühjahrstagung",
        '"Das war eine Tagung der klaren Worte", sagte die Präses zum Abschluss.',
        "Panorama",
        berlin(2025, 3, 6, 19, 40),
    ),
]


def test_three_topic_kicker_gives_three_topics_in_order():
    assert parse_article(PFLEGE).topics == ("Pflege", "Diakonie", "Fachkräfte")


def test_pflege_title_and_published():
    article = parse_article(PFLEGE)
    assert article.title == "Diakonie warnt vor Versorgungslücken in der Pflege auf dem Land"
    assert article.published.isoformat() == "2025-03-12T07:30:00+01:00"


def test_article_without_captions_takes_first_paragraph_as_lead():
    article = parse_article(PFLEGE)
    assert article.captions == ()
    assert article.lead == (
        "In vielen ländlichen Regionen finden Pflegebedürftige kaum noch einen ambulanten Dienst. Die "
        "Diakonie fordert deshalb ein Sofortprogramm von Bund und Ländern."
    )


def test_single_question_line_is_a_subheading_not_body():
    article = parse_article(PFLEGE)
    assert article.subheadings == ("Jede dritte Stelle bleibt monatelang unbesetzt", "Was fordert der Verband?")
    assert article.body == PFLEGE_BODY


def test_page_dump_block_of_one_paragraph_per_line_gives_a_paragraph_per_sentence_end(tmp_path):
    """Issue 15.6: lines end paragraphs at sentence ends and are joined where they wrap mid-sentence."""
    path = tmp_path / "dump.txt"
    path.write_text(
        "Impfstoff geprüft\n\n27.02.2025 - 11:57:57\n\nDer Vorspann.\n\n"
        "Die Behörde teilte mit, dass der\nCorona-Impfstoff bereits geprüft werde.\n"
        "Ein Sprecher bestätigte das am Abend.\n",
        encoding="utf-8",
    )

    article = parse_article(path)

    assert (article.lead, article.body) == (
        "Der Vorspann.",
        ("Die Behörde teilte mit, dass der Corona-Impfstoff bereits geprüft werde.", "Ein Sprecher bestätigte das am Abend."),
    )


def test_agency_from_bare_epd_line_is_epd():
    assert parse_article(PFLEGE).agency == "epd"


def test_pflege_eight_related_items_split_title_teaser_section_and_time():
    assert related_fields(parse_article(PFLEGE)) == PFLEGE_RELATED


# --- split_title_teaser and parse_datetime on their own -------------------------------------------


def test_related_item_title_ends_before_capitalised_article():
    assert split_title_teaser("Kirchen verlieren weiter Mitglieder Der Trend hält an.") == (
        "Kirchen verlieren weiter Mitglieder",
        "Der Trend hält an.",
    )


def test_capitalised_article_after_colon_stays_in_title():
    assert split_title_teaser("Streit um Pflegereform: Die Länder verlangen mehr Mitsprache Nach dem Entwurf.") == (
        "Streit um Pflegereform: Die Länder verlangen mehr Mitsprache",
        "Nach dem Entwurf.",
    )


def test_title_keeps_its_question_mark():
    assert split_title_teaser("Wer pflegt die Pflegenden? Eine Studie zeigt es.") == (
        "Wer pflegt die Pflegenden?",
        "Eine Studie zeigt es.",
    )


def test_title_ending_in_a_year_loses_the_full_stop():
    assert split_title_teaser("Höchststand seit 1999. Die Statistiker zählten mehr.") == (
        "Höchststand seit 1999",
        "Die Statistiker zählten mehr.",
    )


def test_ordinal_number_does_not_end_the_title():
    assert split_title_teaser("Minister laden zum 3. Pflegegipfel nach Berlin. Erwartet werden viele.") == (
        "Minister laden zum 3. Pflegegipfel nach Berlin",
        "Erwartet werden viele.",
    )


def test_teaser_may_open_with_a_german_quotation_mark():
    assert split_title_teaser("Bischöfin ruft zu Zusammenhalt auf „Wir dürfen nicht“, sagte sie.") == (
        "Bischöfin ruft zu Zusammenhalt auf",
        "„Wir dürfen nicht“, sagte sie.",
    )


def test_abbreviation_full_stop_does_not_end_the_title():
    assert split_title_teaser("Klinikchef Prof. Weber tritt zurück. Sein Nachfolger kommt aus Kiel.") == (
        "Klinikchef Prof. Weber tritt zurück",
        "Sein Nachfolger kommt aus Kiel.",
    )


def test_text_without_sentence_end_or_opener_is_all_title():
    assert split_title_teaser("Ergebnisse des 24. Spieltags") == ("Ergebnisse des 24. Spieltags", "")


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("27.02.2025 - 11:57:57", "2025-02-27T11:57:57+01:00"),
        ("26.01.2026 - 11:32", "2026-01-26T11:32:00+01:00"),
        ("03.06.2025 - 16:42:10", "2025-06-03T16:42:10+02:00"),
        ("24.01.2026, 12:26 Uhr", "2026-01-24T12:26:00+01:00"),
        ("3.6.2025 – 8:05", "2025-06-03T08:05:00+02:00"),
        ("2026-01-24T11:26:00Z", "2026-01-24T11:26:00+00:00"),
    ],
)
def test_parse_datetime_reads_portal_stamps_as_berlin_time(text, iso):
    assert parse_datetime(text).isoformat() == iso


def test_parse_datetime_rejects_text_without_a_date():
    with pytest.raises(ValueError):
        parse_datetime("weiterlesen")


# --- files that are not articles ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("leer.txt", b"", "die Datei ist leer"),
        ("nur_leerraum.txt", b"  \n\t\n\r\n   \n", "die Datei ist leer"),
        ("bild.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "keine Textdatei (enthält Binärdaten)"),
        ("kaputt.txt", "Überschrift".encode("cp1252") + b"\x81\x8d", "weder UTF-8 noch Windows-1252 (character maps to <undefined>)"),
        ("nur_stempel.txt", b"27.02.2025 - 11:57:57\n\nText ohne Titel.\n", "keine Überschrift vor dem Zeitstempel gefunden"),
    ],
    ids=["empty", "whitespace", "binary", "undecodable", "no-headline"],
)
def test_unparseable_file_raises_parse_error_naming_the_path(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ArticleParseError) as caught:
        parse_article(path)
    assert caught.value.message == f"{path}: {reason}"
    assert caught.value.path == str(path)
    assert caught.value.status == 422


def test_missing_file_raises_parse_error_naming_the_path(tmp_path):
    path = tmp_path / "fehlt.txt"
    with pytest.raises(ArticleParseError) as caught:
        parse_article(path)
    assert caught.value.message == f"{path}: nicht lesbar (No such file or directory)"


CP1252_PAGE = """Verkehr

Bürger äußern Ärger über Straßenlärm

05.11.2024 - 09:15:00

Anwohner der Hauptstraße fordern „mehr Ruhe“ – und Tempo 30 für 12 € Bußgeld.

@ epd
"""


def test_cp1252_file_decodes_umlauts_and_typographic_quotes(tmp_path):
    path = tmp_path / "windows.txt"
    path.write_bytes(CP1252_PAGE.encode("cp1252"))
    article = parse_article(path)
    assert (article.topics, article.title, article.lead, article.agency) == (
        ("Verkehr",),
        "Bürger äußern Ärger über Straßenlärm",
        "Anwohner der Hauptstraße fordern „mehr Ruhe“ – und Tempo 30 für 12 € Bußgeld.",
        "epd",
    )


def test_utf8_byte_order_mark_does_not_reach_the_first_topic(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(CP1252_PAGE.encode("utf-8-sig"))
    assert parse_article(path).topics == ("Verkehr",)


def test_article_without_related_list_has_no_related_items(tmp_path):
    path = tmp_path / "ohne_liste.txt"
    path.write_text(CP1252_PAGE, encoding="utf-8")
    article = parse_article(path)
    assert (article.related, article.body, article.subheadings) == ((), (), ())
