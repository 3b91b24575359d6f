"""Metrics as CSV: the one writer of every table rocks keeps (``pandas.read_csv`` loads them all).

Two ways to write, one file format (a header row, then one row per record, UTF-8, ``\\n``):

- :class:`MetricsLogger` appends rows as they happen (a training log, one game per row).  Each
  row is written whole and flushed at once, so a crash loses at most the row being written.
  Reopening a file resumes it: a torn last row is cut off, the header is kept, and new rows
  go after the last complete one; :meth:`MetricsLogger.last` tells a resumed run where it
  stopped, and :meth:`MetricsLogger.drop_after` forgets rows logged after the checkpoint a run
  resumes from (so a crash between checkpoints does not duplicate them).
- :func:`write_table` replaces a whole table at once (a ledger whose rows change status, a
  sweep table rewritten after each trial): readers see the old table or the new one.

Every rewrite of an existing file (a whole table, cutting a torn row, dropping rows) goes
through :mod:`rocks.atomic`; appends are plain ``open(..., "a")`` writes of whole rows.
:func:`read_rows` reads any of these tables back as dictionaries of strings.

Cells: numpy scalars are written as plain numbers, ``None`` as an empty cell, everything else
with ``str`` (``True``/``False`` and ``nan`` read back into pandas as bool and NaN).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rocks import atomic

if TYPE_CHECKING:
    import pandas as pd


class MetricsError(ValueError):
    """A row that does not fit its table (unknown column, other header, nothing to log)."""


class MetricsLogger:
    """Append rows to a CSV file, flushing each one.

    The first row (or ``columns``) fixes the header; a later row with an unknown column is an
    error rather than a silently misaligned file.  Missing values are written empty.
    """

    def __init__(self, path: Path | str, columns: Sequence[str] | None = None) -> None:
        self.path = Path(path)
        self.columns: list[str] | None = list(columns) if columns is not None else None
        self._file: io.TextIOWrapper | None = None
        self._writer: Any = None
        self._rows = 0
        if self.path.exists() and self.path.stat().st_size > 0:
            self._resume(columns)

    def _resume(self, columns: Sequence[str] | None) -> None:
        _cut_torn_row(self.path)
        with open(self.path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            self._rows = sum(1 for _ in reader)
        if not header:
            atomic.write_text(self.path, "")
            return
        if columns is not None and list(columns) != header:
            raise MetricsError(f"{self.path} has columns {header}, not {list(columns)}: "
                               "log to a new file or keep the columns")
        self.columns = header

    def _open(self, first: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        if self.columns is None:
            self.columns = list(first)
        self._file = open(self.path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.DictWriter(self._file, fieldnames=self.columns, restval="",
                                      lineterminator="\n")
        if new:
            self._writer.writeheader()

    def log(self, row: Mapping[str, Any] | None = None, **values: Any) -> None:
        """Append one row (a mapping, keyword values, or both) and flush it to disk."""
        merged = {**(row or {}), **values}
        if not merged:
            raise MetricsError("an empty row: log at least one value")
        if self._file is None:
            self._open(merged)
        assert self.columns is not None
        _check_columns(self.path, merged, self.columns)
        self._writer.writerow({k: _cell(v) for k, v in merged.items()})
        self._file.flush()  # type: ignore[union-attr]
        self._rows += 1

    def __len__(self) -> int:
        return self._rows

    def last(self) -> dict[str, str] | None:
        """The last complete row as strings (None if there is none): where to resume from."""
        rows = self.rows()
        return rows[-1] if rows else None

    def rows(self) -> list[dict[str, str]]:
        """Every complete row so far, as strings."""
        if self._file is not None:
            self._file.flush()
        return read_rows(self.path)

    def drop_after(self, column: str, value: float) -> int:
        """Forget the rows whose ``column`` is a number above ``value``; how many were dropped.

        For a run that resumes from a checkpoint older than its log: call it with the
        checkpoint's step before logging again.  The file is rewritten atomically.
        """
        if self.columns is not None and column not in self.columns:
            raise MetricsError(f"{self.path}: no column {column!r} in {self.columns}")
        rows = self.rows()
        keep = [r for r in rows if not _number_above(r.get(column, ""), value)]
        if len(keep) < len(rows):
            self.close()
            write_table(self.path, keep, self.columns)
            self._rows = len(keep)
        return len(rows) - len(keep)

    def read(self) -> pd.DataFrame:
        """The whole file as a pandas DataFrame."""
        import pandas as pd

        if self._file is not None:
            self._file.flush()
        return pd.read_csv(self.path)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> MetricsLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_table(path: Path | str, rows: Iterable[Mapping[str, Any]],
                columns: Sequence[str] | None = None) -> Path:
    """Replace ``path`` with a table of ``rows``, atomically.

    ``columns`` fixes the header and its order (a row with another column is an error); without
    it the header is every key in order of first appearance.  Missing values are empty.
    """
    rows = list(rows)
    if columns is None:
        header = list(dict.fromkeys(k for r in rows for k in r))
    else:
        header = list(columns)
        for r in rows:
            _check_columns(Path(path), r, header)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, restval="", lineterminator="\n")
    if header:
        writer.writeheader()
    for r in rows:
        writer.writerow({k: _cell(v) for k, v in r.items()})
    return atomic.write_text(path, buf.getvalue())


def read_rows(path: Path | str) -> list[dict[str, str]]:
    """Every complete row of a table as strings (an absent or empty file has none).

    A torn last row (a writer killed mid-row) is left out, as the logger would cut it.
    """
    path = Path(path)
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    return [dict(r) for r in csv.DictReader(io.StringIO(text, newline=""))]


def _check_columns(path: Path, row: Mapping[str, Any], columns: Sequence[str]) -> None:
    unknown = [k for k in row if k not in columns]
    if unknown:
        raise MetricsError(f"{path}: columns {unknown} are not in the header {list(columns)}")


def _cell(value: Any) -> Any:
    # numpy scalars print as plain numbers with str(); bools stay True/False for pandas.
    if value is None:
        return ""
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def _number_above(text: str, value: float) -> bool:
    try:
        return float(text) > value
    except ValueError:
        return False


def _cut_torn_row(path: Path) -> None:
    """Drop a last line that lacks its newline: the row a crash interrupted."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        f.seek(0)
        data = f.read()
    atomic.write_bytes(path, data[: data.rfind(b"\n") + 1])
