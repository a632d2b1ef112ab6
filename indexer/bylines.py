"""Bylines to author names and news agency: the one place that tells a person from an agency.

A page's author field, a feed's ``dc:creator`` and a byline all mix the two: "Von Anna Weber und
Jonas Klein", "Anna Weber, dpa", "dpa/AFP". A news agency is a source whose copy many papers print
(facet "Agentur"); a person is an author. Mixing them made every author a "Quelle" (issue 15.10).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# German-language and world agencies as they sign copy; matched case-insensitively, whole part.
AGENCIES = frozenset(
    "dpa afp ap reuters epd kna sid dts apa sda keystone-sda ddp dapd ots dpa-afx afx idea rnd kap tt ntb".split()
)
_PREFIX = re.compile(r"^(?:von|text|autor(?:in)?|autoren|by|ein (?:kommentar|gastbeitrag|interview) von)\s*:?\s+", re.I)
_SEPARATORS = re.compile(r"\s*(?:[,;/&|]|\bund\b|\band\b)\s*")
_NAME_MAX_CHARS = 60  # a longer "name" is a sentence caught by a byline class


@dataclass(frozen=True, slots=True)
class Byline:
    author: tuple[str, ...] = ()
    agency: str = ""


def read_bylines(*values: str) -> Byline:
    """Names and agencies from byline texts, in order, each once.

    >>> read_bylines("Von Anna Weber und Jonas Klein, dpa")
    Byline(author=('Anna Weber', 'Jonas Klein'), agency='dpa')
    >>> read_bylines("dpa/AFP")
    Byline(author=(), agency='dpa/AFP')
    >>> read_bylines("Von Volkmar Kabisch und Benedikt Strunz, NDR")
    Byline(author=('Volkmar Kabisch', 'Benedikt Strunz'), agency='')
    """
    names: dict[str, None] = {}
    agencies: dict[str, None] = {}
    for value in values:
        text = _PREFIX.sub("", " ".join((value or "").split()))
        for part in _SEPARATORS.split(text):
            part = part.strip(" .:-–—()")
            if is_agency(part):
                agencies[part] = None
            elif _is_name(part):
                names[part] = None
    return Byline(tuple(names), "/".join(agencies))


def is_agency(name: str) -> bool:
    return name.casefold() in AGENCIES


def _is_name(part: str) -> bool:
    """A person's name; not an address, nor a one-word abbreviation in capitals ("NDR", "ZDF"):
    those are broadcasters and papers signing with their staff, not people."""
    return (
        bool(part) and len(part) <= _NAME_MAX_CHARS and any(c.isalpha() for c in part)
        and "@" not in part and "://" not in part and not part.startswith("www.")
        and not (part.isupper() and " " not in part)
    )
