"""Process managers: followers of the log that issue commands back (the visit planner, the
automation: rules, SLA timers and escalation)."""
