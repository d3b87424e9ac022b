"""Process managers: followers of the log (or of the clock) that act on it: the visit planner,
the wrap-up timer, the automation (rules, SLA timers, escalation) and the outbox (webhooks,
notifications)."""
