"""Near-duplicates on a corpus: the similarity of candidate pairs, the groups, and pairs to read.

    python -m bench.near_duplicates --articles ../shared/data/fang-covid-real.jsonl.gz \
        [--pairs 30] [--around 0.6 0.8] [--seed 19]

Reads the articles with newsearch's own parser and builds their documents as ``index`` does, then
1. finds candidate pairs with a wider LSH net than the index uses (21 bands of 3 rows: a pair at
   0.4 is caught with probability 0.75, at 0.5 with 0.93) and computes each pair's exact Jaccard
   similarity of shingle sets, to show how pairs spread around the threshold;
2. groups the documents with ``indexer.duplicates.Grouping`` exactly as a ``--full`` build does
   and counts the groups by size;
3. prints ``--pairs`` random pairs whose estimated similarity lies in ``--around``, with their
   exact similarity, outlets, dates, headlines and the start of their texts, for reading.
"""
from __future__ import annotations

import argparse
import pickle
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from indexer import duplicates as d  # noqa: E402
from indexer import schema as f  # noqa: E402
from indexer.formats import located_articles  # noqa: E402
from indexer.write import article_document  # noqa: E402

WIDE_ROWS = 3


def read_documents(path: Path, cache: Path | None) -> list[dict]:
    """The documents as ``index`` builds them; ``--cache`` keeps them for the next run (parsing is most of it)."""
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    docs = [article_document(article) for _, article in located_articles(path, lambda *_: None, 1 << 40)]
    if cache:
        cache.write_bytes(pickle.dumps(docs))
    return docs


def wide_candidates(signatures: dict[int, np.ndarray]) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for band in range(d.PERMUTATIONS // WIDE_ROWS):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        for i, sig in signatures.items():
            buckets[sig[band * WIDE_ROWS:(band + 1) * WIDE_ROWS].tobytes()].append(i)
        for members in buckets.values():
            if 1 < len(members) <= 200:  # larger buckets are boilerplate shingles, not copies
                pairs.update((a, b) for k, a in enumerate(members) for b in members[k + 1:])
    return pairs


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return len(np.intersect1d(a, b, assume_unique=True)) / len(np.union1d(a, b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--around", type=float, nargs=2, default=(d.THRESHOLD - 0.1, d.THRESHOLD + 0.1))
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--cache", type=Path, help="a pickle of the parsed documents, written if missing")
    args = parser.parse_args()

    docs = read_documents(args.articles, args.cache)
    started = time.perf_counter()
    shingles = [np.unique(d.shingle_hashes(d.folded_text(doc))) for doc in docs]
    signatures = {i: d.signature(d.folded_text(doc)) for i, doc in enumerate(docs)}
    signatures = {i: s for i, s in signatures.items() if s is not None}
    took = time.perf_counter() - started
    print(f"{len(docs)} documents, {len(signatures)} long enough to compare "
          f"(>= {d.MIN_SHINGLES} shingles of {d.SHINGLE_WORDS} words); shingling and signatures {took:.1f} s")

    pairs = wide_candidates(signatures)
    exact = {(a, b): jaccard(shingles[a], shingles[b]) for a, b in pairs}
    estimated = {(a, b): d.similarity(signatures[a], signatures[b]) for a, b in pairs}
    print(f"\n{len(pairs)} candidate pairs (wide net); exact Jaccard similarity of those >= 0.3:")
    bins = Counter(min(int(s * 20), 19) for s in exact.values() if s >= 0.3)
    for b in sorted(bins):
        print(f"  {b / 20:.2f}-{(b + 1) / 20:.2f}: {bins[b]:6d}")
    same_outlet = Counter(docs[a].get(f.PUBLISHER) == docs[b].get(f.PUBLISHER) for (a, b), s in exact.items()
                          if s >= d.THRESHOLD)
    print(f"pairs >= {d.THRESHOLD}: same outlet {same_outlet[True]}, different outlets {same_outlet[False]}")

    grouping = d.Grouping(None)
    for doc in docs:
        grouping.assign(doc)
    sizes = Counter(Counter(doc[f.DUP_GROUP] for doc in docs).values())
    print(f"\ngroups at threshold {d.THRESHOLD}: {sum(sizes.values())} stories from {len(docs)} documents")
    for size in sorted(sizes):
        print(f"  size {size}: {sizes[size]}")
    by_outlets = Counter()
    members = defaultdict(list)
    for doc in docs:
        members[doc[f.DUP_GROUP]].append(doc)
    for group in members.values():
        if len(group) > 1:
            by_outlets[" + ".join(sorted({doc.get(f.PUBLISHER) or "?" for doc in group}))] += 1
    print("groups of 2+ by outlets:", dict(by_outlets.most_common(8)))

    low, high = args.around
    near = sorted(p for p, s in estimated.items() if low <= s <= high)
    rng = random.Random(args.seed)
    sample = rng.sample(near, min(args.pairs, len(near)))
    print(f"\n{len(near)} pairs with estimated similarity in [{low:.2f}, {high:.2f}]; {len(sample)} drawn:")
    for n, (a, b) in enumerate(sorted(sample, key=lambda p: estimated[p]), start=1):
        apart = abs(docs[a][f.PUBLISHED] - docs[b][f.PUBLISHED]).total_seconds() / 86400
        print(f"\n### {n}. estimated {estimated[(a, b)]:.2f}, exact {exact[(a, b)]:.2f}, {apart:.1f} days apart")
        for doc in (docs[a], docs[b]):
            text = d.folded_text(doc)
            print(f"  [{doc[f.ID]}] {doc.get(f.PUBLISHER)} {doc.get(f.PUBLISHED)} {len(text)} chars")
            print(f"    {doc.get(f.TITLE)}")
            print(f"    {text[:400]!r}")
            print(f"    ... {text[-200:]!r}")


if __name__ == "__main__":
    main()
