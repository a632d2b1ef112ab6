"""How a section (Ressort) reads: ``muenchen`` as ``München``, and values that are no section dropped.

Sources write sections as URL slugs (FANG: ``muenchen``, ``mobilitaet``, ``zeit-fuer-unternehmer``),
and a path segment that is no section at all ends up there too: zeit.de's URLs put the year
(``2020``, 1,513 FANG articles; ``2021``; ``2020-06``) where the others put the section.

This is decided at display time, not at index time: the stored value stays what the source wrote,
so it remains the filter's value (``section=muenchen``, ``ressort:muenchen``, bookmarks and API
clients keep working), an index needs no rebuild when a label is added, and the label is one
function every view calls (facets, hits, the article page, chips, the CLI, the CSV export). A
dropped value still filters when asked for by name; it is only not offered or shown.
"""
from __future__ import annotations

import re

# Words of slugs whose umlaut or ß the slug spelled out; only whole words, since "ue" in "Steuer"
# or "ae" in "Israel" is no umlaut.
SPELLED_OUT = {
    "muenchen": "München", "mobilitaet": "Mobilität", "fuer": "für", "koeln": "Köln", "duesseldorf": "Düsseldorf",
    "nuernberg": "Nürnberg", "wuerzburg": "Würzburg", "oesterreich": "Österreich",
    "baden-wuerttemberg": "Baden-Württemberg", "thueringen": "Thüringen", "gruene": "Grüne",
    "aerzte": "Ärzte", "buecher": "Bücher", "fuehrung": "Führung", "gemuese": "Gemüse", "strasse": "Straße",
}  # fmt: skip
WHOLE = {"wq": "WQ", "z2x": "Z2X", "zett": "ze.tt"}  # names a slug cannot spell
NOT_A_SECTION = re.compile(r"\d{4}(-\d{1,2}){0,2}|\d+")  # a year, month or day, a number: a URL's path


def section_label(value: str) -> str | None:
    """The label people read for a stored section; ``None`` for a value that is no section.

    >>> [section_label(v) for v in ("muenchen", "zeit-fuer-unternehmer", "Ausland", "2020", "2020-06")]
    ['München', 'Zeit für Unternehmer', 'Ausland', None, None]
    """
    value = (value or "").strip()
    if not value or NOT_A_SECTION.fullmatch(value):
        return None
    if value != value.lower() or " " in value:  # written for people already ("Ausland", "Rhein-Main")
        return value
    if value in WHOLE or value in SPELLED_OUT:
        return WHOLE.get(value) or SPELLED_OUT[value]
    return " ".join(_word(part, first=i == 0) for i, part in enumerate(value.split("-")))


def _word(part: str, first: bool) -> str:
    word = SPELLED_OUT.get(part, part)
    return word if word != part and not first and word.islower() else word[:1].upper() + word[1:]
