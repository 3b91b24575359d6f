"""rocks.reason.tasks."""
