"""The ``newsearch`` command line: the one place that composes indexer/, search/ and web/."""
