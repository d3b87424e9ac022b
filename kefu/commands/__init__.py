"""The write side: command Structs, their handlers and the eventsourcing application."""
