"""Reading a file a user names, safely: only a regular file, only up to a size cap, never blocking.

A path from a user (GTP ``loadsgf``, ``rocks data import``, ``--model``) may name something that
never ends or never answers: ``/dev/zero`` or ``/dev/urandom`` (a plain ``read()`` of one grew
an engine to 9.7 GB in a minute), a FIFO (``open`` waits for a writer forever), a directory, or
a regular file far larger than any game record.  :func:`read_user_file` refuses each of these
with a :class:`UserFileError` whose message names the file and says why, and reads nothing
more than it allows:

1. ``stat`` the path first: anything but a regular file is refused before it is opened (a FIFO
   is never opened, so nothing waits for a writer), and so is a file over the cap;
2. ``open`` with ``O_NONBLOCK`` (opening a FIFO swapped in after the check returns at once
   instead of waiting) and ``O_NOCTTY``, then ``fstat`` the open file and check again: the
   path may have been replaced between the two calls;
3. read at most ``max_bytes + 1`` bytes, so a file that grows, or a pseudo-file that reports
   size 0 (``/proc``), is refused once it passes the cap instead of being read to its end.

Departures, numbered:
  1. Symbolic links are followed (a user's ``latest.sgf -> games/0042.sgf`` is fine); what
     they point to is checked.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))
_CHUNK = 1 << 20


class UserFileError(ValueError):
    """A user's file that is not read: not a regular file, too large, or unreadable."""


def read_user_file(path: str | os.PathLike, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes`` of them.

    ``what`` names the file in messages ("SGF file", "checkpoint").  UserFileError (a
    ValueError) if the path is missing or unreadable, is not a regular file, or holds more
    than ``max_bytes`` bytes; nothing is read from a file that is refused.
    """
    if max_bytes < 0:
        raise ValueError(f"max_bytes must not be negative, got {max_bytes}")
    name = f"{what} {Path(path)}"
    try:
        _check(os.stat(path), name, max_bytes)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise UserFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        _check(os.fstat(fd), name, max_bytes)  # the path may have changed since the stat
        parts: list[bytes] = []
        got = 0
        while got <= max_bytes:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise UserFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if got > max_bytes:
        raise UserFileError(f"{name} holds more than the {max_bytes:,} bytes accepted: refused")
    return b"".join(parts)


def _check(st: os.stat_result, name: str, max_bytes: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = next((k for test, k in _KINDS if test(st.st_mode)), "not a regular file")
        raise UserFileError(f"{name} is {kind}, not a regular file: refused")
    if st.st_size > max_bytes:
        raise UserFileError(f"{name} is {st.st_size:,} bytes, more than the {max_bytes:,} "
                            "accepted: refused")
