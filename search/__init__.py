"""Queries over the index: parsing, ranking, facets, snippets. Reads the index, never writes it."""
