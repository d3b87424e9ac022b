"""The `kefu` command line: the parser and one presenter module per family of commands."""
