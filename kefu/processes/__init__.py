"""Process managers: followers of the log that act on it (the visit planner, the outbox:
webhooks, the event stream, notifications)."""
