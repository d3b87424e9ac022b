"""The write side: command Structs and their handlers, run through the CommandRunner."""
