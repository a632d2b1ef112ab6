"""Faults: ``kill -9`` of the indexer, a full disk, a read-only index. Each must end cleanly.

    python -m bench.faults [--articles ../shared/data/fang-covid-real.jsonl.gz] [--runs 10]
        [--seed 1] [--only kill disk readonly] [--json]

The batch is ``--batch`` FANG articles (a seeded sample) in JSON Lines files of ten; the first
``--base-files`` files are indexed first (the "base", committed before anything goes wrong).

kill
    ``newsearch index --commit-every 0.5`` over the whole batch, ``kill -9`` after a random delay
    (seeded) between 5 % and 95 % of a clean run's time; every fifth run is an ``--full`` rebuild
    (two build processes). Meanwhile the ids the index holds are read every 0.1 s: what was seen
    committed is "committed before the kill". After the kill: the index opens and answers a
    query, no id is there twice, nothing seen committed (nor the base) is missing, nothing foreign
    is there, and build processes that outlived their parent are counted. Then the same command
    runs again and must finish the batch: exit 0, ``neu`` + ``unverändert`` = the batch, and
    exactly the batch in the index.
disk
    A size limit (``RLIMIT_FSIZE`` in the child, as ``ulimit -f``), incremental and ``--full``;
    and, where mounting is allowed (root, or a user namespace), a tmpfs just larger than the base
    index, inside a private mount namespace (``unshare -m``) so nothing stays mounted. The indexer
    must exit 1 with the German message and no traceback, the index must answer with the whole
    base, and a run with room again must finish the batch.
readonly
    ``newsearch serve`` over the index made read-only: a read-only bind mount in a private mount
    namespace when we are root (``chmod`` does not stop root), ``chmod -R a-w`` otherwise. It must
    start and answer searches, create nothing, and ``newsearch index`` there must exit 1 with the
    German message.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.procs import alive_in_group  # noqa: E402
from indexer import schema as f  # noqa: E402
from indexer.store import open_for_reading  # noqa: E402
from search.query import build_request, open_searcher, run_query  # noqa: E402

SUMMARY = re.compile(r"neu: (\d+), aktualisiert: (\d+), gelöscht: (\d+), unverändert: (\d+), fehlerhaft: (\d+)")
PER_FILE = 10
QUERY = "Corona"  # in nearly every FANG article


def command(index_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "newsearch", "--index-dir", str(index_dir), *args]


def write_batch(articles: Path, target: Path, count: int, seed: int) -> list[Path]:
    """``count`` FANG articles with distinct URLs, ``PER_FILE`` to a JSON Lines file."""
    with gzip.open(articles, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    by_url = {r["url"]: r for r in records if r.get("url")}
    chosen = random.Random(seed).sample(sorted(by_url), count)
    target.mkdir(parents=True)
    files = []
    for start in range(0, count, PER_FILE):
        path = target / f"teil-{start // PER_FILE:03d}.jsonl"
        path.write_text("".join(json.dumps(by_url[u], ensure_ascii=False) + "\n" for u in chosen[start:start + PER_FILE]),
                        encoding="utf-8")
        files.append(path)
    return files


def stored_ids(index_dir: Path) -> list[str]:
    """The ids of every article in the index, duplicates kept (so they can be found)."""
    with open_for_reading(index_dir).searcher() as searcher:
        return [d[f.ID] for d in searcher.all_stored_fields() if d[f.KIND] != f.SOURCE_KIND]


def answers(index_dir: Path) -> int:
    """Hits for ``QUERY`` through the real query path: the index opens and searches."""
    with open_searcher(open_for_reading(index_dir)) as searcher:
        return run_query(searcher, build_request(QUERY)).total


def summary(output: str) -> dict | None:
    found = SUMMARY.search(output)
    if found is None:
        return None
    return dict(zip(("neu", "aktualisiert", "gelöscht", "unverändert", "fehlerhaft"), map(int, found.groups())))


def run_index(index_dir: Path, paths: Path | list[Path], *extra: str, limit: int | None = None
              ) -> subprocess.CompletedProcess:
    """``newsearch index`` as a user runs it; ``limit`` is ``ulimit -f`` in bytes for that process only."""
    def preexec():
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    paths = [paths] if isinstance(paths, Path) else paths
    return subprocess.run(command(index_dir, "index", *extra, *map(str, paths)), cwd=ROOT, capture_output=True,
                          text=True, preexec_fn=preexec, timeout=900)


def clean_exit_message(proc: subprocess.CompletedProcess, *needles: str) -> bool:
    """Exit 1 (not a signal), a German sentence naming the cause, no traceback."""
    return (proc.returncode == 1 and "Traceback" not in proc.stderr and "Indexieren abgebrochen" in proc.stderr
            and any(n in proc.stderr for n in needles))


# -- kill -9 --------------------------------------------------------------------------------------
def kill_runs(work: Path, inbox: Path, base: Path, expected: set[str], runs: int, seed: int) -> dict:
    clean_seconds = {}
    for mode, args in (("inkrementell", ["--commit-every", "0.5"]), ("--full", ["--full"])):
        timing = work / f"timing{len(clean_seconds)}"
        shutil.copytree(base, timing)
        started = time.monotonic()
        done = run_index(timing, inbox, *args)
        clean_seconds[mode] = round(time.monotonic() - started, 1)
        assert done.returncode == 0, done.stderr
        shutil.rmtree(timing)
    base_ids = set(stored_ids(base))
    results = []
    for n in range(runs):
        rng = random.Random(seed * 1000 + n)
        full = n % 5 == 4
        mode = "--full" if full else "inkrementell"
        delay = rng.uniform(0.05, 0.95) * clean_seconds[mode]
        run_dir = work / f"kill-{n}"
        args = ["--full"] if full else ["--commit-every", "0.5"]
        for _ in range(4):  # a run that ends before its kill tested nothing: again, with half the delay
            shutil.rmtree(run_dir, ignore_errors=True)
            shutil.copytree(base, run_dir)
            finished_first, seen, orphans, orphans_later = _start_and_kill(run_dir, inbox, args, delay, base_ids, full)
            if not finished_first:
                break
            delay /= 2
        row = {"run": n, "mode": mode, "kill_after_s": round(delay, 2), "finished_before_kill": finished_first,
               "orphans": orphans, "orphans_after_5s": orphans_later}
        try:
            after = stored_ids(run_dir)
            row.update(opens=True, hits=answers(run_dir), documents=len(after), duplicates=len(after) - len(set(after)),
                       lost=len(seen - set(after)), foreign=len(set(after) - expected - base_ids))
        except Exception as err:  # the finding itself: record it, do not stop the other runs
            row.update(opens=False, error=f"{type(err).__name__}: {err}")
            after = []
        again = run_index(run_dir, inbox, *(["--full"] if full else []))
        counts = summary(again.stdout) or {}
        final = stored_ids(run_dir)
        survived = len(set(after))
        row.update(rerun_exit=again.returncode, rerun=counts, final_documents=len(final),
                   final_duplicates=len(final) - len(set(final)))
        if full:
            counts_right = counts.get("neu") == len(expected)
        else:
            counts_right = counts.get("neu") == len(expected) - survived and counts.get("unverändert") == survived
        row["ok"] = bool(not finished_first and row.get("opens") and row["hits"] > 0 and not row["duplicates"] and not row["lost"]
                         and not row["foreign"] and again.returncode == 0 and counts_right
                         and set(final) == expected and not row["final_duplicates"])
        results.append(row)
        shutil.rmtree(run_dir, ignore_errors=True)
    return {"clean_run_s": clean_seconds, "runs": results, "ok": all(r["ok"] for r in results)}


def _start_and_kill(run_dir: Path, inbox: Path, args: list[str], delay: float, base_ids: set[str], full: bool):
    """Start the indexer, note what it commits, ``kill -9`` it after ``delay`` s unless it finished first.

    Returns (finished first, ids seen committed, processes of its group alive at the kill, 5 s later).
    """
    proc = subprocess.Popen(command(run_dir, "index", *args, str(inbox)), cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[str] = set(base_ids)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        if not full:  # --full commits nothing readers see until its final swap
            try:
                seen |= set(stored_ids(run_dir))
            except Exception:  # mid-commit: Whoosh renames the new table of contents into place; try again
                pass
        time.sleep(0.1)
    if proc.poll() is not None:
        return True, seen, 0, 0
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    orphans = alive_in_group(proc.pid)
    waited = time.monotonic() + 5
    while alive_in_group(proc.pid) and time.monotonic() < waited:
        time.sleep(0.1)
    orphans_later = alive_in_group(proc.pid)
    end_group(proc.pid)
    return False, seen, orphans, orphans_later


def end_group(pgid: int) -> None:
    """End what is left of the group we started, so the next run has the cores."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# -- full disk ------------------------------------------------------------------------------------
def disk_runs(work: Path, inbox: Path, base: Path, expected: set[str]) -> dict:
    base_ids = set(stored_ids(base))
    rows = []
    for mode, extra in (("inkrementell", []), ("--full", ["--full"])):
        run_dir = work / f"fsize-{mode.strip('-')}"
        shutil.copytree(base, run_dir)
        limit = 256 * 1024
        proc = run_index(run_dir, inbox, *extra, limit=limit)
        rows.append(_after_disk_fault(f"RLIMIT_FSIZE {limit // 1024} KiB, {mode}", proc, run_dir, inbox, extra,
                                      base_ids, expected, ("ulimit -f", "zu groß")))
        shutil.rmtree(run_dir, ignore_errors=True)
    tmpfs = _in_namespace(["--tmpfs-inner", str(work), str(inbox), str(base)], mount=True)
    if tmpfs is None:
        rows.append({"case": "tmpfs", "ok": None, "note": "Einhängen nicht erlaubt (weder root noch User-Namespace)"})
    else:
        rows.extend(tmpfs)
    return {"runs": rows, "ok": all(r["ok"] is not False for r in rows)}


def _after_disk_fault(case: str, proc, run_dir: Path, inbox: Path, extra: list[str], base_ids: set[str],
                      expected: set[str], needles: tuple[str, ...]) -> dict:
    row = {"case": case, "exit": proc.returncode, "message": proc.stderr.strip().splitlines()[-1:],
           "clean_message": clean_exit_message(proc, *needles)}
    after = stored_ids(run_dir)
    row.update(hits=answers(run_dir), base_kept=base_ids <= set(after), duplicates=len(after) - len(set(after)),
               generations=len(list(run_dir.glob("gen-*"))))  # a failed --full leaves its half-built one
    again = run_index(run_dir, inbox, *extra)
    final = stored_ids(run_dir)
    row.update(rerun_exit=again.returncode, rerun=summary(again.stdout), complete_after=set(final) == expected
               and len(final) == len(expected))
    row["ok"] = bool(row["clean_message"] and row["hits"] > 0 and row["base_kept"] and not row["duplicates"]
                     and again.returncode == 0 and row["complete_after"])
    return row


def tmpfs_inner(work: Path, inbox: Path, base: Path) -> list[dict]:
    """Runs inside ``unshare -m``: a tmpfs a little larger than the base index, then room again."""
    base_ids = set(stored_ids(base))
    expected = _expected_ids(work)
    size = sum(p.stat().st_size for p in base.rglob("*") if p.is_file())
    rows = []
    for mode, extra in (("inkrementell", []), ("--full", ["--full"])):
        mount = work / f"tmpfs-{mode.strip('-')}"
        mount.mkdir()
        room = size + 64 * 1024
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={room}", "tmpfs", str(mount)], check=True)
        try:
            run_dir = mount / "index"
            shutil.copytree(base, run_dir)
            proc = run_index(run_dir, inbox, *extra)
            subprocess.run(["mount", "-o", f"remount,size={64 << 20}", str(mount)], check=True)
            rows.append(_after_disk_fault(f"tmpfs {room // 1024} KiB (Index {size // 1024} KiB), {mode}", proc,
                                          run_dir, inbox, extra, base_ids, expected, ("kein Platz",)))
        finally:
            subprocess.run(["umount", str(mount)], check=False)
    return rows


def _expected_ids(work: Path) -> set[str]:
    return set(json.loads((work / "expected.json").read_text()))


def _in_namespace(args: list[str], mount: bool) -> list[dict] | None:
    """Run this script's inner part in a private mount namespace; ``None`` if that is not allowed."""
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    if shutil.which("unshare") is None or subprocess.run([*unshare, "true"], capture_output=True).returncode != 0:
        return None
    proc = subprocess.run([*unshare, sys.executable, "-m", "bench.faults", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=1800)
    if proc.returncode != 0:
        return [{"case": " ".join(args[:1]), "ok": False, "error": proc.stderr[-2000:]}]
    return json.loads(proc.stdout)


# -- read-only index ------------------------------------------------------------------------------
def readonly_runs(work: Path, inbox: Path, base: Path) -> dict:
    run_dir = work / "readonly"
    shutil.copytree(base, run_dir)
    if os.geteuid() == 0:
        rows = _in_namespace(["--readonly-inner", str(run_dir), str(inbox)], mount=True)
        if rows is None:
            rows = [{"case": "read-only bind", "ok": None, "note": "als root ohne Mount-Namespace nicht prüfbar"}]
    else:
        subprocess.run(["chmod", "-R", "a-w", str(run_dir)], check=True)
        try:
            rows = readonly_inner(run_dir, inbox, "chmod -R a-w")
        finally:
            subprocess.run(["chmod", "-R", "u+w", str(run_dir)], check=True)
    return {"runs": rows, "ok": all(r["ok"] is not False for r in rows)}


def readonly_inner(index_dir: Path, inbox: Path, how: str | None = None) -> list[dict]:
    """Serve and index over ``index_dir`` after making it read-only (bind mount, if ``how`` is None)."""
    if how is None:
        subprocess.run(["mount", "--bind", str(index_dir), str(index_dir)], check=True)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(index_dir)], check=True)
        how = "read-only bind mount"
    listing = sorted(str(p) for p in index_dir.rglob("*"))
    expected_hits = answers(index_dir)
    port = _free_port()
    server = subprocess.Popen(command(index_dir, "serve", "--port", str(port)), cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    row = {"case": f"serve, {how}"}
    try:
        statuses = {}
        deadline = time.monotonic() + 30
        while server.poll() is None and time.monotonic() < deadline:
            try:
                statuses = {path: _get(port, path) for path in
                            (f"/api/search?q={QUERY}&per_page=1", f"/?q={QUERY}", "/")}
                break
            except OSError:
                time.sleep(0.2)
        api = statuses.get(f"/api/search?q={QUERY}&per_page=1", (0, b"{}"))
        row.update(started=server.poll() is None, statuses={p: s for p, (s, _) in statuses.items()},
                   hits=json.loads(api[1] or b"{}").get("total"), expected_hits=expected_hits)
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    row["created"] = sorted({str(p) for p in index_dir.rglob("*")} - set(listing))
    row["traceback"] = "Traceback" in output
    row["ok"] = bool(row["started"] and all(s == 200 for s in row["statuses"].values()) and row["statuses"]
                     and row["hits"] == expected_hits and not row["created"] and not row["traceback"])
    writer = run_index(index_dir, inbox)
    rows = [row, {"case": f"index, {how}", "exit": writer.returncode,
                  "message": writer.stderr.strip().splitlines()[-1:],
                  "ok": clean_exit_message(writer, "schreibgeschützt", "Berechtigung")}]
    return rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# -- driver ---------------------------------------------------------------------------------------
def prepare(work: Path, articles: Path, batch: int, base_files: int, seed: int) -> tuple[Path, Path, set[str]]:
    """The inbox, the base index (its first ``base_files`` files) and the ids of the whole batch."""
    inbox = work / "eingang"
    files = write_batch(articles, inbox, batch, seed)
    reference = work / "referenz"
    done = run_index(reference, inbox)
    assert done.returncode == 0, done.stderr
    expected = set(stored_ids(reference))
    (work / "expected.json").write_text(json.dumps(sorted(expected)))
    # The base is indexed from the inbox's own files, so the batch later finds them unchanged.
    base = work / "basis"
    done = run_index(base, files[:base_files])
    assert done.returncode == 0, done.stderr
    shutil.rmtree(reference)
    return inbox, base, expected


def print_report(out: dict) -> None:
    if "kill" in out:
        k = out["kill"]
        print(f"kill -9: {len(k['runs'])} Läufe, ungestörte Läufe (s): {k['clean_run_s']}")
        for r in k["runs"]:
            print(f"  #{r['run']} {r['mode']:<13} nach {r['kill_after_s']:>5} s: öffnet={r.get('opens')} "
                  f"Treffer={r.get('hits')} Dokumente={r.get('documents')} doppelt={r.get('duplicates')} "
                  f"verloren={r.get('lost')} fremd={r.get('foreign')} Waisen={r['orphans']}/{r['orphans_after_5s']} | "
                  f"2. Lauf Exit {r['rerun_exit']} {r['rerun']} → {r['final_documents']} Dok. "
                  f"{'OK' if r['ok'] else 'FEHLER'}")
    for part in ("disk", "readonly"):
        if part in out:
            print(f"{part}:")
            for r in out[part]["runs"]:
                state = {True: "OK", False: "FEHLER", None: "nicht geprüft"}[r["ok"]]
                print(f"  {r['case']}: {state} {json.dumps({k: v for k, v in r.items() if k not in ('case', 'ok')}, ensure_ascii=False)}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--tmpfs-inner":
        print(json.dumps(tmpfs_inner(*map(Path, argv[1:4])), ensure_ascii=False))
        return 0
    if argv and argv[0] == "--readonly-inner":
        print(json.dumps(readonly_inner(*map(Path, argv[1:3])), ensure_ascii=False))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, default=ROOT.parent / "shared/data/fang-covid-real.jsonl.gz")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=400, help="articles in the batch")
    parser.add_argument("--base-files", type=int, default=10, help="files (of ten) indexed before the faults")
    parser.add_argument("--only", nargs="+", choices=["kill", "disk", "readonly"], default=["kill", "disk", "readonly"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="newsearch-faults-"))
    os.chmod(work, 0o755)
    try:
        inbox, base, expected = prepare(work, args.articles, args.batch, args.base_files, args.seed)
        out: dict = {"batch": len(expected), "base": len(stored_ids(base)), "uid": os.geteuid()}
        if "kill" in args.only:
            out["kill"] = kill_runs(work, inbox, base, expected, args.runs, args.seed)
        if "disk" in args.only:
            out["disk"] = disk_runs(work, inbox, base, expected)
        if "readonly" in args.only:
            out["readonly"] = readonly_runs(work, inbox, base)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print_report(out)
    return 0 if all(out[p]["ok"] for p in ("kill", "disk", "readonly") if p in out) else 1


if __name__ == "__main__":
    sys.exit(main())
