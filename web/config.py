"""Every setting of the web app with its default and a help line; defaults the command line
shares come from ``indexer/settings.py``."""
from __future__ import annotations

from dataclasses import dataclass

from indexer.settings import INDEX_DIR, PER_PAGE, SIMILAR_COUNT


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: object
    help: str


SETTINGS = (
    Setting("INDEX_DIR", INDEX_DIR, "Directory of the Whoosh index the app reads (it never writes)."),
    Setting("PER_PAGE", PER_PAGE, "Hits per result page."),
    Setting("SITE_NAME", "newsearch", "Name shown in the page header and titles."),
    Setting("FEED_ENTRIES", 20, "Newest matches listed in a saved search's Atom feed (/feed.atom)."),
    Setting("SIMILAR_COUNT", SIMILAR_COUNT, "Entries of an article page's \"Ähnliche Artikel\" list."),
    Setting("RAY_ADDRESS", None, "Search the time shards as Ray actors: 'local' or a cluster's address (serve --ray)."),
    Setting("RAY_REPLICAS", 1, "Actors per time shard, each on another node; a search fails over between them (serve --replicas)."),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}
