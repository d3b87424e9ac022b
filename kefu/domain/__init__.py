"""The domain model: event-sourced aggregates, their value types and their rules."""
