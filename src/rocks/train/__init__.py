"""rocks.train."""
