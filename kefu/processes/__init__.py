"""Process managers: followers of the log (or of the clock) that issue commands back (the visit
planner, the wrap-up timer, the automation: rules, SLA timers and escalation)."""
