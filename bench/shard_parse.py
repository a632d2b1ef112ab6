"""The parsing a sharded build does, before and after each shard was given only its lines (issue 18):
routing parses the file once; before, each of the N shards then parsed the whole file, now each
parses only the lines routed to it. Process CPU time, in one process, on one JSON Lines file:

    python -m bench.shard_parse FILE SHARD_SIZE
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from indexer.formats import located_articles  # noqa: E402
from indexer.ledger import fingerprint  # noqa: E402
from indexer.routing import read_routes  # noqa: E402
from indexer.shards import _routed  # noqa: E402

path, size = Path(sys.argv[1]), int(sys.argv[2])
t = time.process_time()
routing = read_routes([(path, fingerprint(path))], None)
route_s = time.process_time() - t
layout, route = _routed([], {}, routing.dated(), size)
shares = routing.shares(route, [info.name for info in layout])
t = time.process_time()
whole = sum(1 for _ in located_articles(path, lambda *a: None))
whole_s = time.process_time() - t
each = []
for info in layout:
    lines = shares[info.name][str(path)].lines
    t = time.process_time()
    n = sum(1 for _ in located_articles(path, lambda *a: None, lines=lines))
    each.append((info.name, n, round(time.process_time() - t, 1)))
print(f"articles {whole}, shards {len(layout)}; routing parse {route_s:.1f} s CPU; whole-file parse {whole_s:.1f} s; "
      f"each shard's lines: {each}")
before = route_s + len(layout) * whole_s
after = route_s + sum(s for _, _, s in each)
print(f"parsing in a sharded build: before {before:.1f} s (routing + {len(layout)} x whole), after {after:.1f} s "
      f"(routing + each shard its lines): x{before / after:.2f}")
