"""``newsearch serve --processes N``: several waitress processes on one port, stopped together."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT, free_port


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


def test_serve_with_two_processes_answers_from_both_and_stops_them_on_sigterm(index_dir):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsearch", "--index-dir", str(index_dir), "serve", "--port", str(port),
         "--processes", "2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "newsearch serve did not answer within 20 s"
                time.sleep(0.1)
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
