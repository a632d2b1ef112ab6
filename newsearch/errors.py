"""Library and system errors as German click errors: the one place the command line translates them.

Split from ``newsearch/cli.py`` (issue 18's review: past ~400 lines a module splits), which keeps
the commands. A ``QuerySyntaxError`` is a usage error (exit 2), any other ``NewsearchError`` a
plain error (exit 1), both with the library's German sentence. An ``OSError`` while indexing (disk
full, size limit, no write permission, read-only file system) becomes a German sentence naming
the path and the cause, exit 1; one while binding the server's port, what to do about it.
"""
from __future__ import annotations

import errno
import functools

import click

from indexer.errors import NewsearchError, QuerySyntaxError


def translate_errors(command):
    """Turn our errors into click's, so the user sees a sentence and an exit code, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except QuerySyntaxError as err:
            raise click.UsageError(err.message) from err
        except NewsearchError as err:
            raise click.ClickException(err.message) from err

    return wrapper


# What a person can do about the system errors an indexing run meets; others keep the system's text.
# SIGXFSZ needs no handler: CPython ignores it at start-up, so a write beyond ``ulimit -f`` raises
# EFBIG here instead of killing the process (tests/test_faults.py checks exactly that).
IO_CAUSES = {
    errno.ENOSPC: "kein Platz mehr auf dem Datenträger; bitte Platz schaffen",
    errno.EDQUOT: "das Speicherkontingent ist erschöpft; bitte Platz schaffen",
    errno.EFBIG: "eine Datei würde zu groß (Grenze des Dateisystems oder ulimit -f)",
    errno.EACCES: "keine Berechtigung; bitte die Schreibrechte prüfen",
    errno.EPERM: "nicht erlaubt; bitte die Schreibrechte prüfen",
    errno.EROFS: "das Dateisystem ist schreibgeschützt",
}


def translate_io_errors(command):
    """Turn an ``OSError`` of an indexing run into a German click error naming the path and the cause.

    The library never half-commits (Whoosh writes a new table of contents and renames it into
    place), so what was committed before the error is still there, and the message says so.
    """

    @functools.wraps(command)
    def wrapper(obj, *args, **kwargs):
        try:
            return command(obj, *args, **kwargs)
        except OSError as err:
            raise click.ClickException(io_error_message(err, obj["index_dir"])) from err

    return wrapper


def io_error_message(err: OSError, index_dir: str) -> str:
    cause = IO_CAUSES.get(err.errno) or err.strerror or type(err).__name__
    where = err.filename or index_dir
    return (
        f"Indexieren abgebrochen: {where}: {cause} (Fehler {err.errno}). Was bis dahin festgeschrieben war, "
        f"bleibt im Index unter {index_dir} erhalten; nach Beheben der Ursache denselben Befehl erneut "
        f"ausführen, er setzt dort fort."
    )


# Why a server could not listen, and what to do, as a person can act on it. Other errors (an
# unknown host name, ...) keep the system's text.
PORT_CAUSES = {
    errno.EADDRINUSE: ("Port {port} ist schon belegt (von einem anderen Programm oder einem laufenden "
                       "newsearch serve)", "Einen anderen Port wählen, z. B. --port {other}."),
    errno.EACCES: ("Port {port} darf nicht geöffnet werden (Ports unter 1024 brauchen Administratorrechte)",
                   "Einen Port ab 1024 wählen, z. B. --port 5000."),
    errno.EADDRNOTAVAIL: ("die Adresse {host} gehört nicht zu diesem Rechner",
                          "Mit --host eine eigene Adresse angeben, z. B. --host 127.0.0.1."),
}


def port_error_message(err: OSError, host: str, port: int) -> str:
    cause, advice = PORT_CAUSES.get(err.errno) or (f"{host}:{port}: {err.strerror or err}",
                                                   "--host und --port prüfen.")
    other = port + 1 if port < 65535 else 8080
    return f"Der Server kann nicht starten: {cause.format(host=host, port=port)}. {advice.format(other=other)}"
