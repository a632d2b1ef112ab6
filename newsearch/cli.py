"""``newsearch``: index article files, query them, serve the web UI.

Each subcommand reads its options, calls one library function and prints the result. Library
errors become click errors at this edge only, through ``newsearch/errors.py``: a
``QuerySyntaxError`` is a usage error (exit 2), any other ``NewsearchError`` a plain error
(exit 1), an ``OSError`` while indexing or binding a port a German sentence naming the cause.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import time

import click

from indexer.settings import (
    COMMIT_EVERY_SECONDS, HOST, INDEX_DIR, LOCK_TIMEOUT, MAX_FILE_BYTES, NICE, PER_PAGE, PORT, SERVE_PROCESSES,
    SERVE_THREADS, SIMILAR_COUNT,
)
from indexer.shards import index_paths
from indexer.watch import watch_directory
from newsearch.errors import port_error_message, translate_errors, translate_io_errors
from newsearch.messages import speak_german
from newsearch.raycli import RayTarget, ray_options
from newsearch.text import print_document, print_result, print_similar
from search.display import counted, format_count
from search.documents import document_to_json, get_document, similar_documents, similar_to_json
from search.export import FORMATS, MAX_ROWS, export_hits, export_lines
from search.facets import KEYWORD_FACETS
from search.query import SORT_ALIASES, SORTS, build_request, run_query
from search.scatter import open_shards
from search.results import result_to_json

speak_german()  # before the commands are declared: click looks some help texts up as they are


class Command(click.Command):
    """A command whose usage line reads ``[OPTIONEN]``: click writes that placeholder itself."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[OPTIONEN]")
        super().__init__(*args, **kwargs)


class Group(click.Group):
    command_class = Command

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[OPTIONEN]")
        kwargs.setdefault("subcommand_metavar", "BEFEHL [ARGUMENTE]...")
        super().__init__(*args, **kwargs)


@click.group(cls=Group)
@click.option(
    "--index-dir",
    envvar="NEWSEARCH_INDEX",
    default=INDEX_DIR,
    show_default=True,
    type=click.Path(file_okay=False),
    metavar="VERZEICHNIS",
    help="Das Indexverzeichnis (auch über die Umgebungsvariable NEWSEARCH_INDEX).",
)
@click.version_option(package_name="newsearch")
@click.pass_context
def cli(ctx: click.Context, index_dir: str) -> None:
    """newsearch: Volltextsuche für deutsche Nachrichten."""
    ctx.ensure_object(dict)
    ctx.obj["index_dir"] = index_dir


NICE_OPTION = click.option(
    "--nice", type=click.IntRange(0, 19), default=NICE, show_default=True, metavar="ZAHL",
    help="CPU-Priorität des Indexierens senken (wie nice), damit Suchanfragen Vorrang haben; 0 = unverändert.")


def yield_cpu(nice: int) -> None:
    """Lower this process's CPU priority by ``nice`` (Unix); elsewhere, or if refused, leave it."""
    if nice and hasattr(os, "nice"):
        try:
            os.nice(nice)
        except OSError:
            pass


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True), metavar="PFAD...")
@click.option("--full", is_flag=True, help="Neu aufbauen und erst am Ende atomar austauschen.")
@click.option("--max-file-size", type=int, default=MAX_FILE_BYTES, show_default=True, metavar="BYTES",
              help="Größere Dateien (bei JSON Lines: größere Zeilen) werden als fehlerhaft gemeldet statt gelesen.")
@click.option("--wait", type=float, default=LOCK_TIMEOUT, show_default=True, metavar="SEKUNDEN",
              help="So lange auf einen anderen Schreibvorgang warten.")
@click.option("--commit-every", type=float, default=COMMIT_EVERY_SECONDS, show_default=True, metavar="SEKUNDEN",
              help="Zwischendurch so oft festschreiben: ein Abbruch verliert höchstens so viel Arbeit.")
@click.option("--shard-size", type=click.IntRange(1), default=None, metavar="ZAHL",
              help="Den Index in Zeitabschnitte teilen: ein neuer beginnt, wenn der neueste so viele Artikel hält.")
@click.option("--ray", metavar="ADRESSE", default=None,
              help="Jeden Indexabschnitt in einer eigenen Ray-Aufgabe bauen: local startet ein lokales Ray, sonst die "
                   "Adresse eines laufenden Clusters. Alle Knoten müssen das Indexverzeichnis unter demselben Pfad sehen.")
@NICE_OPTION
@click.pass_obj
@translate_io_errors
@translate_errors
def index(obj: dict, paths: tuple[str, ...], full: bool, max_file_size: int, wait: float, commit_every: float,
          shard_size: int | None, ray: str | None, nice: int) -> None:
    """Artikeldateien (oder Verzeichnisse) in den Index aufnehmen.

    Inkrementell: neue Dateien kommen hinzu, geänderte werden neu gelesen, verschwundene entfernt.
    """
    yield_cpu(nice)
    with _progress_bar() as progress:
        options = dict(full=full, progress=progress, max_bytes=max_file_size, lock_timeout=wait,
                       commit_every=commit_every)
        report = index_paths(paths, obj["index_dir"], shard_size, ray=ray, **options)
    for failure in report.failures:
        click.echo(f"Fehler: {failure.path}: {failure.reason}", err=True)
    for skipped in report.skipped:  # not an error: the exit code stays 0 for them
        click.echo(f"Übersprungen: {skipped.path}: {skipped.reason}", err=True)
    if report.undated:
        click.echo(f"Hinweis: {report.undated} Artikel ohne Datum: auffindbar, aber in keiner Datumsfacette.", err=True)
    click.echo(
        f"{counted(report.articles, 'Artikel', 'Artikel')} und "
        f"{counted(report.related, 'weitere Meldung', 'weitere Meldungen')} indexiert "
        f"({counted(report.articles + report.related, 'Dokument', 'Dokumente')}) in {obj['index_dir']}; "
        f"{changes(report)}."
    )
    if report.failures:
        sys.exit(1)


def changes(report) -> str:
    """An indexing run's counts as ``index`` and each ``watch`` pass print them."""
    return (f"neu: {format_count(report.added)}, aktualisiert: {format_count(report.updated)}, "
            f"gelöscht: {format_count(report.deleted)}, unverändert: {format_count(report.unchanged)}, "
            f"fehlerhaft: {format_count(len(report.failures))}"
            + (f", übersprungen: {format_count(len(report.skipped))}" if report.skipped else "")
            + (f", ältere Fassungen ignoriert: {format_count(report.superseded)}" if report.superseded else ""))


@contextlib.contextmanager
def _progress_bar():
    """A bar with documents per second on a terminal; nothing at all when output is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    started = time.monotonic()
    bar = None

    def update(done: int, total: int, docs: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Indexiere", file=sys.stderr, show_pos=True,
                                    item_show_func=lambda rate: rate)
            bar.__enter__()
        rate = docs / max(time.monotonic() - started, 1e-6)
        bar.update(done - bar.pos, f"{format_count(round(rate))} Dok./s")

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def facet_options(command):
    """``--section``, ``--topic``, ``--agency``, ``--source``: one option per keyword facet of the registry."""
    for facet in reversed(KEYWORD_FACETS):
        command = click.option(f"--{facet.name}", facet.name, metavar=facet.title.upper(), multiple=True,
                               help=f"{facet.title}, z. B. {facet.example} (mehrfach: eines davon).")(command)
    return command


@cli.command()
@click.argument("text", required=False, default="")
@click.option("--from", "date_from", metavar="DATUM", help="Frühestes Datum, z. B. 2026-01-24 oder 24.01.2026.")
@click.option("--to", "date_to", metavar="DATUM", help="Spätestes Datum (einschließlich).")
@facet_options
@click.option("--recency", is_flag=True, help="Neuere Artikel bei gleicher Relevanz bevorzugen.")
@click.option("--exact", is_flag=True, help="Die Wörter nur so, wie sie geschrieben sind, ohne andere Formen.")
@click.option("--no-collapse", "no_collapse", is_flag=True,
              help="Beinahe gleiche Texte (Fassungen einer Meldung) einzeln zeigen statt unter einem Treffer.")
@click.option("--sort", type=click.Choice([*SORTS, *SORT_ALIASES]), default="relevance", show_default=True,
              help="Nach Relevanz, neueste zuerst (newest, auch date) oder älteste zuerst (oldest).")
@click.option("--limit", type=int, default=PER_PAGE, show_default=True, metavar="ZAHL",
              help="Treffer pro Seite.")
@click.option("--page", type=int, default=1, show_default=True, metavar="ZAHL", help="Welche Seite der Treffer.")
@click.option("--json", "as_json", is_flag=True, help="Ergebnis als JSON-Objekt ausgeben (wie /api/search).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", *FORMATS]), default="text", show_default=True,
              help="Ausgabe: text, json (wie --json), csv oder jsonl (eine Zeile je Treffer, wie /export.csv).")
@click.option("--all", "everything", is_flag=True,
              help=f"Mit --format csv oder jsonl: alle Treffer statt einer Seite (höchstens {format_count(MAX_ROWS)}).")
@ray_options
@click.pass_obj
@translate_errors
def query(obj: dict, text, date_from, date_to, recency, exact, no_collapse, sort, limit, page, as_json, fmt,
          everything, ray, **chosen) -> None:
    """Den Index durchsuchen; ohne TEXT die neuesten Dokumente.

    \b
    Suchsprache: Wörter werden UND-verknüpft; "exakte Phrase"; "Merkel Macron"~5 (höchstens 5 Wörter
    dazwischen); ODER, NICHT, -wort, +wort, (Klammern);
    titel:, autor:Weber, autor:"Anna Weber", ressort:, thema:, agentur:, quelle:zeit.de, datum:gestern;
    Präfix mit Botschaft*. Eine Frage mit ? am Ende verlangt nur ihre Inhaltswörter (nicht wer, wann, wurde …).
    Datumsangaben: 2026-01-24, 24.01.2026, Januar 2026, 2026-01, heute, gestern, letzte Woche,
    letzten Monat, seit Montag, vor 3 Tagen.
    """
    request = build_request(text, date_from, date_to, sort=sort, page=page, per_page=limit, recency=recency,
                            exact=exact, collapse=not no_collapse, **chosen)
    if everything and fmt not in FORMATS:
        raise click.UsageError("--all gibt es nur mit --format csv oder --format jsonl.")
    if fmt in FORMATS:
        with opened(obj["index_dir"], ray) as shards:
            hits = export_hits(shards, request) if everything else run_query(shards, request).hits
            write_lines(export_lines(iter(hits), fmt))
        return
    answer(obj["index_dir"], lambda shards: run_query(shards, request), as_json or fmt == "json", result_to_json,
           print_result, ray)


@cli.command()
@click.argument("doc_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Als JSON ausgeben (wie /api/document/ID).")
@ray_options
@click.pass_obj
@translate_errors
def show(obj: dict, doc_id: str, as_json: bool, ray) -> None:
    """Ein Dokument ganz zeigen (die Kennung steht in eckigen Klammern bei jedem Treffer)."""
    answer(obj["index_dir"], lambda searcher: get_document(searcher, doc_id), as_json, document_to_json,
           print_document, ray)


@cli.command()
@click.argument("doc_id", metavar="ID")
@click.option("--limit", type=int, default=SIMILAR_COUNT, show_default=True, metavar="ZAHL",
              help="Höchstens so viele ähnliche Dokumente.")
@click.option("--json", "as_json", is_flag=True, help="Als JSON ausgeben (wie /api/similar/ID).")
@ray_options
@click.pass_obj
@translate_errors
def similar(obj: dict, doc_id: str, limit: int, as_json: bool, ray) -> None:
    """Ähnliche Artikel zu einem Dokument (die Kennung steht in eckigen Klammern bei jedem Treffer)."""
    answer(obj["index_dir"], lambda shards: (similar_documents(shards, doc_id, limit=limit), shards.missing), as_json,
           lambda found: similar_to_json(doc_id, *found), lambda found, color: print_similar(doc_id, *found, color), ray)


def write_lines(lines) -> None:
    """Export rows to stdout as UTF-8 bytes whatever the locale; a closed pipe (``| head``) ends it quietly."""
    try:
        for line in lines:
            sys.stdout.buffer.write(line.encode("utf-8"))
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit


@contextlib.contextmanager
def opened(index_dir: str, ray: RayTarget | None = None):
    """The index's shards for searching: in this process, or as Ray actors with ``ray``."""
    if ray:
        from search.cluster import open_ray_shards

        yield open_ray_shards(index_dir, ray.address, replicas=ray.replicas)
    else:
        with open_shards(index_dir) as shards:
            yield shards


def answer(index_dir: str, ask, as_json: bool, to_json, to_text, ray: RayTarget | None = None) -> None:
    """What ``query``, ``show`` and ``similar`` share: ask a searcher over the index (its shards as
    Ray actors with ``ray``), then print the answer as the API's JSON (``to_json``) or as text
    (``to_text``, in colour on a terminal)."""
    with opened(index_dir, ray) as shards:
        found = ask(shards)
    if as_json:
        click.echo(json.dumps(to_json(found), ensure_ascii=False, indent=2))
    else:
        to_text(found, sys.stdout.isatty())


@cli.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False), metavar="VERZEICHNIS")
@click.option("--max-file-size", type=int, default=MAX_FILE_BYTES, show_default=True, metavar="BYTES",
              help="Größere Dateien werden als fehlerhaft gemeldet statt gelesen.")
@NICE_OPTION
@click.pass_obj
@translate_io_errors
@translate_errors
def watch(obj: dict, directory: str, max_file_size: int, nice: int) -> None:
    """Ein Verzeichnis beobachten und neue oder geänderte Dateien sofort indexieren (Strg-C beendet)."""
    yield_cpu(nice)
    click.echo(f"Beobachte {directory} (Index: {obj['index_dir']}); Strg-C beendet.", err=True)
    try:
        for report in watch_directory(directory, obj["index_dir"], max_bytes=max_file_size):
            for failure in report.failures:
                click.echo(f"Fehler: {failure.path}: {failure.reason}", err=True)
            click.echo(f"{time.strftime('%H:%M:%S')} {changes(report)}")
    except KeyboardInterrupt:
        click.echo("Beendet.", err=True)


@cli.command()
@click.option("--host", default=HOST, show_default=True, metavar="ADRESSE",
              help="Auf dieser Adresse lauschen (0.0.0.0: auf allen).")
@click.option("--port", default=PORT, show_default=True, type=int, metavar="ZAHL", help="Auf diesem Port lauschen.")
@click.option("--threads", default=None, type=click.IntRange(1, 256), metavar="ZAHL",
              help=f"App-Threads je Serverprozess (Vorgabe: {SERVE_THREADS}; mehr verlängern unter Last die langsamen Anfragen).")
@click.option("--processes", default=None, type=click.IntRange(1, 64), metavar="ZAHL",
              help="Serverprozesse auf demselben Port (Vorgabe: einer je Kern, höchstens 4), denn ein Prozess "
                   "sucht auf einem Kern.")
@click.option("--debug", is_flag=True, help="Flasks Entwicklungsserver mit Neuladen statt waitress.")
@ray_options
@click.pass_obj
def serve(obj: dict, host: str, port: int, threads: int, processes: int, debug: bool, ray: RayTarget | None) -> None:
    """Die Weboberfläche und die JSON-API starten."""
    from web import create_app
    from web.serving import listen
    from web.serving import serve as serve_app

    def create():
        return create_app({"INDEX_DIR": obj["index_dir"], "RAY_ADDRESS": ray and ray.address,
                           "RAY_REPLICAS": ray.replicas if ray else 1})

    # Flask's reloader runs this command again in a child that serves on the socket its parent
    # bound: the child neither checks the port nor announces itself a second time.
    reloaded = os.environ.get("WERKZEUG_RUN_MAIN") == "true"
    if not reloaded:
        try:
            listener = listen(host, port)
        except OSError as err:
            raise click.ClickException(port_error_message(err, host, port)) from err
        click.echo(f"newsearch: http://{host}:{port}/ (Index: {obj['index_dir']})", err=True)
    if debug:
        if not reloaded:
            listener.close()  # Flask binds the port itself, at once, with SO_REUSEADDR as we did
        create().run(host=host, port=port, debug=True)
    else:
        # With --ray the shard actors search; one server process (one Ray driver) suffices.
        serve_app(create, listener, threads or SERVE_THREADS, processes or (1 if ray else SERVE_PROCESSES))
