"""Benchmarks: speed and retrieval quality. Not collected by pytest; run as ``python -m bench.<name>``."""
