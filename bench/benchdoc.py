"""Writing one bench script's section of docs/benchmarks.md, leaving the other sections alone."""

from __future__ import annotations

from pathlib import Path

from rocks.atomic import write_text


def replace_section(path: Path, heading: str, section: str) -> None:
    """Replace the section that starts with ``heading`` (a ``## ...`` line), or append it."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    start = text.find(heading + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + ("" if end < 0 else text[end + 1:])
    write_text(path, text)
