"""What auditors need: history, state at a time, tamper evidence, archives."""
