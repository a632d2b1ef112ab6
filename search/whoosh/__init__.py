"""The Whoosh backend: everything that reads a Whoosh index's files, postings and columns.

``search/`` above it speaks in parsed queries, collection statistics and plain results
(``search/backend.py``); only this package knows segments, readers and Whoosh query objects.
"""
