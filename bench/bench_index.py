"""Index build speed: newsearch against a naive Whoosh setup, in the same run.

    python -m bench.bench_index --articles ../shared/data/fang-covid-real.jsonl.gz [--limit N] [--json]

Each build runs as its own subprocess so peak RSS is that build's alone. The naive setup is what
one writes from the Whoosh docs: ``LanguageAnalyzer("de")`` on title and text, default writer, one
commit. newsearch is timed as a user runs it: ``newsearch index --full FILE`` on the same input
(a first build of an archive; ``--full`` uses the bulk writer). Peak RSS is the largest sum over
the command and its build processes, sampled every 50 ms. Then a
no-op reindex of the same file, and 10 new articles added to the full index (the time until the
command returns, after which they are searchable; the script checks that they are).
"""
from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.procs import tree_rss_mb  # noqa: E402

NAIVE = r"""
import gzip, json, sys
from whoosh import fields, index
from whoosh.analysis import LanguageAnalyzer
src, target = sys.argv[1], sys.argv[2]
analyzer = LanguageAnalyzer("de")
schema = fields.Schema(id=fields.ID(stored=True, unique=True), title=fields.TEXT(analyzer=analyzer, stored=True),
                       text=fields.TEXT(analyzer=analyzer, stored=True))
ix = index.create_in(target, schema)
writer = ix.writer()
opener = gzip.open if src.endswith(".gz") else open
with opener(src, "rt", encoding="utf-8") as fh:
    for line in fh:
        record = json.loads(line)
        writer.add_document(id=str(record["id"]), title=record.get("title") or "", text=record.get("text") or "")
writer.commit()
"""


def timed(cmd: list[str], peak: list[float] | None = None) -> float:
    """Seconds ``cmd`` takes; with ``peak``, also appends the largest summed RSS of its process
    tree, sampled every 50 ms."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    largest = 0.0
    if peak is not None:
        while proc.poll() is None:
            # the bulk build runs two build processes beside the command: count them all
            largest = max(largest, tree_rss_mb(proc.pid))
            time.sleep(0.05)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed with {proc.returncode}:\n{out}\n{err}")
    if peak is not None:
        peak.append(largest)
    return elapsed


def newsearch(index_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "newsearch", "--index-dir", str(index_dir), *args]


def prepare_input(articles: Path, limit: int | None, work: Path) -> tuple[Path, int, list[dict]]:
    """The first ``limit`` lines as the build input, and 10 later lines turned into new articles."""
    build = work / "build" / "articles.jsonl"
    build.parent.mkdir()
    extra: list[dict] = []
    count = 0
    with gzip.open(articles, "rt", encoding="utf-8") as src, build.open("w", encoding="utf-8") as out:
        for line in src:
            if limit is None or count < limit:
                out.write(line)
                count += 1
            elif len(extra) < 10:
                extra.append(json.loads(line))
            else:
                break
    if len(extra) < 10:  # the whole corpus is the build: make new ones from its first lines
        with gzip.open(articles, "rt", encoding="utf-8") as src:
            for line, _ in zip(src, range(10 - len(extra))):
                extra.append(json.loads(line))
    for i, record in enumerate(extra):
        record["id"] = f"bench-new-{i}"
        record["url"] = f"https://example.invalid/bench/new-{i}"
        record["title"] = f"Benchmarkmeldung Nummer {i}: {record.get('title') or ''}"
    return build, count, extra


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", required=True, type=Path, help="JSON Lines (.gz) in the FANG shape")
    parser.add_argument("--limit", type=int, help="use only the first N articles")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        work = Path(tmp)
        build, n, extra = prepare_input(args.articles, args.limit, work)
        ours_dir, naive_dir = work / "ours", work / "naive"
        naive_dir.mkdir()

        peaks: list[float] = []
        full_build_s = timed(newsearch(ours_dir, "index", "--full", "--nice", "0", str(build)), peaks)
        peak_rss_mb = peaks[0]
        noop_reindex_s = timed(newsearch(ours_dir, "index", "--nice", "0", str(build)))
        new_file = work / "new" / "new.jsonl"
        new_file.parent.mkdir()
        new_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in extra), encoding="utf-8")
        add10_s = timed(newsearch(ours_dir, "index", "--nice", "0", str(new_file)))
        check = subprocess.run(newsearch(ours_dir, "query", "Benchmarkmeldung", "--json", "--limit", "20"),
                               cwd=ROOT, capture_output=True, text=True)
        found = json.loads(check.stdout)["total"] if check.returncode == 0 else -1
        if found != 10:
            sys.exit(f"the 10 new articles are not searchable after indexing: found {found}")

        naive_s = timed([sys.executable, "-c", NAIVE, str(build), str(naive_dir)])

    result = {
        "articles": n,
        "newsearch_docs_per_s": round(n / full_build_s, 1),
        "naive_docs_per_s": round(n / naive_s, 1),
        "ratio": round(naive_s / full_build_s, 2),
        "noop_reindex_s": round(noop_reindex_s, 2),
        "full_build_s": round(full_build_s, 1),
        "naive_build_s": round(naive_s, 1),
        "noop_share_of_full": round(noop_reindex_s / full_build_s, 4),
        "add10_s": round(add10_s, 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"articles                 {n}")
        print(f"newsearch full build     {full_build_s:8.1f} s  {result['newsearch_docs_per_s']:8.1f} docs/s")
        print(f"naive Whoosh build       {naive_s:8.1f} s  {result['naive_docs_per_s']:8.1f} docs/s")
        print(f"ratio (naive / ours)     {result['ratio']:8.2f} x")
        print(f"no-op reindex            {noop_reindex_s:8.2f} s  ({result['noop_share_of_full']:.1%} of full)")
        print(f"10 new articles          {add10_s:8.2f} s  until searchable")
        print(f"peak RSS (newsearch)     {peak_rss_mb:8.1f} MB")
    return result


if __name__ == "__main__":
    main()
