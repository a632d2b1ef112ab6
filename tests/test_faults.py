"""Faults of the machine, not of the input: a size limit, a full disk, a read-only index.

Each runs the real ``newsearch`` in a subprocess. The full disk is a small tmpfs and the read-only
index a read-only bind mount, both in a private mount namespace (``unshare -m``, or ``-rm`` for
a user without root), so nothing stays mounted when the test ends; ``chmod`` would not do, since
root writes through it. ``bench/faults.py`` runs the same faults at FANG scale, with ``kill -9``.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, run_cli
from tests.pages import write_page

UNSHARE = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
READ_ONLY = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"'


def private_mounts_allowed() -> bool:
    return shutil.which("unshare") is not None and subprocess.run([*UNSHARE, "true"], capture_output=True).returncode == 0


needs_mounts = pytest.mark.skipif(not private_mounts_allowed(),
                                  reason="no private mount namespace here (unshare -m / -rm refused)")


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """Sixty articles of many distinct words: their segment is well beyond 100 KB."""
    folder = tmp_path / "batch"
    folder.mkdir()
    for i in range(60):
        write_page(folder / f"{i:03d}.txt", f"Haushalt der Kommune {i}",
                   body=" ".join(f"Posten{i}x{j} wurde gekürzt." for j in range(400)))
    return folder


def newsearch(index_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "newsearch", "--index-dir", str(index_dir), *args]


def assert_clean_german_failure(proc, cause: str) -> None:
    """Exit 1, not a signal; the sentence names the cause and promises the committed state; no traceback."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Indexieren abgebrochen" in proc.stderr and cause in proc.stderr, proc.stderr
    assert "festgeschrieben war, bleibt im Index" in proc.stderr, proc.stderr


def assert_sample_still_answers(index_dir: Path) -> None:
    result = run_cli("query", "Botschaft", "--json", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 1, result.stdout


@pytest.mark.parametrize("mode", [[], ["--full"]], ids=["incremental", "full"])
def test_index_beyond_the_file_size_limit_exits_1_in_german_and_keeps_what_was_committed(index_dir, batch, mode):
    """Guards the SIGXFSZ path: the write must fail with EFBIG (exit 1, message), not kill the process (-25).
    ``--full`` writes in build processes (indexer/bulk.py): their failure must end the same way."""

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    proc = subprocess.run(newsearch(index_dir, "index", *mode, str(batch)), cwd=ROOT, capture_output=True,
                          text=True, preexec_fn=limit, timeout=120)
    assert_clean_german_failure(proc, "ulimit -f")
    assert_sample_still_answers(index_dir)
    # the failed --full's half-built generation is gone: only the live one is left
    assert [p.name for p in index_dir.glob("gen-*")] == [json.loads((index_dir / "newsearch.json").read_text())["generation"]]
    again = run_cli("index", *mode, str(batch), index_dir=index_dir)
    assert again.returncode == 0, again.stderr
    assert "neu: 60, aktualisiert: 0, gelöscht: 0, unverändert: 0" in again.stdout, again.stdout


@needs_mounts
def test_index_on_a_full_disk_exits_1_in_german_and_keeps_what_was_committed(index_dir, batch, tmp_path):
    mount = tmp_path / "disk"
    out = tmp_path / "out"
    mount.mkdir()
    out.mkdir()
    used = sum(-(-p.stat().st_size // 4096) * 4096 + 4096 for p in index_dir.rglob("*"))
    script = (
        'mount -t tmpfs -o size="$2" tmpfs "$1" && cp -a "$3" "$1/index" || exit 99\n'
        'shift 3\n'
        '"$@" index "$BATCH" > "$OUT/index.out" 2> "$OUT/index.err"; echo $? > "$OUT/index.rc"\n'
        '"$@" query Botschaft --json > "$OUT/query.out" 2>&1; echo $? > "$OUT/query.rc"\n'
    )
    env = dict(os.environ, BATCH=str(batch), OUT=str(out))
    proc = subprocess.run([*UNSHARE, "sh", "-c", script, "sh", str(mount), str(used + 32 * 1024), str(index_dir),
                           sys.executable, "-m", "newsearch", "--index-dir", str(mount / "index")],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == 0, proc.stderr
    failed = subprocess.CompletedProcess([], int((out / "index.rc").read_text()), (out / "index.out").read_text(),
                                         (out / "index.err").read_text())
    assert_clean_german_failure(failed, "kein Platz mehr auf dem Datenträger")
    assert (out / "query.rc").read_text().strip() == "0", (out / "query.out").read_text()
    assert json.loads((out / "query.out").read_text())["total"] == 1


def read_only(command: list[str], index_dir: Path) -> list[str]:
    """``command`` with ``index_dir`` mounted read-only for it alone."""
    return [*UNSHARE, "sh", "-c", READ_ONLY, "sh", str(index_dir), *command]


@needs_mounts
def test_index_into_a_read_only_index_exits_1_in_german(index_dir, batch):
    proc = subprocess.run(read_only(newsearch(index_dir, "index", str(batch)), index_dir), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert_clean_german_failure(proc, "schreibgeschützt")
    assert str(index_dir) in proc.stderr, proc.stderr


@needs_mounts
def test_serve_answers_from_a_read_only_index_and_creates_nothing(index_dir):
    """The web process only reads: opening the index must not need a lock file or anything else written."""
    before = sorted(p.relative_to(index_dir) for p in index_dir.rglob("*"))
    port = free_port()
    proc = subprocess.Popen(read_only(newsearch(index_dir, "serve", "--port", str(port)), index_dir), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                with urllib.request.urlopen(base + "/api/search?q=Botschaft", timeout=5) as response:
                    body = json.load(response)
                break
            except OSError:
                assert time.monotonic() < deadline, "newsearch serve did not answer within 20 s"
                time.sleep(0.1)
        assert body["total"] == 1 and body["hits"][0]["title"].startswith("USA und Russland"), body
        with urllib.request.urlopen(base + "/?q=Botschaft", timeout=5) as response:
            assert response.status == 200 and "Botschaften" in response.read().decode()
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert "Traceback" not in output, output
    assert sorted(p.relative_to(index_dir) for p in index_dir.rglob("*")) == before
