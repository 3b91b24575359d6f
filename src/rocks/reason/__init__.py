"""rocks.reason."""
