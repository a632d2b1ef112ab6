"""The bulk writer: a fresh index built in one pass, in one or two processes, holds exactly what
Whoosh's own writer writes for the same documents, and answers queries the same."""
from __future__ import annotations

import dataclasses
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from whoosh import index

from indexer import schema as f
from indexer.analysis import compound_parts_analyzer, exact_analyzer, compound_terms, german_analyzer
from indexer.bulk import BulkWriteError, BulkWriter, write_documents
from indexer.fused import (COUNTED, EXACT, GENERIC, LISTED, STEMMED, Vocabulary, fused_plan, index_forms, index_parts,
                           index_positions)
from indexer.formats import read_articles
from indexer.jsonl import article_from_record
from indexer.schema import build_schema
from indexer.documents import article_document, related_document
from indexer.duplicates import Grouping
from search.query import build_request, open_searcher, run_query
from search.results import result_to_json
from tests.conftest import ROOT, SAMPLE

TRICKY = [
    "",
    "die der das",
    "Die US-Botschaft und die Ukraine-Gespräche",
    "Ein-Euro-Job, die-der, der-Spiegel und Nord‐Süd‑Achse",
    "Covid-19-Pandemie: 3.341 Einwohner, 88 infiziert (2,6 %) – Sars-Cov-2!",
    "Botschaftsbesitz Außenministerium Straßenbahnhaltestelle Gesundheitsamt Bundestag",
    "Praesident Präsident Mueller Müller GROSS groß Maße Masse",
    "und-oder-aber Test-und-Trace ist-das-so",
    "Ärzte\n\nÖl-Öl\tÜber-über ÆØÅ ﬁnal İstanbul",
]


# News-like German the generator mixes into the sample's own words: compounds with and without
# linking letters, hyphenation (incl. stop-word parts), umlauts and ß, numbers, inflection.
NEWS_WORDS = """Corona Impfung Impfungen Impfstoff Bundesregierung Maßnahmen Maßnahme Dunkelziffer Heinsberg
Gesundheitsamt Gesundheitsämter Infektionen infiziert Pandemie Lockdown Schulen Schülerinnen Außenministerium
Botschaft Botschaften Botschaftsbesitz Generalkonsul Bahn Brücke Brücken Pflege Pflegekräfte Krankenhaus
Straßenbahnhaltestelle Bundestag Ministerpräsident Ministerpräsidentin Landkreis Einwohner Inzidenz Grenze
Grenzen Wirtschaft Unternehmen Arbeitsplätze Kurzarbeit Müller München Köln Düsseldorf Größe groß größer
Teststrategie Testkapazitäten Kontaktbeschränkungen Ausgangssperre Mund-Nasen-Schutz Corona-Krise
US-Botschaft Ukraine-Gespräche Nord-Süd-Achse Covid-19-Pandemie Sars-Cov-2 Ein-Euro-Job Test-und-Trace
Praesident Präsident Mueller Maße Masse Straße Strassen Fußball Bundesliga Spieler Trainer Verein Vereine
sagte erklärte kündigte forderte warnten berichtete meldete beschloss wurden worden hatte hätten könnten
neue neuen neuer ersten zweiten weiteren deutlich massiv stark schwer schnell wieder noch bereits""".split()
GLUE = "der die das und in im mit von für auf nach bei am zum zur nicht auch sich es ein eine einen dem den des".split()


def news_records(count: int, seed: int = 11) -> list[dict]:
    """``count`` articles in the FANG JSON shape, generated with a fixed seed from ``NEWS_WORDS``
    and every word of the sample and test pages, frequent words far more often (Zipf-like), so
    common terms span many posting blocks and rare ones occur once, as in real news."""
    rng = random.Random(seed)
    pool = list(dict.fromkeys(NEWS_WORDS + re.findall(r"[\w-]+", " ".join(sample_texts()))))
    weights = [1 / (rank + 1) for rank in range(len(pool))]
    rng.shuffle(pool)

    def sentence() -> str:
        words = []
        for _ in range(rng.randint(4, 18)):
            roll = rng.random()
            if roll < 0.3:
                words.append(rng.choice(GLUE))
            elif roll < 0.33:
                words.append(f"{rng.randint(1, 99_999):,}".replace(",", ".") + rng.choice(["", " Prozent", " %", " Euro"]))
            elif roll < 0.36:
                words.append("-".join(rng.choices(pool, weights, k=2)))
            else:
                words.append(rng.choices(pool, weights)[0])
        text = " ".join(words)
        return text[:1].upper() + text[1:] + rng.choice([".", ".", ".", "?", "!", ":", " –"])

    records = []
    for i in range(count):
        paragraphs = ["\n".join(" ".join(sentence() for _ in range(rng.randint(1, 4))) for _ in range(1))
                      for _ in range(rng.randint(2, 9))]
        records.append({
            "id": f"gen-{i}", "url": f"https://example.org/meldung/{i}", "source": rng.choice(["Zeit", "SZ", "Tagesspiegel"]),
            "section": rng.choice(["politik", "wirtschaft", "wissen", "sport"]),
            "date": f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:15:00+01:00",
            "title": sentence().rstrip(".?!: –"), "text": "\n\n".join(paragraphs),
            # about a third with one or two authors (one shared by many), most with a publisher
            "authors": rng.sample(["Anna Weber", "Jonas Klein", f"Autorin {i}", "dpa"], rng.randint(0, 2)) if i % 3 else [],
            "publisher": rng.choice(["", "ZEIT ONLINE", "Süddeutsche Zeitung"]),
        })
    return records


def sample_texts() -> list[str]:
    """Every text of the sample article and the test pages, each paragraph alone."""
    texts = []
    for path in [SAMPLE, *sorted((ROOT / "tests" / "data").glob("0*.txt"))]:
        for article in read_articles(path, lambda where, reason: None):
            texts += [article.title, article.lead, *article.body, *article.subheadings]
            texts += [c.text for c in article.captions]
            texts += [text for item in article.related for text in (item.title, item.teaser)]
    return texts


def news_sentences(count: int) -> list[str]:
    sentences = []
    for record in news_records(400):
        sentences += [s for s in re.split(r"(?<=[.!?])\s+", record.get("title", "") + "\n" + record["text"]) if s]
    assert len(sentences) >= count, len(sentences)
    return sentences[:count]


CHAINS = {"stemmed": german_analyzer, "exact": exact_analyzer, "parts": compound_parts_analyzer}


def chain_tokens(analyzer: str, text: str) -> list[tuple[str, int, int, int]]:
    tokens = CHAINS[analyzer]()(text, positions=True, chars=True, mode="index")
    return [(t.text, t.pos, t.startchar, t.endchar) for t in tokens]


def test_fused_index_terms_are_what_the_chains_index():
    texts = TRICKY + sample_texts() + news_sentences(3000) + [r["text"] for r in news_records(200)]
    vocabulary = Vocabulary(lexicon_limit=1_000)  # a small lexicon: its generations turn over here too
    for text in texts:
        positions: dict[str, list[int]] = {}
        for term, pos, _, _ in chain_tokens("stemmed", text):
            positions.setdefault(term, []).append(pos)
        assert index_positions(text, vocabulary) == positions, text
        forms: dict[str, list[int]] = {}
        for term, pos, _, _ in chain_tokens("exact", text):
            forms.setdefault(term, []).append(pos)
        assert index_forms(text, vocabulary) == forms, text
        assert index_parts(text, vocabulary) == Counter(t for t, *_ in chain_tokens("parts", text)), text
        assert list(index_parts(text, vocabulary).elements()) == list(Counter(compound_terms(text)).elements()), text
    assert len(vocabulary) > 3_000
    vocabulary.clear()
    assert (len(vocabulary), index_positions("Botschaft Moskau", vocabulary), vocabulary.texts) == (
        0, {"botschaft": [0], "moskau": [1]}, ["botschaft", "moskau"])


def test_the_schemas_text_fields_take_the_fused_path():
    """A bump of ANALYZER_VERSION without FUSED_FOR_ANALYZER_VERSION (after the test above passes)
    silently sends every field through Whoosh's own analysis: the same index, at ~2.7 times the
    build processes' CPU (913a801 did so from ANALYZER_VERSION 11 on; bench/README.md, issue 18)."""
    plans = {name: fused_plan(field) for name, field in build_schema().items() if field.indexed}
    assert {name: plan for name, plan in plans.items() if plan != GENERIC} == {
        "title": STEMMED, "topics": STEMMED, "lead": STEMMED, "body": STEMMED, "subheadings": STEMMED,
        "captions": STEMMED, "exact": EXACT, "parts": COUNTED, "author": LISTED, "dup_bands": LISTED,
        "genre": LISTED, "parents": LISTED, "topic": LISTED}


# --- whole indexes -------------------------------------------------------------------------------


def test_documents() -> list[dict]:
    """The sample article and the test pages with their related items, 140 copies of the sample
    (so frequent terms fill more than one 128-posting block), 150 generated news articles (``news_records``)
    and the agency items of ``tests/data/wire``."""
    articles = []
    for path in [SAMPLE, *sorted((ROOT / "tests" / "data").glob("0*.txt"))]:
        articles += read_articles(path, lambda where, reason: None)
    sample = articles[0]
    articles += [
        dataclasses.replace(sample, id=f"copy-{i}", title=f"{sample.title} {i}", body=sample.body[: 1 + i % 7])
        for i in range(140)
    ]
    articles += [article_from_record(r, "news.jsonl", "news.jsonl") for r in news_records(150)]
    # Agency items carry fields of their own (author, version, versions seen, genre, …)
    for path in sorted((ROOT / "tests" / "data" / "wire").iterdir()):
        articles += read_articles(path, lambda where, reason: None)
    docs = [article_document(a) for a in articles]
    grouping = Grouping(None)  # the near-duplicate fields, as an indexing run gives them: 16 band terms each
    for doc in docs:
        grouping.assign(doc)
    related = {item.id: related_document(item, [a.id]) for a in articles for item in a.related}
    return docs + list(related.values())


test_documents.__test__ = False  # a helper, not a test


def whoosh_index(path: Path, docs: list[dict]):
    path.mkdir()
    ix = index.create_in(path, build_schema())
    writer = ix.writer()
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return ix


def bulk_index(path: Path, docs: list[dict], procs: int):
    path.mkdir()
    ix = index.create_in(path, build_schema())
    write_documents(ix, docs, procs=procs, min_docs_per_proc=1)
    return ix


def contents(ix) -> dict:
    """Everything a reader can get out of the index, posting by posting."""
    with ix.reader() as reader:
        out = {"stored": list(reader.all_stored_fields()), "doc_count": reader.doc_count_all()}
        for name in sorted(reader.indexed_field_names()):
            field = reader.schema[name]
            terms = {}
            for term in reader.lexicon(name):
                info = reader.term_info(name, term)
                matcher = reader.postings(name, term)
                postings = []
                while matcher.is_active():
                    postings.append((matcher.id(), matcher.weight(), matcher.value()))
                    matcher.next()
                stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                         info.max_weight(), info.min_id(), info.max_id())
                terms[term] = (stats, postings)
            # A segment without the field answers 0 where a segment with it answers None past its
            # last such document: both mean "no tokens", and scoring never asks for such documents.
            lengths = [reader.doc_field_length(d, name) or 0 for d in range(reader.doc_count_all())]
            out[name] = (terms, reader.field_length(name), lengths)
            if field.column_type:
                out[f"column {name}"] = list(reader.column_reader(name))
        return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The same documents written by Whoosh's writer, and by the bulk writer in one and in two processes."""
    docs = test_documents()
    base = tmp_path_factory.mktemp("bulk")
    return {
        "whoosh": whoosh_index(base / "whoosh", docs),
        "bulk": bulk_index(base / "bulk", docs, procs=1),
        "bulk2": bulk_index(base / "bulk2", docs, procs=2),
        "docs": docs,
    }


def test_bulk_index_holds_exactly_what_whoosh_writes(built):
    expected = contents(built["whoosh"])
    assert len(built["bulk"]._read_toc().segments) == 1
    assert contents(built["bulk"]) == expected


def test_bulk_index_of_two_processes_holds_what_whoosh_writes_in_two_segments(built):
    expected = contents(built["whoosh"])
    segments = built["bulk2"]._read_toc().segments
    docs = len(built["docs"])
    assert [s.doc_count_all() for s in segments] == [docs - docs // 2, docs // 2]
    assert contents(built["bulk2"]) == expected


def test_segments_closed_at_the_posting_budget_hold_what_whoosh_writes(built, tmp_path):
    """The budget bounds a build process's memory; the index it leaves is the same, in more segments."""
    expected = contents(built["whoosh"])
    (tmp_path / "small").mkdir()
    ix = index.create_in(tmp_path / "small", build_schema())
    write_documents(ix, built["docs"], procs=2, min_docs_per_proc=1, max_postings=20_000)
    segments = ix._read_toc().segments
    assert len(segments) >= 4 and sum(s.doc_count_all() for s in segments) == len(built["docs"])
    assert contents(ix) == expected
    assert not [p.name for p in (tmp_path / "small").iterdir() if p.name.startswith("bulk-")]


def test_multi_block_terms_are_covered(built):
    """Guards the two tests above: without terms of more than one block they would not test the block writer."""
    with built["whoosh"].reader() as reader:
        assert reader.doc_frequency(f.BODY, "botschaft") > 128


def contents_by_id(ix) -> dict:
    """``contents`` with every document number replaced by the document's id, in id order: for
    builds whose documents are numbered in another order. Deleted documents are left out."""
    with ix.reader() as reader:
        ids = {d: reader.stored_fields(d)[f.ID] for d in range(reader.doc_count_all()) if not reader.is_deleted(d)}
    out = contents(ix)
    result = {"stored": sorted(out.pop("stored"), key=lambda d: d[f.ID]), "doc_count": len(ids)}
    del out["doc_count"]
    for name, value in out.items():
        if name.startswith("column "):
            result[name] = sorted((ids[d], v) for d, v in enumerate(value) if d in ids)
            continue
        terms, _total, lengths = value
        result[name] = (
            {term: (stats[:5], sorted((ids[d], w, v) for d, w, v in postings if d in ids))
             for term, (stats, postings) in terms.items()},
            sorted((ids[d], length) for d, length in enumerate(lengths) if d in ids),
        )
    return result


def test_documents_streamed_to_the_build_processes_in_chunks_hold_what_whoosh_writes(built, tmp_path):
    """Past ``chunk_bytes`` of spool the build processes start while documents still come, and
    take the chunks as they become free: the index holds the same, possibly numbered in
    another order, in segments that span several chunks."""
    (tmp_path / "streamed").mkdir()
    ix = index.create_in(tmp_path / "streamed", build_schema())
    write_documents(ix, built["docs"], procs=2, min_docs_per_proc=1, chunk_bytes=20_000)
    segments = ix._read_toc().segments
    assert 2 <= len(segments) <= 4, [s.doc_count_all() for s in segments]
    assert contents_by_id(ix) == contents_by_id(built["whoosh"])


def test_a_document_replaced_after_its_chunk_was_built_is_deleted_in_its_segment(built, tmp_path):
    ix = index.create_in(tmp_path, build_schema())
    docs = built["docs"]
    writer = BulkWriter(ix, procs=2, min_docs_per_proc=1, chunk_bytes=20_000)
    for d in docs:
        writer.add_document(**d)
    first = docs[0]
    assert writer._sent > 0, "the first document must have gone to a build process already"
    writer.update_document(**{**first, f.TITLE: "Neue Fassung des Titels"})
    writer.delete_by_term(f.ID, docs[1][f.ID])
    writer.commit()
    with ix.searcher() as searcher:
        assert searcher.doc_count() == len(docs) - 1
        assert [d[f.TITLE] for d in searcher.documents(id=first[f.ID])] == ["Neue Fassung des Titels"]
        assert list(searcher.documents(id=docs[1][f.ID])) == []
        assert any(segment.has_deletions() for segment in ix._read_toc().segments)


QUERIES = [
    "Botschaft", "Botschaften", "Außenministerium", "Aussenministerium", '"US Botschaft"', "Corona Impfung",
    "Bahn Brücke", "Pflege", "Ministerium", "Bundesregierung Maßnahmen", "Dunkelziffer Heinsberg",
    "title:Botschaft", "Corona -Impfung",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("which", ["bulk", "bulk2"])
def test_bulk_index_answers_queries_like_the_whoosh_built_one(built, which, query):
    def answer(ix):
        with open_searcher(ix) as searcher:
            return result_to_json(run_query(searcher, build_request(query, per_page=50)))

    expected = answer(built["whoosh"])
    assert expected["total"] > 0, query  # a query that finds nothing would compare nothing
    assert answer(built[which]) == expected


def test_counted_fields_given_as_text_or_as_term_lists_index_the_same(tmp_path):
    """``parts`` may come as the text itself (analysed in the build processes) or as the term list
    ``compound_terms`` makes (the parent analysed it): the index is the same."""
    docs = test_documents()[:60]
    as_text = []
    for doc in docs:
        text = "\n".join(filter(None, (doc.get(n) for n in (f.TITLE, f.TOPICS, f.LEAD, f.SUBHEADINGS, f.BODY, f.CAPTIONS))))
        if compound_terms(text) == doc[f.PARTS]:
            doc = {**doc, f.PARTS: text}
        as_text.append(doc)
    assert sum(isinstance(d[f.PARTS], str) for d in as_text) > 50, "the comparison must cover documents given as text"
    assert contents(bulk_index(tmp_path / "text", as_text, 1)) == contents(bulk_index(tmp_path / "lists", docs, 1))


# --- the writer's contract -----------------------------------------------------------------------


def doc(id_: str, title: str) -> dict:
    return {f.ID: id_, f.KIND: "article", f.TITLE: title, f.EXACT: title, f.PARTS: title}


def stored_titles(ix) -> list[tuple[str, str]]:
    with ix.searcher() as searcher:
        return [(d[f.ID], d[f.TITLE]) for d in searcher.all_stored_fields()]


def test_update_replaces_and_delete_removes_documents_added_before_the_commit(tmp_path):
    ix = index.create_in(tmp_path, build_schema())
    writer = BulkWriter(ix)
    writer.add_document(**doc("a", "Hafen Hamburg"))
    writer.add_document(**doc("b", "Windräder"))
    writer.add_document(**doc("c", "Brücken"))
    writer.update_document(**doc("a", "Hafen Bremen"))
    assert writer.delete_by_term(f.ID, "b") == 1
    assert writer.delete_by_term(f.ID, "nie-da") == 0
    writer.commit()
    assert stored_titles(ix) == [("c", "Brücken"), ("a", "Hafen Bremen")]
    with ix.searcher() as searcher:
        assert [d[f.ID] for d in searcher.documents(title="hamburg")] == []


def test_bulk_writer_adds_beside_existing_segments_and_replaces_their_documents(tmp_path):
    """A large batch into an index that holds documents takes the bulk writer too (indexer/write.py,
    BULK_MIN_BYTES): a document it replaces or deletes must go from its old segment, as with
    Whoosh's writer, and a segment left without documents must go from the index."""
    ix = index.create_in(tmp_path, build_schema())
    write_documents(ix, [doc("a", "Hafen Hamburg"), doc("b", "Bahn"), doc("k", "Kai")])
    writer = ix.writer()
    writer.add_document(**doc("c", "Brücken"))
    writer.commit(merge=False)
    assert len(ix._read_toc().segments) == 2
    writer = BulkWriter(ix)
    writer.update_document(**doc("a", "Hafen Bremen"))
    assert writer.delete_by_term(f.ID, "b") == 1
    assert writer.delete_by_term(f.ID, "c") == 1
    writer.add_document(**doc("d", "Deich"))
    writer.commit()
    assert sorted(stored_titles(ix)) == [("a", "Hafen Bremen"), ("d", "Deich"), ("k", "Kai")]
    with ix.searcher() as searcher:
        assert [d[f.ID] for d in searcher.documents(title="hamburg")] == []
        assert [d[f.ID] for d in searcher.documents(title="haf")] == ["a"]
    assert len(ix._read_toc().segments) == 2, "the segment of the deleted 'c' must be dropped"
    with ix.writer() as writer:  # the lock was released
        writer.add_document(**doc("e", "Bahn"))
    assert sorted(stored_titles(ix)) == [("a", "Hafen Bremen"), ("d", "Deich"), ("e", "Bahn"), ("k", "Kai")]


def test_a_failing_build_process_names_its_documents_and_commits_nothing(tmp_path):
    ix = index.create_in(tmp_path, build_schema())
    docs = [doc(f"d{i}", f"Meldung {i}") for i in range(6)]
    docs[4] = {**docs[4], f.PUBLISHED: "kein Datum"}  # only the build process finds out
    with pytest.raises(BulkWriteError) as failure:
        write_documents(ix, docs, procs=2, min_docs_per_proc=1)
    assert "documents 3–5" in failure.value.message and "kein" in failure.value.message, failure.value.message
    assert "documents 0–2" not in failure.value.message
    assert index.open_dir(tmp_path).doc_count_all() == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MAIN_WRITELOCK", "_MAIN_0.toc"]
