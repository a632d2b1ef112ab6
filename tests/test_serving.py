"""``newsearch serve --processes N``: several waitress processes on one port, stopped together;
one per core unless told otherwise."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, run_cli


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def start_server(index_dir, *args: str) -> tuple[subprocess.Popen, int]:
    """``newsearch serve`` on a free port, once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsearch", "--index-dir", str(index_dir), "serve", "--port", str(port), *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read())
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
            return proc, port
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("newsearch serve did not answer within 20 s") from None
            time.sleep(0.1)


def test_serve_uses_one_process_per_core_by_default(index_dir):
    proc, port = start_server(index_dir)
    try:
        cores = min(4, len(os.sched_getaffinity(0)))
        workers = children_of(proc.pid)
        # One process serves in itself; several are forked children of the one started.
        assert len(workers) == (cores if cores > 1 else 0), (cores, workers)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=Botschaft", timeout=10) as response:
            assert json.load(response)["total"] == 1
    finally:
        proc.terminate()
        output = proc.communicate(timeout=15)[0]
    assert proc.returncode == 0 and "Traceback" not in output, output


def test_serve_runs_two_app_threads_per_process_unless_told(index_dir):
    """Each process: waitress's socket thread plus its app threads (2 by default, web/serving.py)."""
    counts = {}
    for args in ((), ("--threads", "5")):
        proc, _ = start_server(index_dir, "--processes", "2", *args)
        try:
            counts[args] = sorted(len(os.listdir(f"/proc/{pid}/task")) for pid in children_of(proc.pid))
        finally:
            proc.terminate()
            proc.communicate(timeout=15)
    assert counts == {(): [3, 3], ("--threads", "5"): [6, 6]}, counts


def test_serve_with_two_processes_answers_from_both_and_stops_them_on_sigterm(index_dir):
    proc, port = start_server(index_dir, "--processes", "2")
    try:
        workers = children_of(proc.pid)
        assert len(workers) == 2, workers
        for _ in range(6):  # new connections each time: the kernel may hand them to either process
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=Botschaft", timeout=10) as response:
                assert json.load(response)["total"] == 1
    finally:
        proc.terminate()
        output = proc.communicate(timeout=15)[0]
    assert proc.returncode == 0, output
    assert "Traceback" not in output, output
    assert not [pid for pid in workers if running(pid)], "a server process outlived its parent"


@pytest.mark.parametrize("args", [(), ("--processes", "2"), ("--debug",)], ids=["one", "two", "debug"])
def test_serve_on_a_busy_port_says_so_in_german_and_exits_1(index_dir, args):
    """Regression: it announced ``newsearch: http://…`` and then died with OSError Errno 98."""
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        result = run_cli("serve", "--port", str(port), *args, index_dir=index_dir, timeout=30)
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert result.stderr == (
        f"Fehler: Der Server kann nicht starten: Port {port} ist schon belegt (von einem anderen Programm oder "
        f"einem laufenden newsearch serve). Einen anderen Port wählen, z. B. --port {port + 1}.\n"
    )
