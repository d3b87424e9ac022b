"""The HTTP API (falcon, WSGI). Not a top-level `http` package: that would shadow the stdlib."""
