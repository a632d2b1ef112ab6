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
    Setting("FEED_ENTRIES", 20, "Newest matches listed in a saved search's Atom feed (/feed.atom)."),
    Setting("SIMILAR_COUNT", 5, "Entries of an article page's \"Ähnliche Artikel\" list."),
    Setting("RAY_ADDRESS", None, "Search the time shards as Ray actors: 'local' or a cluster's address (serve --ray)."),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}
