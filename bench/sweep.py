"""Query-time ranking settings measured on the dev sets, per fold, over an index built once.

Issue 17 asks for ranking parameters fitted by 2-fold cross-validation, not by a search on the
whole dev set: the dev queries are shuffled with seed 17 and halved (``folds``), a setting is
chosen on one half and reported on the other, both ways. Changing a query-time constant (K1, B,
field weights, the proximity weights) leaves the index as it is, so ``run`` builds each set's
index once into a folder it keeps (``--index``) and asks every setting of a grid over it; the
28k-article news index would otherwise be rebuilt for every setting.

A setting names constants of the ranking modules and their values, ``ranking.BM25_K1=0.9``,
``ranking.FIELD_B.title=0.3`` (a key of a dict constant), ``proximity.WINDOW=8``. They are set on
the modules for the setting and put back after it: the product reads them from there, and a bench
that asked through other code would measure that code instead.

    python -m bench.sweep run xquad --index /tmp/ix-xquad --grid ranking.BM25_K1=0.6,0.9,1.2 >> sweep.jsonl
    python -m bench.sweep run news --index /tmp/ix-news --grid ... >> sweep.jsonl
    python -m bench.sweep cv sweep.jsonl

``run`` prints one JSON line per setting: the set, the setting, and the metrics on all dev
queries and on each fold. ``cv`` chooses per fold the setting with the best sum of xquad nDCG@10
and news MRR@10 on that fold (among settings measured on both sets) and reports it on the other.
"""
from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path

import click
from bench.quality import (
    DEPTH,
    Collection,
    _log,
    evaluate,
    load_beir,
    load_known_item,
)
from indexer import schema as f
from indexer.store import current_generation, open_for_reading
from indexer.write import index_articles
from search.query import open_searcher, search_ranked
from search.whoosh.combined import weighting

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
FANG = EVAL.parent / "data" / "fang-covid-real.jsonl.gz"
SEED = 17  # bench/README.md, "Issue 17": the fold split every figure there uses
# The figure each set is judged by (issue 17's goals).
OBJECTIVE = {"xquad": "ndcg@10", "news": "mrr@10"}
# Modules a setting may name; the ranking constants live only there.
MODULES = ("search.ranking", "search.whoosh.proximity", "search.context")


def load(name: str, limit: int | None = None) -> Collection:
    """A dev set by its short name, from ``shared/``."""
    if name == "xquad":
        return load_beir(EVAL / "xquad-de" / "corpus.jsonl", EVAL / "xquad-de" / "queries-dev.jsonl",
                         EVAL / "xquad-de" / "qrels-dev.tsv", limit)
    return load_known_item(FANG, EVAL / "news-titles" / "queries-dev.tsv", limit)


def folds(query_ids: Iterable[str]) -> dict[str, list[str]]:
    """The dev query ids sorted, shuffled with seed 17 and halved: fold A, fold B.

    >>> folds(["q4", "q2", "q3", "q1"])
    {'A': ['q1', 'q3'], 'B': ['q2', 'q4']}
    """
    ids = sorted(query_ids)
    random.Random(SEED).shuffle(ids)
    half = len(ids) // 2
    return {"A": ids[:half], "B": ids[half:]}


def parse_grid(specs: Iterable[str]) -> list[dict[str, float]]:
    """Every combination of ``name=v1,v2`` specs, as settings ``{name: value}``; none: the defaults.

    >>> parse_grid(["ranking.BM25_K1=0.6,0.9", "proximity.WINDOW=8"])
    [{'ranking.BM25_K1': 0.6, 'proximity.WINDOW': 8.0}, {'ranking.BM25_K1': 0.9, 'proximity.WINDOW': 8.0}]
    """
    axes = []
    for spec in specs:
        name, _, values = spec.partition("=")
        if not values:
            raise click.BadParameter(f"{spec!r}: erwartet Name=Wert1,Wert2")
        axes.append([(name.strip(), float(v)) for v in values.split(",")])
    return [dict(combo) for combo in itertools.product(*axes)]


@contextmanager
def applied(setting: dict[str, float]) -> Iterator[None]:
    """The constants of ``setting`` set on their modules, and put back afterwards."""
    undo = []
    try:
        for name, value in setting.items():
            owner, key = _target(name)
            if isinstance(owner, dict):
                if key in owner:
                    undo.append((owner.__setitem__, key, owner[key]))
                else:
                    undo.append((lambda k, _, o=owner: o.pop(k), key, None))
                owner[key] = value
            else:
                old = getattr(owner, key)
                undo.append((lambda k, v, o=owner: setattr(o, k, v), key, old))
                setattr(owner, key, type(old)(value))
        yield
    finally:
        for put, key, old in reversed(undo):
            put(key, old)


def _target(name: str):
    """(module or dict constant, attribute or key) for ``ranking.BM25_K1`` or ``ranking.FIELD_B.title``."""
    module_name, _, rest = name.partition(".")
    module = next((m for m in MODULES if m.endswith("." + module_name)), None)
    if module is None or not rest:
        raise click.BadParameter(f"{name!r}: erwartet Modul.KONSTANTE mit Modul aus {MODULES}")
    constant, _, key = rest.partition(".")
    owner = getattr(import_module(module), constant)
    if key:
        if not isinstance(owner, dict):
            raise click.BadParameter(f"{name!r}: {constant} ist kein dict")
        return owner, key
    return import_module(module), constant


def measure(searcher, collection: Collection, setting: dict[str, float]) -> dict:
    """All dev queries ranked under ``setting``; the metrics over all and over each fold."""
    started = time.perf_counter()
    with applied(setting):
        searcher.weighting = weighting()  # K1 and B per field are read when it is made
        rankings = {qid: [_answer(searcher, collection, doc) for doc, _ in search_ranked(searcher, text, DEPTH, any_words=True)]
                    for qid, text in collection.queries.items()}
    searcher.weighting = weighting()
    row = {"all": evaluate(rankings, collection.qrels)}
    for fold, ids in folds(collection.queries).items():
        row[fold] = evaluate(rankings, {qid: collection.qrels[qid] for qid in ids})
    _log(f"{setting or 'Standard'}: {row['all']} in {time.perf_counter() - started:.0f} s")
    return row


_answers: dict[int, str] = {}


def _answer(searcher, collection: Collection, doc: int) -> str:
    """The qrels' id of a document number, read once: the stored fields of 100 hits per query cost
    more than a query's ranking once the postings are cached."""
    if doc not in _answers:
        _answers[doc] = collection.answer_ids[searcher.stored_fields(doc)[f.ID]]
    return _answers[doc]


def built(collection: Collection, folder: Path):
    """The collection's index in ``folder``, built there first if it holds none."""
    if current_generation(folder) is None:
        started = time.perf_counter()
        index_articles(collection.articles, folder)
        _log(f"{len(collection.articles)} Artikel indexiert in {time.perf_counter() - started:.0f} s")
    return open_for_reading(folder)


@click.group()
def cli() -> None:
    """Ranking-Einstellungen auf den Dev-Sets messen, je Hälfte, und per 2-facher Kreuzvalidierung wählen."""


@cli.command()
@click.argument("name", type=click.Choice(sorted(OBJECTIVE)))
@click.option("--index", "folder", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Ordner des Index; wird beim ersten Lauf gebaut und danach wiederverwendet.")
@click.option("--grid", multiple=True, help="Name=Wert1,Wert2 (mehrfach: alle Kombinationen).")
@click.option("--setting", "settings", multiple=True,
              help="Eine Einstellung als JSON-Objekt {Name: Wert} (mehrfach), zusätzlich zum Gitter.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Nur die ersten N Anfragen (schneller Lauf).")
def run(name: str, folder: Path, grid: tuple[str, ...], settings: tuple[str, ...], limit: int | None) -> None:
    """Jede Einstellung auf einem Dev-Set: eine JSON-Zeile je Einstellung auf stdout."""
    collection = load(name, limit)
    chosen = [json.loads(s) for s in settings] + (parse_grid(grid) if grid or not settings else [])
    with open_searcher(built(collection, folder)) as searcher:
        for setting in chosen:
            row = {"set": name, "setting": setting, **measure(searcher, collection, setting)}
            click.echo(json.dumps(row), nl=True)


@cli.command()
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def cv(results: Path) -> None:
    """Je Hälfte die Einstellung mit der besten Summe (xquad nDCG@10 + news MRR@10), gemessen auf der anderen."""
    click.echo(json.dumps(choose(read_results(results))))


def read_results(path: Path) -> dict[str, dict[str, dict]]:
    """set -> setting (as sorted JSON) -> row; a later line for the same setting wins."""
    rows: dict[str, dict[str, dict]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.setdefault(row["set"], {})[json.dumps(row["setting"], sort_keys=True)] = row
    return rows


def choose(rows: dict[str, dict[str, dict]]) -> dict:
    """For each fold, the setting best on it over both sets, and that setting's figures on the other fold."""
    common = set.intersection(*(set(by_setting) for by_setting in rows.values()))
    if not common:
        raise click.ClickException("Keine Einstellung ist auf beiden Sets gemessen.")

    def total(setting: str, fold: str) -> float:
        return sum(rows[s][setting][fold][OBJECTIVE[s]] for s in rows)

    out = {}
    for fold, other in (("A", "B"), ("B", "A")):
        best = max(sorted(common), key=lambda s: total(s, fold))
        out[f"chosen on {fold}"] = {"setting": json.loads(best), "fit": round(total(best, fold), 4),
                                   f"held out ({other})": {s: rows[s][best][other][OBJECTIVE[s]] for s in rows}}
    return out


if __name__ == "__main__":
    cli()
