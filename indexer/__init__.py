"""Files in, Whoosh index out: parsing, German analysis, the schema and the writer.

Nothing here knows about search, the web or the command line.
"""
