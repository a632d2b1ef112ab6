"""Fixtures, each building on the one before: files → real index → app/client → live server → browser."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.write import index_files
from web import create_app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "000_502c415add25ad79.txt"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def fetch(url: str, timeout: float = 10) -> tuple[int, str, str]:
    """Status, content type and body of a GET over real HTTP; an error status is an answer too."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read().decode("utf-8")


def write_jsonl(path: Path, records: list[dict]) -> None:
    """``records`` as a JSON Lines file, one article a line."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


@pytest.fixture
def sample_files(tmp_path: Path) -> Path:
    """A directory holding a copy of the sample article."""
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    return folder


@pytest.fixture
def index_dir(tmp_path: Path, sample_files: Path) -> Path:
    """A real Whoosh index of the sample article, built by the real ``index_files``."""
    return built_index(sample_files, tmp_path / "index", articles=1, related=6)


def built_index(files: Path, target: Path, articles: int, related: int) -> Path:
    """``target`` indexed from ``files`` by the real ``index_files``, which must find exactly
    ``articles`` and ``related`` documents and no broken file."""
    report = index_files([files], target)
    assert (report.articles, report.related, report.failures) == (articles, related, ()), report
    return target


@pytest.fixture
def app(index_dir: Path):
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run_cli(*args: str, index_dir: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m newsearch ARGS`` as a real subprocess, as a user runs it."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.pop("NEWSEARCH_INDEX", None)
    prefix = ["--index-dir", str(index_dir)] if index_dir else []
    return subprocess.run(
        [sys.executable, "-m", "newsearch", *prefix, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(index_dir: Path, *args: str, wait: float = 20) -> Iterator[str]:
    """``newsearch serve ARGS`` over ``index_dir`` as a subprocess on a free port, once it answers
    (within ``wait`` seconds); yields its base URL; stopped in ``finally``."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsearch", "--index-dir", str(index_dir), "serve", "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"newsearch serve died with {proc.returncode}:\n{proc.stdout.read()}")
            try:
                urllib.request.urlopen(base + "/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"newsearch serve did not answer within {wait:g} s")
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def live_server(index_dir: Path):
    """``newsearch serve`` over the sample index."""
    with serving(index_dir) as base:
        yield base


@pytest.fixture
def empty_index_dir(tmp_path: Path) -> Path:
    """A real index that holds no document: ``index`` of an empty directory."""
    folder = tmp_path / "leer"
    folder.mkdir()
    return built_index(folder, tmp_path / "empty-index", articles=0, related=0)


@pytest.fixture
def empty_server(empty_index_dir: Path):
    """``newsearch serve`` over an index without documents."""
    with serving(empty_index_dir) as base:
        yield base


@pytest.fixture
def page(live_server):
    """Debian's headless Chromium, driven by Playwright, with the live server's URL as ``page.base``."""
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        try:
            pg = browser.new_page()
            pg.set_default_timeout(10_000)
            pg.base = live_server
            yield pg
        finally:
            browser.close()


@pytest.fixture(autouse=True)
def _sigint_as_at_a_terminal():
    """Ctrl-C reaches the subprocesses a test starts. A test run started in the background by a
    non-interactive shell (``make test &``, ``nohup``, a CI runner doing the same) begins with
    SIGINT ignored (SigIgn of the pytest process, 0x81001007: SIGHUP, SIGINT, SIGQUIT), and a child
    inherits an ignored signal: ``watch`` then never saw the SIGINT its tests send, as a person's
    Ctrl-C, and hung (clean clones at c0cecdb, 1faa347 and 4832fb2; the earlier reading, "after the
    Ray tests", was wrong). Python's own handler, set before every test, is reset to the default in
    every child that ``exec``s, as at a terminal."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
