"""Take the README's screenshots: ``.venv/bin/python docs/screenshots.py``.

Indexes ``sample_data/`` into a temporary directory, runs ``newsearch serve`` on a free port and
photographs the search and article pages with Debian's headless Chromium at desktop (1280x900)
and phone (390x844) sizes. Writes PNGs next to this file.
"""
from __future__ import annotations

import html
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ARTICLE_ID = "669fac5b321b2b3a"  # the sample article
SHOTS = [
    # (file name stem, path, full page)
    ("suche", "/?q=Ukraine", False),
    ("artikel", None, False),  # the article as opened from the search above: marked words, way back, next hit
]
SIZES = {"": (1280, 900), "-handy": (390, 844)}


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        newsearch = [sys.executable, "-m", "newsearch", "--index-dir", str(index)]
        subprocess.run([*newsearch, "index", str(ROOT / "sample_data")], check=True, cwd=ROOT)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = subprocess.Popen([*newsearch, "serve", "--port", str(port)], cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for(base, server)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
                try:
                    for suffix, (width, height) in SIZES.items():
                        page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
                        for stem, path, full in SHOTS:
                            path = path or _link_from_search(base, "/?q=Ukraine", ARTICLE_ID)
                            page.goto(base + path)  # the first request reads the index's columns: warm up
                            page.goto(base + path)
                            page.evaluate("document.activeElement && document.activeElement.blur()")
                            target = DOCS / f"{stem}{suffix}.png"
                            page.screenshot(path=str(target), full_page=full)
                            print(target.relative_to(ROOT))
                        page.close()
                finally:
                    browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


def _link_from_search(base: str, search: str, doc_id: str) -> str:
    """The result page's link to ``doc_id``: it carries the search and the hit's rank."""
    page = urllib.request.urlopen(base + search, timeout=30).read().decode("utf-8")
    return html.unescape(re.search(rf'href="(/artikel/{doc_id}\?[^"]*)"', page).group(1))


def _wait_for(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while True:
        if server.poll() is not None:
            sys.exit(f"newsearch serve exited with {server.returncode}")
        try:
            urllib.request.urlopen(base + "/", timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("newsearch serve did not answer within 20 s")
            time.sleep(0.1)


if __name__ == "__main__":
    main()
