"""Event-store infrastructure: serialisation and recorders."""
