"""Every default a person can change, declared once: the command line, the web app and the
library functions all read them here, so ``--help``, ``web/config.py`` and a function's signature
cannot disagree (three copies of the index path and of the page size had grown before).

It sits in ``indexer/``, the lowest layer that needs any of them (the writer's lock timeout and
file size limit); ``search/``, ``web/`` and ``newsearch/`` import from here, nothing imports
upwards. Only values live here; each option's German help stays with its command.
"""
from __future__ import annotations

import os

# Where the index lives unless --index-dir, NEWSEARCH_INDEX or the app's INDEX_DIR says otherwise.
INDEX_DIR = "./var/index"

# -- indexing
LOCK_TIMEOUT = 10.0  # seconds a writer waits for another one before giving up with a message
MAX_FILE_BYTES = 50 * 1024 * 1024  # a larger article file is skipped and named, never read whole
# Commit at least this often during long runs, so a crash loses minutes of work, not hours.
# Intermediate commits skip merging (Whoosh's merge is the slow part of a commit).
COMMIT_EVERY_SECONDS = 60.0
# Indexing is batch work and searching is someone waiting: on a machine that does both, the
# indexer (and its build processes, which inherit it) runs at a lower CPU priority, so a running
# `serve` answers first. On an idle machine it changes nothing. Measured with wrk, 16 clients,
# while 1,000 articles were indexed: p95 319 ms at nice 0 (docs/reliability.md).
NICE = 10
BULK_PROCESSES = 2  # the machines this runs on have two cores; more processes only add memory

# -- searching
PER_PAGE = 10  # hits a page, on the command line, the pages and the API alike
MAX_PER_PAGE = 100
SIMILAR_COUNT = 5  # entries of "Ähnliche Artikel" and of `newsearch similar`


# -- serving
HOST = "127.0.0.1"
PORT = 5000


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on (containers, taskset)
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# One process per core, up to four: each process keeps its own caches (up to ~250 MB at 28k articles).
SERVE_PROCESSES = max(1, min(4, usable_cores()))
# Two app threads per process: one searches while the other waits on the page cache. More threads
# share the GIL among more requests at once, so the slow ones (common words, long titles) are
# slowed further by the fast ones: with 8 the load test's p95 was 381 ms idle and 436 ms while
# indexing, with 2 it was 257 and 244 ms at higher throughput (docs/reliability.md). Waitress
# reads and writes sockets in its own thread, so a slow client holds no app thread.
SERVE_THREADS = 2
