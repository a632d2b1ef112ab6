"""click in German: usage lines, help, and every error click itself reports.

click sends each sentence it shows a person through gettext: its modules call ``_(message)`` and
``ngettext(singular, plural, n)``, bound when they are imported. Standard gettext would pick the
language from ``LANGUAGE``/``LANG`` and a compiled catalogue on disk, so a shell with ``LANG=C``
would get English again. ``speak_german`` binds both names in click's modules to this catalogue
instead: the command line is German on every machine, and a sentence click adds in a later
version stays English only until ``tests/test_cli_german.py`` names it.

Our own metavars and the ``[OPTIONEN]``/``BEFEHL`` placeholders are set where the commands are
declared (``newsearch/cli.py``): click does not route those through gettext.
"""
from __future__ import annotations

import sys

# Every message click routes through ``_`` that a person can meet; the keys are click's exact text.
GERMAN = {
    "Usage:": "Aufruf:",
    "Options": "Optionen",
    "Commands": "Befehle",
    "Positional arguments": "Argumente",
    "Show this message and exit.": "Diese Hilfe zeigen und beenden.",
    "Show the version and exit.": "Die Version zeigen und beenden.",
    "%(prog)s, version %(version)s": "%(prog)s, Version %(version)s",
    "default: {default}": "Vorgabe: {default}",
    "env var: {var}": "Umgebungsvariable: {var}",
    "required": "erforderlich",
    "(dynamic)": "(wechselnd)",
    "deprecated": "veraltet",
    "Error: {message}": "Fehler: {message}",
    "Try '{command} {option}' for help.": "Hilfe: '{command} {option}'.",
    "Aborted!": "Abgebrochen.",
    "Missing command.": "Es fehlt ein Befehl.",
    "Missing argument": "Es fehlt das Argument",
    "Missing option": "Es fehlt die Option",
    "Missing parameter": "Es fehlt der Parameter",
    "Missing {param_type}": "Es fehlt {param_type}",
    "Missing parameter: {param_name}": "Es fehlt der Parameter {param_name}.",
    "No such option {name!r}.": "Die Option {name!r} gibt es nicht.",
    "No such command {name!r}.": "Den Befehl {name!r} gibt es nicht.",
    "Invalid value: {message}": "Ungültiger Wert: {message}",
    "Invalid value for {param_hint}: {message}": "Ungültiger Wert für {param_hint}: {message}",
    "Could not open file {filename!r}: {message}": "Die Datei {filename!r} lässt sich nicht öffnen: {message}",
    "unknown error": "unbekannter Fehler",
    "Value must be an iterable.": "Hier wird eine Liste von Werten erwartet.",
    "Invalid start character for option ({option})": "Ungültiges erstes Zeichen einer Option ({option})",
    "Option {name!r} does not take a value.": "Die Option {name!r} nimmt keinen Wert.",
    "Argument {name!r} takes {nargs} values.": "Das Argument {name!r} nimmt {nargs} Werte.",
    "file": "Datei",
    "directory": "Verzeichnis",
    "path": "Pfad",
    "{name} {filename!r} does not exist.": "{name} {filename!r} gibt es nicht.",
    "{name} {filename!r} is a file.": "{name} {filename!r} ist eine Datei, kein Verzeichnis.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} ist ein Verzeichnis, keine Datei.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} ist nicht lesbar.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} ist nicht beschreibbar.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} ist nicht ausführbar.",
    "{value!r} is not a valid {number_type}.": "{value!r} ist keine gültige Zahl.",
    "{value} is not in the range {range}.": "{value} liegt nicht im Bereich {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} ist kein Wahrheitswert. Erlaubt sind: {states}",
    "{value!r} is not a valid UUID.": "{value!r} ist keine gültige UUID.",
    "Choose from:\n\t{choices}": "Zur Wahl:\n\t{choices}",
    "Choice({choices})": "Auswahl({choices})",
    "Do you want to continue?": "Fortfahren?",
    "Confirm the action without prompting.": "Ohne Rückfrage bestätigen.",
    "Press any key to continue...": "Weiter mit einer beliebigen Taste …",
    "Repeat for confirmation": "Zur Bestätigung wiederholen",
    "Error: The two entered values do not match.": "Fehler: Die beiden Eingaben stimmen nicht überein.",
    "Error: invalid input": "Fehler: ungültige Eingabe",
}

# ``ngettext``'s (singular, plural) pairs and their German (singular, plural).
GERMAN_PLURALS = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        ("Unerwartetes zusätzliches Argument ({args})", "Unerwartete zusätzliche Argumente ({args})"),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        ("Meinten Sie {possibility}?", "(Meinten Sie eines davon: {possibilities}?)"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        ("Die Option {name!r} braucht einen Wert.", "Die Option {name!r} braucht {nargs} Werte."),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."):
        ("Erwartet {nargs} Werte, angegeben wurde 1.", "Erwartet {nargs} Werte, angegeben wurden {len}."),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        ("{value!r} ist nicht {choice}.", "{value!r} ist keiner der Werte {choices}."),
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."):
        ("{value!r} passt nicht zum Format {format}.", "{value!r} passt zu keinem der Formate {formats}."),
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."):
        ("{len_type} Werte sind nötig, angegeben wurde {len_value}.",
         "{len_type} Werte sind nötig, angegeben wurden {len_value}."),
}

# click's modules that bind ``_`` or ``ngettext`` at import.
CLICK_MODULES = ("click.core", "click.decorators", "click.exceptions", "click.formatting", "click.parser",
                 "click.termui", "click.types", "click.utils")


def gettext(message: str) -> str:
    return GERMAN.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    german = GERMAN_PLURALS.get((singular, plural))
    if german is None:
        return singular if n == 1 else plural
    return german[0] if n == 1 else german[1]


def speak_german() -> None:
    """Make click's own sentences German in this process. Call before declaring commands: some
    help texts (``--version``'s) are looked up when the decorator runs."""
    import click  # noqa: F401  (loads the modules named below)

    for name in CLICK_MODULES:
        module = sys.modules[name]
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
