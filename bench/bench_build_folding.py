"""Build cost of near-duplicate folding: ``index --full`` with and without it, in rounds, in one run.

    python -m bench.bench_build_folding --articles ../shared/data/fang-covid-real.jsonl.gz [--rounds 3]

Each round builds the articles twice, as a user does (``newsearch index --nice 0 --full FILE``, a
real subprocess with its build processes), at the same time, so that the load of a shared machine
falls on both alike; which of the two starts first takes turns. "Without" is the same code with the
near-duplicate step left out: ``Grouping.assign`` replaced by one that gives a document no
``dup_*`` fields (no signature, no band terms, no group, no length column), which is what the
index held before issue 19. Reports, per build and as medians with their ratio, the CPU time of
the whole process tree (user + sys of the command and its build processes, from ``wait4``: less
sensitive to the load than wall time, though not immune) and the wall time, and checks that the
build with folding made the same groups as ``bench/README.md`` records.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WITHOUT = "without"
WITH = "with"


def run_cli_without_folding(args: list[str]) -> None:
    """The command line with the near-duplicate step left out (the baseline's build)."""
    from indexer import duplicates
    from newsearch.cli import cli

    def leave_out(self, doc: dict) -> None:
        self.written.add(doc["id"])

    duplicates.Grouping.assign = leave_out
    cli(args, prog_name="newsearch")


def start(variant: str, articles: Path, index_dir: Path) -> subprocess.Popen:
    args = ["--index-dir", str(index_dir), "index", "--nice", "0", "--full", str(articles)]
    if variant == WITH:
        cmd = [sys.executable, "-m", "newsearch", *args]
    else:
        cmd = [sys.executable, "-m", "bench.bench_build_folding", "--cli-without-folding", *args]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def round_of(articles: Path, work: Path, number: int) -> dict[str, tuple[float, float]]:
    """Both builds at once; ``{variant: (cpu seconds, wall seconds)}``."""
    order = [WITH, WITHOUT] if number % 2 == 0 else [WITHOUT, WITH]
    started, procs = {}, {}
    for variant in order:
        started[variant] = time.perf_counter()
        procs[variant] = start(variant, articles, work / f"{variant}-{number}")
    by_pid = {proc.pid: variant for variant, proc in procs.items()}
    results = {}
    while by_pid:
        pid, status, usage = os.wait4(-1, 0)
        variant = by_pid.pop(pid, None)
        if variant is None:
            continue
        wall = time.perf_counter() - started[variant]
        proc = procs[variant]
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            sys.exit(f"build {variant} failed ({proc.returncode}):\n{proc.stderr.read()}")
        results[variant] = (usage.ru_utime + usage.ru_stime, wall)  # children waited for are included
    return results


def group_sizes(index_dir: Path) -> tuple[int, Counter]:
    """(articles, {group size: groups of that size, for sizes 2 and up}) of the built index."""
    from indexer import schema as f
    from indexer.store import open_for_reading

    ix = open_for_reading(str(index_dir))
    with ix.searcher() as searcher:
        groups = Counter(stored.get(f.DUP_GROUP) for stored in searcher.all_stored_fields()
                         if stored.get(f.KIND) == "article")
    return sum(groups.values()), Counter(size for size in groups.values() if size > 1)


def main() -> None:
    if sys.argv[1:2] == ["--cli-without-folding"]:
        run_cli_without_folding(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[tuple[float, float]]] = {WITH: [], WITHOUT: []}
    with tempfile.TemporaryDirectory(prefix="bench-build-folding-") as tmp:
        work = Path(tmp)
        for number in range(args.rounds):
            results = round_of(args.articles.resolve(), work, number)
            for variant in (WITHOUT, WITH):
                rows[variant].append(results[variant])
                cpu, wall = results[variant]
                print(f"round {number + 1} {variant:>7} folding: CPU {cpu:7.1f} s  wall {wall:7.1f} s", flush=True)
            if number == 0:
                articles, sizes = group_sizes(work / f"{WITH}-0")
                stories = articles - sum((size - 1) * count for size, count in sizes.items())
                print(f"groups: {articles} articles -> {stories} stories, {dict(sorted(sizes.items()))}", flush=True)
            for variant in (WITHOUT, WITH):
                subprocess.run(["rm", "-rf", str(work / f"{variant}-{number}")], check=True)
    medians = {variant: (statistics.median(c for c, _ in rows[variant]), statistics.median(w for _, w in rows[variant]))
               for variant in rows}
    (cpu0, wall0), (cpu1, wall1) = medians[WITHOUT], medians[WITH]
    print(f"median without: CPU {cpu0:.1f} s, wall {wall0:.1f} s")
    print(f"median with:    CPU {cpu1:.1f} s (x{cpu1 / cpu0:.3f}), wall {wall1:.1f} s (x{wall1 / wall0:.3f})")


if __name__ == "__main__":
    main()
