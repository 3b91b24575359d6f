"""rocks.search."""
