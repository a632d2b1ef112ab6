"""The request's view of the index: ``get_searcher`` opens it on first use in a request, the
app's teardown lets go of it (flaskr's ``get_db``/``close_db``).

Kept apart from ``web/__init__.py`` so that the blueprints import it without importing the app
factory that registers them (that was an import cycle).
"""
from __future__ import annotations

import threading

from flask import current_app, g

from indexer.shards import shard_dirs
from indexer.store import current_generation, open_for_reading
from search.scatter import Shards
from search.whoosh.cache import segment_leaves
from search.whoosh.shard import WhooshShard, open_searcher


def get_searcher() -> Shards:
    """The request's ``Shards`` over the newest committed documents of every time shard (one for
    an unsharded index), opened on first use in the request.

    Each server thread keeps a searcher per shard between requests and brings it up to date at the
    start of each: Whoosh's ``refresh`` reopens only the segments a commit added or changed, where
    a searcher opened per request read the term tables of every segment again (16 ms of a search
    over the 12 segments of a bulk-built 28k index). Threads do not share one, because Whoosh
    reads its files with seek and read on shared handles. An ``index --full`` swaps in a whole new
    generation, so a shard's open index is replaced when its generation changes.
    """
    if "searcher" not in g and current_app.config.get("RAY_ADDRESS"):
        g.searcher = _ray_shards()
    if "searcher" not in g:
        layout = shard_dirs(current_app.config["INDEX_DIR"])
        g.searcher = Shards([WhooshShard(_thread_searcher(path), name) for name, path, _ in layout],
                            [days for _, _, days in layout])
    return g.searcher


def close_searcher(exc=None) -> None:
    """The searchers stay with their thread for the next request; only the request lets go of them."""
    g.pop("searcher", None)


def _ray_shards() -> Shards:
    """The request's view of the shard actors (``serve --ray``): the actors are started once per
    server process and shared by its threads; each request notes its own missing shards."""
    opened = start_ray_shards(current_app)
    return Shards(opened.shards, opened.days)


def start_ray_shards(app) -> Shards:
    """The app's shard actors (``RAY_ADDRESS``, ``RAY_REPLICAS`` of each), started on first use."""
    state = app.extensions["newsearch"]
    with state["lock"]:
        if state.get("ray") is None:
            from search.cluster import open_ray_shards

            state["ray"] = open_ray_shards(app.config["INDEX_DIR"], app.config["RAY_ADDRESS"],
                                           replicas=app.config["RAY_REPLICAS"])
        return state["ray"]


def _thread_searcher(path):
    state = current_app.extensions["newsearch"]
    generation = current_generation(path)
    with state["lock"]:
        opened = state["indexes"].get(path)
        if opened is None or opened[1] != generation:
            opened = state["indexes"][path] = (open_for_reading(path), generation)
        ix = opened[0]
    held = getattr(_thread, "held", None)
    if held is None:
        held = _thread.held = {}
    mine = held.get(path)
    # Whoosh cannot refresh the segmentless reader of an empty index (it fails on its missing
    # segment list), so a searcher over an empty index is opened anew (~7 ms) each request.
    if mine is None or mine[0] is not ix or not segment_leaves(mine[1].reader()):
        if mine is not None:
            mine[1].close()
        searcher = open_searcher(ix)
    else:
        searcher = mine[1].refresh()  # itself when nothing was committed since
    held[path] = (ix, searcher)
    return searcher


_thread = threading.local()
