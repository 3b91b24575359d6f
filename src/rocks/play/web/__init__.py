"""rocks.play.web."""
