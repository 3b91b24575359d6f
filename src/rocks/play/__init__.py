"""rocks.play."""
