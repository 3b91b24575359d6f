"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Every file rocks writes that someone may read while it is written, or that must survive a
kill -9 (SGF, checkpoints, shards, ledgers, CSV tables, figures, reports), goes through here:
write a temporary file in the same folder, flush it to disk, then ``os.replace`` it over the
target, which POSIX makes atomic.  A crash mid-write leaves the earlier file intact and no
temporary file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def replace_with(path: Path | str, save: Callable[[str], Any], suffix: str = ".tmp") -> Path:
    """Call ``save(temporary_path)`` (a writer that wants a file name), then move it onto ``path``.

    ``suffix`` matters to writers that pick a format from the name (matplotlib's savefig).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        save(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes files private; what rocks writes is meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_with(path: Path | str, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(binary_file)`` on a temporary file, then move it onto ``path``."""

    def save(tmp: str) -> None:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())

    return replace_with(path, save)


def write_bytes(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return write_with(path, lambda f: f.write(data))


def write_text(path: Path | str, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: Path | str, obj: Any) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")
