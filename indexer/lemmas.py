"""Lemmas where Snowball German stems wrongly: a word is looked up first, and its lemma is stemmed.

Snowball strips endings by rule, so German's vowel changes and foreign plurals escape it:
``ging``, ``gegangen`` and ``gehen`` stem to ``ging``, ``gegang`` and ``geh``; ``Mechanismen`` to
``mechanism`` but ``Mechanismus`` to ``mechanismus``; ``wurde`` is not ``werden``. A lemma dictionary
knows these forms. Stemming the lemma keeps what Snowball does well (umlaut folding, ``ae`` for
``ä``, word families), and adds the forms it misses: on the dev sets xquad-de nDCG@10 +0.009
(bench/README.md, "Issue 17").

The dictionary is simplemma's German list (pinned in pyproject.toml; 1.1 million word forms from
Wiktionary, Měchura's lemmatization lists and others, under their own licences). We do not ship
a copy: the first process on a machine derives from the installed package the 143,000 forms whose
lemma stems otherwise than the form itself (all others change nothing) and keeps them in a cache
file, which later processes read in a fraction of a second. Loading simplemma itself would cost
every process 3-5 s and 110 MB.

Upgrading simplemma, PyStemmer or wordfreq (whose frequencies drop far rarer lemmas:
``_frequent_readings``) changes how text is analysed: bump ``ANALYZER_VERSION`` with it. The cache
file is named after the three versions, so a new one is derived on its own.
"""
from __future__ import annotations

import lzma
import os
import tempfile
from importlib.metadata import version
from pathlib import Path

import Stemmer

# Bump when the derivation below changes, so that old cache files are not read.
# 3: a nominalised participle or adjective (``Entwickelte``, ``Gegangene``) no longer blocks its forms.
# 4: no form whose lemma is far rarer than the form (``Leuten`` is no form of ``läuten``).
TABLE_FORMAT = 4
MIN_FORM = 3  # letters

_stem = Stemmer.Stemmer("german").stemWord
_table: dict[str, str] | None = None


def lemma_table() -> dict[str, str]:
    """Lower-cased word form -> lower-cased lemma, for the forms whose lemma stems differently."""
    global _table
    if _table is None:
        path = cache_path()
        try:
            _table = _read(path)
        except (OSError, ValueError, lzma.LZMAError):
            _table = derive_table()
            _write(path, _table)
    return _table


def cache_path() -> Path:
    """Where the derived table is kept: ``$NEWSEARCH_CACHE``, else the user's cache directory."""
    base = os.environ.get("NEWSEARCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "newsearch")
    name = (f"lemmas-de-simplemma{version('simplemma')}-pystemmer{version('PyStemmer')}"
            f"-wordfreq{version('wordfreq')}-{TABLE_FORMAT}.tsv.xz")
    return Path(base) / name


def derive_table() -> dict[str, str]:
    """The forms of simplemma's German dictionary whose lemma Snowball stems otherwise than the form.

    Only words of letters on both sides (the analyzer's words never hold a hyphen or a space);
    where two spellings of a form fold to one lower-cased form, the first in the list wins. Left
    out, because the analyzer sees lower-cased words and cannot tell which is meant: a form that
    is a noun of its own (``Band``, ``Bot``, ``Hals``: the list also reads them as forms of
    ``binden``, ``bieten``, ``halsen``), and forms of one or two letters (``us`` would become ``u``).

    >>> table = derive_table()
    >>> table["ging"], table["gegangen"], table["mechanismen"], "häuser" in table, "band" in table
    ('gehen', 'gehen', 'mechanismus', False, False)
    """
    from simplemma.strategies.dictionaries.dictionary_factory import _load_dictionary_from_disk

    dictionary = {form.decode(): lemma.decode() for form, lemma in _load_dictionary_from_disk("de").items()}
    pairs = list(dictionary.items())
    nouns = {lemma for _, lemma in pairs if lemma[:1].isupper() and not _nominalised(lemma, dictionary)}
    table: dict[str, str] = {}
    for raw_form, raw_lemma in pairs:
        form, lemma = raw_form.lower(), raw_lemma.lower()
        if (form not in table and len(form) >= MIN_FORM and form.isalpha() and lemma.isalpha()
                and form.capitalize() not in nouns and _stem(form) != _stem(lemma)):
            table[form] = lemma
    return _frequent_readings(table)


# A lemma this much rarer (in Zipf units, wordfreq's German list) than the form read as its form
# is no reading of it a newsroom means: the list has ``Leuten`` under ``läuten``, ``Umständen`` under
# ``umstehen``, ``Schritte`` under ``schreiten``, ``Beamte`` under ``beamen``.
RARER_LEMMA = 1.0


def _frequent_readings(table: dict[str, str]) -> dict[str, str]:
    """The table without the forms whose lemma is far rarer than the form itself: there the form
    is mostly a word of its own (a noun's plural, a participle used as an adjective), and Snowball's
    stem keeps it with its own family (``Beamte`` with ``Beamten``).

    >>> sorted(_frequent_readings({"leuten": "läuten", "ging": "gehen"}))
    ['ging']
    """
    from wordfreq import zipf_frequency

    return {form: lemma for form, lemma in table.items()
            if zipf_frequency(lemma, "de") >= zipf_frequency(form, "de") - RARER_LEMMA}


def _nominalised(noun: str, dictionary: dict[str, str]) -> bool:
    """Whether a noun of the list is a participle or adjective used as a noun (``das Entwickelte``,
    ``der Gegangene``): the lower-cased word and the word without its ``-e`` are forms of one verb
    or adjective. Such a noun must not block the forms it shares with its word (``entwickelte``
    is ``entwickeln``, as ``entwickelt`` is); a noun of its own (``Band``, ``Wiese``) still does.

    >>> d = {"gegangene": "gehen", "gegangen": "gehen", "wiese": "weisen", "wies": "weisen"}
    >>> _nominalised("Gegangene", d), _nominalised("Wiese", d), _nominalised("Band", {"band": "binden"})
    (True, False, False)
    """
    low = noun.lower()
    lemma = dictionary.get(low)
    stem = low[:-1]
    return (low.endswith("e") and lemma is not None and lemma[:1].islower() and dictionary.get(stem) == lemma
            and stem.endswith(("t", "en", "nd")))


def _read(path: Path) -> dict[str, str]:
    with lzma.open(path, "rt", encoding="utf-8") as lines:
        return dict(line.rstrip("\n").split("\t") for line in lines)


def _write(path: Path, table: dict[str, str]) -> None:
    """Written to a temporary file and renamed, so a process reading at the same time sees all or
    nothing; a cache that cannot be written is no error (the next process derives it again)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        try:
            with lzma.open(tmp, "wt", encoding="utf-8") as out:
                out.writelines(f"{form}\t{lemma}\n" for form, lemma in sorted(table.items()))
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def stem_lemma(word: str) -> str:
    """The Snowball stem of the word's lemma (of the word itself where the lemma changes nothing).

    >>> [stem_lemma(w) for w in ("ging", "gegangen", "gehen", "Häuser".lower())]
    ['geh', 'geh', 'geh', 'haus']
    """
    return _stem(lemma_table().get(word, word))
