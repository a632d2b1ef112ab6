"""Every setting of the web app, declared once with its default and a help line."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: object
    help: str


SETTINGS = (
    Setting("INDEX_DIR", "./var/index", "Directory of the Whoosh index the app reads (it never writes)."),
    Setting("PER_PAGE", 10, "Hits per result page."),
    Setting("SITE_NAME", "newsearch", "Name shown in the page header and titles."),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}
