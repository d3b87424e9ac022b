"""The read side: one Projection per read model, its view tables, and the runner."""
