from newsearch.cli import cli

cli(prog_name="newsearch")
