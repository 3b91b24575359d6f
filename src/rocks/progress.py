"""Progress bars for long loops (tqdm, quiet when output is a log file).

Training stages and experiments use it alike.  Under ``rocks lab run`` an experiment's output
goes to ``log.txt`` as well as the terminal; a bar redrawn ten times a second would fill the
log, so off a terminal it redraws at most every ``log_interval`` seconds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None,
             log_interval: float = 10.0) -> Iterator[T]:
    """Iterate over ``iterable`` with a progress bar on stderr."""
    from tqdm import tqdm

    tty = sys.stderr.isatty()
    yield from tqdm(iterable, desc=desc, total=total, dynamic_ncols=True, file=sys.stderr,
                    mininterval=0.2 if tty else log_interval, ascii=not tty)
