"""The Flask app: HTML pages and the JSON API over the same ``search/`` functions.

The app only reads the index. Each request brings its thread's searcher up to date first
(``web/index.py``), so documents committed by a running ``newsearch index`` show up on the next
request without a restart.
"""
from __future__ import annotations

import threading

from flask import Flask, jsonify, render_template, request

from indexer.errors import NewsearchError
from web.config import DEFAULTS
from web.index import close_searcher, get_searcher, start_ray_shards  # noqa: F401 (get_searcher: re-exported, before the blueprints)
from web import api, export, pages  # noqa: E402 (after web.index, which they import)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    if config:
        app.config.from_mapping(config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["newsearch"] = {"indexes": {}, "lock": threading.Lock()}  # per shard: (index, generation)
    if app.config.get("RAY_ADDRESS"):  # start the shard actors before the first request waits for them
        start_ray_shards(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(export.bp)
    app.after_request(add_security_headers)
    app.teardown_appcontext(close_searcher)

    @app.errorhandler(NewsearchError)
    def handle_newsearch_error(err: NewsearchError):
        if request.path.startswith("/api/"):
            return jsonify({"error": err.message}), err.status
        return render_template("error.html", message=err.message, status=err.status), err.status

    @app.errorhandler(404)
    def handle_not_found(err):
        message = "Diese Seite gibt es nicht."
        if request.path.startswith("/api/"):
            return jsonify({"error": message}), 404
        return render_template("error.html", message=message, status=404), 404

    return app


# Everything the pages use comes from this origin: no inline script or style, no CDN, no frames.
# Article text is untrusted (scraped pages, feeds), so even an escaping slip could not run code.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
