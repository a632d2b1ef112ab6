"""Load: the production server under 16 concurrent clients, idle and while ``newsearch index`` writes.

    python -m bench.load --articles ../shared/data/fang-covid-real.jsonl.gz [--index-dir BUILT]
        [--clients 16] [--duration 60] [--max-requests 200000] [--new-articles 1000]
        [--server-threads N] [--server-processes N] [--phases idle indexing hostile] [--client python|wrk] [--json]

The server is the real one, ``newsearch serve`` (waitress) on 127.0.0.1, started as a subprocess
over a *copy* of the index, so the indexing phase can add its articles again on every run. Without
``--index-dir`` the index is built from ``--articles`` first (``index --full``, a few minutes).

Each client is a thread with one keep-alive ``http.client`` connection that asks as fast as it is
answered (no think time): 16 clients means 16 requests in flight, the worst a newsroom's crawlers
and colleagues do together. The query mix is drawn with a fixed seed from the articles, the way
people search: whole titles, one and two title words, two-word phrases, a month's date filter, a
section facet, date sort and a second page, half on the HTML page ``/``, half on ``/api/search``.

Phase ``idle`` only searches. Phase ``indexing`` starts ``newsearch index`` on a JSON Lines file
of ``--new-articles`` articles (FANG records with new ids, URLs and a "Lastprobe N:" title) at the
phase's start; its figures are also given for the requests that ran while the indexer did. After
it, every new article must be found by the server (``q=Lastprobe``), which proves the server
followed the commits. A phase ends at ``--duration`` seconds or ``--max-requests`` requests,
whichever comes first. An error is a non-2xx answer or a broken connection.

``--phases hostile`` asks each request of ``HOSTILE`` once, alone, on the page and the API: it
must answer 200 or 4xx, never 5xx, and should be no slower than the load's p95.

The client threads share the machine's cores with the server (and with the indexer): on a
2-core box that is part of what is measured.

``--client wrk`` drives the same URLs with wrk (``apt-get install wrk``; ``bench/load_wrk.lua``),
a load generator in C, as a check that the figures are the server's and not the Python client's.
wrk reports one set of figures per run, so in the indexing phase it runs from the indexer's start
until the indexer ends (or ``--duration``): its figures are those of the requests while indexing.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[^\W\d_]{5,}")
MARKER = "Lastprobe"  # in every new article's title; in no FANG article
WARM_UP = 32  # requests per phase not counted: the first fills the facet-column cache (~1 s)


@dataclass(frozen=True, slots=True)
class Sample:
    started: float  # time.monotonic() when the request was sent
    seconds: float
    ok: bool


@dataclass(frozen=True, slots=True)
class Figures:
    requests: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int


def read_records(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def make_urls(records: list[dict], count: int, seed: int = 7) -> list[str]:
    """``count`` request paths: the mix of the module docstring, drawn with a fixed seed."""
    rng = random.Random(seed)
    sections = sorted({r["section"] for r in records if r.get("section") and not r["section"].isdigit()})
    months = sorted({r["date"][:7] for r in records if r.get("date")})
    urls = []
    while len(urls) < count:
        record = rng.choice(records)
        words = WORD.findall(record.get("title", ""))
        if not words:
            continue
        kind = rng.random()
        params: dict[str, str] = {}
        if kind < 0.15:
            params["q"] = record["title"]
        elif kind < 0.40:
            params["q"] = rng.choice(words)
        elif kind < 0.60:
            params["q"] = " ".join(rng.sample(words, 2)) if len(words) > 1 else words[0]
        elif kind < 0.70:
            at = rng.randrange(len(words))
            params["q"] = f'"{" ".join(words[at:at + 2])}"'
        elif kind < 0.80:
            month = rng.choice(months)
            params.update(q=rng.choice(words), **{"from": f"{month}-01", "to": f"{month}-28"})
        elif kind < 0.90:
            params.update(q=rng.choice(words), section=rng.choice(sections))
        elif kind < 0.95:
            params.update(q=rng.choice(words), sort="date")
        else:
            params.update(q=rng.choice(words), page="2")
        path = "/api/search" if rng.random() < 0.5 else "/"
        urls.append(f"{path}?{urllib.parse.urlencode(params)}")
    return urls


# Hostile requests (tests/test_security.py's, at FANG scale, plus prefix queries that expand to
# thousands of terms): each must answer 200 or 4xx, never 5xx, and no slower than the load's p95.
HOSTILE = [
    {"q": "x" * 10_000}, {"q": "\x00\x01\x02 Corona"}, {"q": "Corona\u202e"}, {"q": "((((((((((("},
    {"q": '"' * 501}, {"q": "NICHT " * 300}, {"q": "titel:" * 200}, {"q": "*" * 1000}, {"q": "Coro*na?"},
    {"q": "a*"}, {"q": "s*"}, {"q": "e* ODER i*"}, {"q": "Corona", "page": "-1"}, {"q": "Corona", "per_page": "100000"},
    {"q": "Corona", "page": "1000", "per_page": "100"}, {"q": "Corona", "from": "31.02.2026"},
    {"q": "Corona", "unbekannt": "1", "sort": "date"}, {"q": "Corona", "from": "\x00"},
    {"q": '<script>alert(1)</script>'}, {"q": "Corona", "section": "x" * 5000},
]


def hostile_paths() -> list[str]:
    return [f"{path}?{urllib.parse.urlencode(params)}" for params in HOSTILE for path in ("/api/search", "/")]


def ask_hostile(port: int) -> dict:
    """Each hostile request once, one at a time: status counts, 5xx count, the slowest."""
    statuses: dict[str, int] = {}
    timed = []
    for path in hostile_paths():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        started = time.monotonic()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            status = str(response.status)
        except (OSError, http.client.HTTPException) as err:
            status = type(err).__name__
        finally:
            conn.close()
        took = time.monotonic() - started
        statuses[status] = statuses.get(status, 0) + 1
        timed.append((round(1000 * took, 1), status, path[:70]))
    errors = sum(n for s, n in statuses.items() if not (s.isdigit() and int(s) < 500))
    timed.sort(reverse=True)
    return {"requests": sum(statuses.values()), "statuses": statuses, "errors": errors,
            "slowest_ms": timed[0][0], "slowest": timed[:6]}


def write_new_articles(records: list[dict], target: Path, count: int, seed: int = 11) -> Path:
    """``count`` articles no index holds yet: FANG records with new ids, URLs and titles."""
    rng = random.Random(seed)
    with target.open("w", encoding="utf-8") as fh:
        for n, record in enumerate(rng.sample(records, count), start=1):
            new = dict(record, id=f"lastprobe-{n}", url=f"https://lastprobe.invalid/{n}",
                       title=f"{MARKER} {n}: {record.get('title', '')}")
            fh.write(json.dumps(new, ensure_ascii=False) + "\n")
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(index_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "newsearch", "--index-dir", str(index_dir), *args]


class Server:
    """``newsearch serve`` as a subprocess, polled until it answers; its output goes to ``log``."""

    def __init__(self, index_dir: Path, log: Path, threads: int | None, processes: int | None):
        self.port = free_port()
        extra = (["--threads", str(threads)] if threads else []) + (["--processes", str(processes)] if processes else [])
        self.log = log.open("w")
        self.proc = subprocess.Popen(cli(index_dir, "serve", "--port", str(self.port), *extra), cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"newsearch serve ended with {self.proc.returncode}:\n{log.read_text()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/search?q=Test")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("newsearch serve did not answer within 30 s") from None
                time.sleep(0.2)

    def get_json(self, path: str) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def drive(port: int, urls: list[str], clients: int, duration: float, max_requests: int) -> list[Sample]:
    """Ask ``urls`` round-robin from ``clients`` threads until ``duration`` s or ``max_requests`` have passed."""
    samples: list[Sample] = []
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + duration

    def next_url() -> str | None:
        nonlocal issued
        with lock:
            if issued >= max_requests or time.monotonic() >= deadline:
                return None
            issued += 1
            return urls[issued % len(urls)]

    def client() -> None:
        conn = None
        mine: list[Sample] = []
        while (url := next_url()) is not None:
            started = time.monotonic()
            ok = False
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", url)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
            mine.append(Sample(started, time.monotonic() - started, ok))
        if conn is not None:
            conn.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples


WRK_SCRIPT = ROOT / "bench" / "load_wrk.lua"


def drive_wrk(port: int, urls: list[str], clients: int, duration: float, max_requests: int,
              until: subprocess.Popen | None = None) -> Figures:
    """The same load from wrk (C, epoll): ``clients`` keep-alive connections on 2 threads, ``urls``
    round-robin, for ``duration`` s or ``max_requests`` answers; with ``until``, stopped (SIGINT,
    after which wrk still reports) as soon as that process has ended."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk fehlt: apt-get install wrk (oder --client python)")
    threads = min(2, clients)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(urls) + "\n")
    env = dict(os.environ, URLS=fh.name, MAX_REQUESTS=str(-(-max_requests // threads)))
    try:
        proc = subprocess.Popen(["wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(duration))}s",
                                 "--timeout", "30s", "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if until is not None:
            while proc.poll() is None and until.poll() is None:
                time.sleep(0.05)
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=duration + 60)[0]
    finally:
        os.unlink(fh.name)
    found = [line for line in out.splitlines() if line.startswith('{"requests"')]
    if not found:
        raise RuntimeError(f"wrk gab keine Zahlen aus:\n{out}")
    w = json.loads(found[-1])
    seconds = w["duration_us"] / 1e6
    ms = [round(w[key] / 1000, 1) for key in ("p50_us", "p95_us", "p99_us", "max_us")]
    return Figures(w["requests"], round(seconds, 1), round(w["requests"] / seconds, 1), *ms, w["errors"])


def time_exit(proc: subprocess.Popen, into: list[float]) -> None:
    """Wait for ``proc`` and note when it ended."""
    proc.wait()
    into.append(time.monotonic())


def figures(samples: list[Sample]) -> Figures:
    """Throughput, nearest-rank percentiles and errors of ``samples``."""
    if not samples:
        return Figures(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0)
    times = sorted(s.seconds for s in samples)
    span = max(s.started + s.seconds for s in samples) - min(s.started for s in samples)

    def pct(p: float) -> float:
        return round(1000 * times[min(len(times) - 1, max(0, int(-(-p * len(times) // 100)) - 1))], 1)

    return Figures(len(samples), round(span, 1), round(len(samples) / span, 1), pct(50), pct(95), pct(99),
                   round(1000 * times[-1], 1), sum(not s.ok for s in samples))


def run(args) -> dict:
    records = read_records(args.articles)
    urls = make_urls(records, 5000)
    work = Path(tempfile.mkdtemp(prefix="newsearch-load-"))
    try:
        index_dir = work / "index"
        if args.index_dir:
            shutil.copytree(args.index_dir, index_dir, ignore=shutil.ignore_patterns("write.lock"))
        else:
            print(f"Baue den Index aus {args.articles} …", file=sys.stderr)
            subprocess.run(cli(index_dir, "index", "--full", "--max-file-size", str(1 << 31), str(args.articles)),
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        new_file = write_new_articles(records, work / "neu.jsonl", args.new_articles)
        server = Server(index_dir, work / "serve.log", args.server_threads, args.server_processes)
        try:
            before = server.get_json("/api/search?q=Test&per_page=1")["total"]
            out = {"articles": str(args.articles), "documents_matching_Test": before, "clients": args.clients,
                   "duration_s": args.duration, "max_requests": args.max_requests,
                   "server_threads": args.server_threads or "default", "server_processes": args.server_processes or "default",
                   "cpus": os.cpu_count(), "client": args.client, "phases": {}}
            for phase in args.phases:
                if phase == "hostile":
                    out["phases"][phase] = ask_hostile(server.port)
                    continue
                drive(server.port, urls[-WARM_UP:], args.clients, 30, WARM_UP)
                print(f"Phase {phase}: {args.clients} Clients, {args.duration:g} s …", file=sys.stderr)
                indexer = None
                if phase == "indexing":
                    indexer_log = (work / "index.log").open("w")
                    indexer = subprocess.Popen(cli(index_dir, "index", str(new_file)), cwd=ROOT,
                                               stdout=indexer_log, stderr=subprocess.STDOUT)
                    indexer_started = time.monotonic()
                    indexer_ended: list[float] = []  # set the moment it exits, which may be mid-phase
                    waiter = threading.Thread(target=time_exit, args=(indexer, indexer_ended), daemon=True)
                    waiter.start()
                load_before = os.getloadavg()[0]
                if args.client == "wrk":
                    # wrk reports one set of figures per run: while indexing, the run is the indexer's time
                    fig = drive_wrk(server.port, urls, args.clients, args.duration, args.max_requests, until=indexer)
                else:
                    samples = drive(server.port, urls, args.clients, args.duration, args.max_requests)
                    fig = figures(samples)
                # The 1-minute load average around the phase: other work on a shared machine shows here.
                result = {"all": asdict(fig), "loadavg_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)]}
                if indexer is not None:
                    waiter.join(timeout=max(600, args.duration * 10))
                    code = indexer.wait(timeout=1)
                    indexer_log.close()
                    during_fig = fig if args.client == "wrk" else figures(
                        [s for s in samples if indexer_started <= s.started < indexer_ended[0]])
                    found = server.get_json(f"/api/search?q={MARKER}&per_page=1")["total"]
                    result.update(
                        while_indexer_ran=asdict(during_fig),
                        indexer_seconds=round(indexer_ended[0] - indexer_started, 1),
                        indexer_exit=code,
                        indexer_output=(work / "index.log").read_text().strip().splitlines()[-1:],
                        new_articles=args.new_articles,
                        new_articles_found=found,
                    )
                out["phases"][phase] = result
            return out
        finally:
            server.stop()
            if args.keep_log:
                shutil.copy(work / "serve.log", args.keep_log)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_table(out: dict) -> None:
    print(f"{out['clients']} Clients ({out['client']}), bis {out['duration_s']:g} s oder {out['max_requests']} Anfragen je Phase, "
          f"Server: {out['server_processes']} Prozess(e) à {out['server_threads']} Threads, {out['cpus']} CPUs")
    print(f"{'Phase':<26}{'Anfr.':>8}{'Anfr./s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'Fehler':>8}")
    for phase, result in out["phases"].items():
        if phase == "hostile":
            print(f"hostile: {result['requests']} Anfragen, Status {result['statuses']}, Fehler (5xx) {result['errors']}; "
                  f"die langsamsten:")
            for ms, status, path in result["slowest"]:
                print(f"  {ms:>9} ms  {status}  {path}")
            continue
        for part in ("all", "while_indexer_ran"):
            if part in result:
                fig = result[part]
                name = phase if part == "all" else "  davon Indexer lief"
                print(f"{name:<26}{fig['requests']:>8}{fig['requests_per_s']:>9}{fig['p50_ms']:>9}{fig['p95_ms']:>9}"
                      f"{fig['p99_ms']:>9}{fig['max_ms']:>9}{fig['errors']:>8}")
        print(f"  Load-Durchschnitt (1 min) vorher/nachher: {result['loadavg_1min']}")
        if "indexer_seconds" in result:
            print(f"  Indexer: {result['indexer_seconds']} s, Exit {result['indexer_exit']}, "
                  f"neue Artikel gefunden: {result['new_articles_found']} von {result['new_articles']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, default=ROOT.parent / "shared/data/fang-covid-real.jsonl.gz")
    parser.add_argument("--index-dir", type=Path, help="a built index of --articles (copied, never changed)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--max-requests", type=int, default=200_000, help="requests per phase at most")
    parser.add_argument("--new-articles", type=int, default=1000)
    parser.add_argument("--server-threads", type=int, help="waitress threads (default: serve's default)")
    parser.add_argument("--server-processes", type=int, help="serve --processes (default: serve's default)")
    parser.add_argument("--client", choices=["python", "wrk"], default="python",
                        help="python: 16 threads of http.client (per-request samples); wrk: Debian's wrk with "
                             "bench/load_wrk.lua (C; while indexing it runs exactly as long as the indexer)")
    parser.add_argument("--phases", nargs="+", default=["idle", "indexing"], choices=["idle", "indexing", "hostile"],
                        help="hostile: each hostile request once, alone (not part of the default)")
    parser.add_argument("--keep-log", type=Path, help="copy the server's output here")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    out = run(args)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print_table(out)
    failed = any(r.get("all", r)["errors"] or r.get("new_articles_found", r.get("new_articles")) != r.get("new_articles")
                 for r in out["phases"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
