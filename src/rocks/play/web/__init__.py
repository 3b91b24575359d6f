"""rocks.play.web: the board page (static/) and the JSON HTTP API over the Engine (server)."""
