"""Metrics as CSV: a row logger that survives crashes and resumes, and a reader across runs.

The essay keeps every number an experiment produces in CSV files under ``data/`` so that
``pandas.read_csv`` (or any spreadsheet) can load them; the logger writes such files.

Resume safety: each row is written whole and flushed at once, so a crash loses at most the row
being written.  Reopening a file that ends in a torn row cuts that row off, keeps the header,
and appends after the last complete row; :meth:`MetricsLogger.last` tells a resumed experiment
where it stopped.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rocks.lab.folders import Experiment, LabError

if TYPE_CHECKING:
    import pandas as pd


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
            self.path.write_text("")
            return
        if columns is not None and list(columns) != header:
            raise LabError(f"{self.path} has columns {header}, not {list(columns)}: "
                           "log to a new file or keep the columns")
        self.columns = header

    def _open(self, first: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        if self.columns is None:
            self.columns = list(first)
        self._file = open(self.path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.DictWriter(self._file, fieldnames=self.columns, restval="")
        if new:
            self._writer.writeheader()

    def log(self, row: Mapping[str, Any] | None = None, **values: Any) -> None:
        """Append one row (a mapping, keyword values, or both) and flush it to disk."""
        merged = {**(row or {}), **values}
        if not merged:
            raise LabError("an empty row: log at least one value")
        if self._file is None:
            self._open(merged)
        assert self.columns is not None
        unknown = [k for k in merged if k not in self.columns]
        if unknown:
            raise LabError(f"{self.path}: columns {unknown} are not in the header {self.columns}")
        self._writer.writerow({k: _cell(v) for k, v in merged.items()})
        self._file.flush()  # type: ignore[union-attr]
        self._rows += 1

    def __len__(self) -> int:
        return self._rows

    def last(self) -> dict[str, str] | None:
        """The last complete row as strings (None if there is none): where to resume from."""
        if not self.path.exists():
            return None
        if self._file is not None:
            self._file.flush()
        with open(self.path, newline="", encoding="utf-8") as f:
            last = None
            for last in csv.DictReader(f):  # noqa: B007
                pass
        return dict(last) if last is not None else None

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


def _cell(value: Any) -> Any:
    # numpy scalars print as plain numbers with str(); bools stay True/False for pandas.
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def _cut_torn_row(path: Path) -> None:
    """Drop a last line that lacks its newline: the row a crash interrupted."""
    with open(path, "rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        f.seek(0)
        data = f.read()
        keep = data.rfind(b"\n") + 1
        f.truncate(keep)


def collect(experiment: Experiment | Path | str, filename: str, with_config: bool = True,
            only_ok: bool = True) -> pd.DataFrame:
    """One DataFrame of ``data/runs/*/<filename>`` over every run of an experiment.

    Adds a ``run_id`` column and, with ``with_config``, each config field (from the run's
    config.json) whose name is not already a column, so runs can be grouped by their knobs.
    With ``only_ok``, runs the ledger records as failed, interrupted or running are left out
    (runs started directly with ``python run.py`` are not in the ledger and are kept).
    """
    import pandas as pd

    from rocks.lab.ledger import Ledger

    exp = experiment if isinstance(experiment, Experiment) else Experiment.at(Path(experiment))
    not_ok = {r.run_id for r in Ledger(exp.ledger).read() if r.status != "ok"}
    frames = []
    for run_dir in sorted(exp.runs_dir.glob("*/")):
        if only_ok and run_dir.name in not_ok:
            continue
        csv_path = run_dir / filename
        if not csv_path.is_file() or csv_path.stat().st_size == 0:
            continue
        df = pd.read_csv(csv_path)
        df.insert(0, "run_id", run_dir.name)
        cfg_path = run_dir / "config.json"
        if with_config and cfg_path.is_file():
            cfg = json.loads(cfg_path.read_text()).get("config", {})
            for k, v in cfg.items():
                if k not in df.columns:
                    df[k] = v if not isinstance(v, list) else ",".join(map(str, v))
        frames.append(df)
    if not frames:
        raise LabError(f"no run of {exp.name} has data/runs/*/{filename}")
    return pd.concat(frames, ignore_index=True)
