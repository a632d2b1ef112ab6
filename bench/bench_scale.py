"""112k articles three ways (issue 18): one index, 4 time shards searched in this process, 4 shards on Ray.

    python -m bench.bench_scale ../shared/data/fang-covid-real.jsonl.gz [--copies 4] [--queries 200]
        [--rounds 3] [--json] [--out FIGURES.json [--work DIR]] [--together]

FANG is replicated as ``bench_query --replicate`` does (each copy its own ids and URLs), but copy k
moved ``2 * k`` years *back*: FANG spans 14 months, so each copy is a time range of its own and
``--shard-size 28056`` makes four shards, one per copy. The copies go into one JSON Lines file in a
temporary directory (never into the repository).

Builds, one after the other, each ``newsearch index --full --nice 0`` as a user runs it (a
subprocess; not niced, so that the three compete alike with whatever else the machine runs): (a) one index, (b) ``--shard-size N``, (c) ``--shard-size N --ray local`` (a
local Ray started by the command: one task per shard; a task asks for 2 CPUs, so on this 2-core
machine they run one after the other). For each: wall time, CPU (user + sys of every process of
the tree, sampled from /proc every 0.1 s) and peak RSS of the tree (the command, its build
processes, and with Ray the raylet, GCS and worker processes, which are its descendants).

Queries: ``bench_query``'s query mix (same seed), each with all facets, in a fresh process per
variant and round (so the first pass is a fresh process's: Python caches cold, index files in
the page cache after the build), then a second, warm pass over the same queries. Variants: (a),
(b), (c) (a local Ray with one actor per shard), and (d) one shard alone (28k; the per-shard
figure the 1M estimate scales). The order of the variants rotates from round to round; figures
are medians over the rounds. The answers of (a), (b), (c) are compared: totals, facets, scores.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_query import make_queries, percentile, read_records, replicate  # noqa: E402
from bench.procs import processes  # noqa: E402

BUILDS = {"a": "one index", "b": "4 shards, in process", "c": "4 shards, Ray"}
ASKED = {**BUILDS, "d": "one shard alone"}
TICKS = os.sysconf("SC_CLK_TCK")


class TreeSampler:
    """Peak RSS of a process tree (the sum over the tree at each sample), each process's peak RSS
    by its command, and each process's last seen CPU time, every ``interval`` seconds."""

    def __init__(self, root: int, interval: float = 0.1):
        self.root, self.interval = root, interval
        self.peak_mb = 0.0
        self.per_pid: dict[int, tuple[str, float]] = {}  # pid -> (command, peak MiB)
        self.cpu: dict[int, float] = {}  # pid -> user + sys seconds, last seen
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        table = processes()
        children: dict[int, list] = {}
        for p in table:
            children.setdefault(p.ppid, []).append(p)
        tree, todo = [], [p for p in table if p.pid == self.root]
        while todo:
            p = todo.pop()
            tree.append(p)
            todo += children.get(p.pid, [])
        self.peak_mb = max(self.peak_mb, sum(p.rss_bytes for p in tree) / 2**20)
        for p in tree:
            command, peak = self.per_pid.get(p.pid, ("?", 0.0))
            self.per_pid[p.pid] = (_command(p.pid) if command == "?" else command, max(peak, p.rss_bytes / 2**20))
            self.cpu[p.pid] = max(self.cpu.get(p.pid, 0.0), _cpu_seconds(p.pid))

    def finish(self) -> dict:
        self.stop.set()
        self.thread.join()
        by_kind: dict[str, list[float]] = {}
        for command, peak in self.per_pid.values():
            by_kind.setdefault(command, []).append(round(peak, 1))
        return {"peak_tree_mb": round(self.peak_mb, 1), "cpu_s": round(sum(self.cpu.values()), 1),
                "processes": {kind: sorted(peaks, reverse=True) for kind, peaks in by_kind.items()}}


def _command(pid: int) -> str:
    """A short name for what a process is: the command, its build processes, Ray's own processes
    and Ray's worker processes (shard actors, tasks and idle workers alike: ``default_worker.py``)."""
    try:
        argv = [a.decode(errors="replace") for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
    except OSError:
        return "?"
    if not argv:
        return "?"
    if argv[0].startswith("ray::"):
        return argv[0].split()[0]
    if Path(argv[0]).name in ("raylet", "gcs_server"):
        return Path(argv[0]).name
    if "--ask" in argv:
        return "searching process"
    if argv[1:3] == ["-m", "newsearch"]:
        return "newsearch index"
    if any("worker_main" in a for a in argv[1:3]):
        return "build process"
    script = next((Path(a).name for a in argv[1:3] if a.endswith(".py")), Path(argv[0]).name)
    return {"default_worker.py": "ray worker"}.get(script, script)


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def measured(cmd: list[str], env: dict) -> dict:
    """Run ``cmd`` to its end, watching its process tree."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    figures = sampler.finish()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"wall_s": round(wall, 1), **figures, "stdout": out.strip()[-500:], "stderr": err.strip()[-500:]}


def ask(variant: str, index_dir: str, queries_file: str, out_file: str) -> None:
    """In a fresh process: open ``index_dir`` (Ray actors for ``c``), a first and a warm pass."""
    from dataclasses import replace

    from search.query import build_request, run_query
    from search.results import result_to_json
    from search.scatter import Shards, open_shards

    queries = json.loads(Path(queries_file).read_text())
    started = time.perf_counter()
    if variant == "c":
        from search.cluster import open_ray_shards

        # a busy machine's first answers can take longer than the product's 5 s deadline
        shards = open_ray_shards(index_dir, "local", deadline=300.0)
    else:
        shards = open_shards(index_dir)
    opened = time.perf_counter() - started
    passes, answers = [], []
    for number in range(2):
        times = []
        for text, window in queries:
            request = replace(build_request(text, *(window or (None, None))), facets=True, suggest=False)
            t0 = time.perf_counter()
            # each query its own view of the shards, as each request of the served app: a shard
            # that missed the deadline is left out for the rest of one request only (search/scatter.py)
            result = run_query(Shards(shards.shards, shards.days), request)
            times.append((time.perf_counter() - t0) * 1000)
            if number == 0:
                answers.append(_answer(result_to_json(result)))
        passes.append(times)
    shards.close()
    Path(out_file).write_text(json.dumps({"open_s": opened, "first": passes[0], "warm": passes[1],
                                          "answers": answers}))
    if variant == "c":
        import ray

        ray.shutdown()


def _answer(found: dict) -> dict:
    """What must equal between the variants, ties aside: the copies are the same texts, so equal
    scores are common, and which of a tie comes first differs between one index and shards."""
    scores = [round(hit["score"], 6) for hit in found["hits"] if hit.get("score") is not None]
    facets = hashlib.sha1(json.dumps(found.get("facets"), sort_keys=True).encode()).hexdigest()[:12]
    return {"total": found["total"], "facets": facets, "scores": sorted(scores, reverse=True)}


def parse_seconds(path: Path) -> float:
    """Parsing every article of ``path`` once: what routing costs, and each shard's run again."""
    from indexer.formats import located_articles

    started = time.perf_counter()
    for _ in located_articles(path, lambda where, reason: None):
        pass
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, help="only the first N articles (a quick try)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path, help="rewrite the figures so far to this file after each step")
    parser.add_argument("--work", type=Path, help="work here and keep it; with --out, go on where a run stopped")
    parser.add_argument("--together", action="store_true",
                        help="run the builds, and each round's query processes, at the same time (a busy machine)")
    parser.add_argument("--indexes", help="no builds; query VARIANT=DIRECTORY,... (c: on a local Ray)")
    parser.add_argument("--builds", default="a,b,c", help="which builds (a busy machine: a,c; b's queries then use c's shards)")
    parser.add_argument("--ask", nargs=4, metavar=("VARIANT", "INDEX", "QUERIES", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ask:
        ask(*args.ask)
        return {}

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    ray_tmp = Path(tempfile.mkdtemp(prefix="bsray-", dir="/tmp"))  # Ray's socket paths must stay short
    env = {**os.environ, "RAY_TMPDIR": str(ray_tmp), "PYTHONPATH": str(ROOT)}
    newsearch = [sys.executable, "-m", "newsearch"]
    source = work / "articles.jsonl"
    # --work and --out again: what is there (the copies, the queries, finished builds) is kept
    result = json.loads(args.out.read_text()) if args.work and args.out and args.out.exists() else {}
    result.pop("runs", None)
    try:
        if not source.exists():
            records = replicate(read_records(args.articles, args.limit), args.copies, years=-2)
            with source.open("w", encoding="utf-8") as out:
                for r in records:
                    out.write(json.dumps(r, ensure_ascii=False) + "\n")
            (work / "queries.json").write_text(json.dumps(make_queries(records, args.queries)))
            result = {"articles": len(records), "shard_size": len(records) // args.copies}
            del records
        shard_size = result["shard_size"]
        # --queries again: the first N of the queries drawn before
        used = json.loads((work / "queries.json").read_text())[:args.queries]
        (work / "queries-used.json").write_text(json.dumps(used))
        result.update(queries=len(used), rounds=args.rounds, ask={})
        result.setdefault("build", {})
        print(f"{result['articles']} articles in {args.copies} copies, {result['queries']} queries, in {work}",
              file=sys.stderr)
        if "parse_s" not in result:
            result["parse_s"] = round(parse_seconds(source), 1)
        print(f"parse once: {result['parse_s']} s", file=sys.stderr)
        options = {"a": [], "b": ["--shard-size", str(shard_size)], "c": ["--shard-size", str(shard_size), "--ray", "local"]}
        todo = [variant for variant in args.builds.split(",") if variant not in result["build"] and not args.indexes]

        def build(variant: str) -> None:
            cmd = [*newsearch, "--index-dir", str(work / variant), "index", "--full", "--nice", "0", *options[variant],
                   str(source)]
            result["build"][variant] = {**measured(cmd, env), **({"together": todo} if args.together else {})}
            _save(args.out, result)
            print(f"build {variant} ({BUILDS[variant]}): {_short(result['build'][variant])}", file=sys.stderr)

        # --together: the builds left at the same time; compare their CPU, not their wall time
        _each(build, [(variant,) for variant in todo], args.together)
        # without build b, its queries go to the shards built on Ray: the same shards (tests/test_cluster.py)
        sharded = work / "b" if (work / "b" / "shards.json").exists() else work / "c"
        indexes = {"a": work / "a", "b": sharded, "c": work / "c", "d": sharded / "shard-000"}
        if args.indexes:  # VARIANT=DIRECTORY,...: only these, on these indexes
            indexes = {pair.split("=", 1)[0]: Path(pair.split("=", 1)[1]) for pair in args.indexes.split(",")}
        indexes = {v: path for v, path in indexes.items() if any((path / name).exists() for name in
                                                                  ("newsearch.json", "shards.json"))}  # built
        runs: dict[str, list[dict]] = {v: [] for v in indexes}
        order = list(indexes)

        def asked(variant: str, round_number: int) -> None:
            out_file = work / f"ask-{variant}-{round_number}.json"
            cmd = [sys.executable, "-m", "bench.bench_scale", "x", "--ask", variant, str(indexes[variant]),
                   str(work / "queries-used.json"), str(out_file)]
            figures = measured(cmd, {**env})
            figures.update(json.loads(out_file.read_text()))
            runs[variant].append(figures)
            _save(args.out, {**result, "runs": runs})
            print(f"round {round_number} {variant}: {_short(figures)} first p95 "
                  f"{percentile(figures['first'], 95):.1f} warm p95 {percentile(figures['warm'], 95):.1f}",
                  file=sys.stderr)

        for round_number in range(args.rounds):
            variants = order[round_number % len(order):] + order[:round_number % len(order)]
            _each(asked, [(v, round_number) for v in variants], args.together)  # together: the same load on all
        result["ask"] = {variant: _summary(found, args.copies) for variant, found in runs.items()}
        result["equal"] = {variant: _agreeing(runs["a"][0]["answers"], runs[variant][0]["answers"])
                           for variant in ("b", "c") if variant in runs and not args.indexes}
        if set(runs) >= set(ASKED) and not args.indexes:
            result["estimate_1m"] = estimate(result)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(ray_tmp, ignore_errors=True)
    for figures in result["build"].values():
        figures.pop("stdout", None), figures.pop("stderr", None)
    print(json.dumps(result, indent=None if args.json else 1))
    return result


def _each(step, calls: list[tuple], together: bool) -> None:
    """``step(*call)`` for each call: one after the other, or all at once in threads."""
    if not together:
        for call in calls:
            step(*call)
        return
    threads = [threading.Thread(target=step, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _save(path: Path | None, figures: dict) -> None:
    if path is not None:
        path.write_text(json.dumps(figures, default=str))


def _short(figures: dict) -> str:
    return f"wall {figures['wall_s']} s, CPU {figures['cpu_s']} s, peak tree RSS {figures['peak_tree_mb']} MiB"


def _summary(found: list[dict], copies: int) -> dict:
    """Medians over the rounds of each round's p50 and p95, first and warm pass, and of the peaks."""
    def med(values):
        return round(statistics.median(values), 1)

    processes_by_kind: dict[str, list[float]] = {}
    for run in found:
        for kind, peaks in run["processes"].items():
            processes_by_kind.setdefault(kind, []).append(statistics.mean(peaks))
        workers = run["processes"].get("ray worker", [])[:copies]  # the shard actors: the largest workers
        if workers:
            processes_by_kind.setdefault("shard actor", []).append(statistics.mean(workers))
    return {
        "first_p50_ms": med([statistics.median(r["first"]) for r in found]),
        "first_p95_ms": med([percentile(r["first"], 95) for r in found]),
        "warm_p50_ms": med([statistics.median(r["warm"]) for r in found]),
        "warm_p95_ms": med([percentile(r["warm"], 95) for r in found]),
        "open_s": med([r["open_s"] for r in found]),
        "peak_tree_mb": med([r["peak_tree_mb"] for r in found]),
        "cpu_s": med([r["cpu_s"] for r in found]),
        "process_mb": {kind: med(peaks) for kind, peaks in processes_by_kind.items()},  # mean a process, median of rounds
    }


def _agreeing(expected: list[dict], found: list[dict]) -> dict:
    return {"total": sum(e["total"] == f["total"] for e, f in zip(expected, found)),
            "facets": sum(e["facets"] == f["facets"] for e, f in zip(expected, found)),
            "scores": sum(e["scores"] == f["scores"] for e, f in zip(expected, found)),
            "of": len(expected)}


def estimate(result: dict, documents: int = 1_000_000, cores_per_node: int = 2) -> dict:
    """1M documents in shards of the measured size, scaled from the per-shard figures; the
    assumptions are in bench/README.md ("112k: one index, 4 shards, Ray").

    Build from CPU seconds (wall times on a busy machine say little): one index of 112k costs
    ``C_a``; the sharded build costs ``C_b``, four more parses of all articles (each shard's run
    reads every file to find its share), so one parse of 112k costs ``(C_b - C_a) / 4``. A shard's
    task: its share of ``C_a`` plus, today, parsing all 1M articles; with only its own files, its
    share alone. A task keeps a node's two cores busy (a parent, two build processes).
    """
    shards = -(-documents // result["shard_size"])
    ask, build = result["ask"], result["build"]
    copies = result["articles"] // result["shard_size"]
    scale = documents / result["articles"]
    one = ask["d"]
    # per shard and query, what searching 4 shards costs beyond 4 times one shard: merging, and on Ray the calls
    extra_in_process = max(0.0, (ask["b"]["warm_p50_ms"] - copies * one["warm_p50_ms"]) / copies)
    extra_ray = max(0.0, (ask["c"]["warm_p50_ms"] - copies * one["warm_p50_ms"]) / copies)
    actor_mb = ask["c"]["process_mb"].get("shard actor", 0.0)
    sharded = build.get("b") or build["c"]  # without b (a busy machine), the Ray build's CPU
    parse_cpu = max(0.0, (sharded["cpu_s"] - build["a"]["cpu_s"]) / copies)
    own_cpu = build["a"]["cpu_s"] / copies
    task_all, task_own = own_cpu + parse_cpu * (scale - 1 / copies), own_cpu
    routing = parse_cpu * scale

    def build_hours(nodes: int, task_cpu: float) -> float:
        return round((routing + -(-shards // nodes) * task_cpu / cores_per_node) / 3600, 2)

    return {
        "shards": shards,
        "warm_p50_ms_serial": round(shards * (one["warm_p50_ms"] + extra_ray), 1),
        "warm_p50_ms_parallel": round(one["warm_p95_ms"] + shards * extra_in_process, 1),
        "merge_ms_per_shard": round(extra_in_process, 2),
        "ray_ms_per_shard": round(extra_ray, 2),
        "actor_mb": round(actor_mb, 1),
        "ray_node_base_mb": round(sum(mb for kind, mb in ask["c"]["process_mb"].items()
                                      if kind not in ("shard actor", "ray worker", "searching process")), 1),
        "parse_cpu_s_112k": round(parse_cpu, 1),
        "task_cpu_s_all_files": round(task_all, 1),
        "task_cpu_s_own_files": round(task_own, 1),
        **{f"build_h_{nodes}_nodes": build_hours(nodes, task_all) for nodes in (1, 6, 36)},
        **{f"build_h_{nodes}_nodes_own_files": build_hours(nodes, task_own) for nodes in (1, 6, 36)},
    }


if __name__ == "__main__":
    main()
