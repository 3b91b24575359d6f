"""rocks.lab."""
