"""Process managers: followers of the log (or of the clock) that issue commands back."""
