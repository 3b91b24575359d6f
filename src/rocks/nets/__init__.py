"""rocks.nets."""
