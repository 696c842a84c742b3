"""Aggregates and their domain events: pure Python, no I/O, no runners."""
