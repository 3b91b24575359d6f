"""The state of the lab as data: what ``rocks lab show|list --json`` and ``rocks lab next`` print.

The essay hands the research loop to a coding agent: read what the experiments so far show,
choose the next run, run it, read the new numbers, update the report.  This module is the
"read" half in a form a program can use without scraping tables: every run (its ledger row,
config and summary metrics), every sweep and tune, and the report's Settled, Unknown and Next
sections as lists of items.

Departures from a free-text report:
  1. A report's lists are parsed by their Markdown bullets (``-``, ``*``, ``1.``); a paragraph
     without bullets is one item, and a section still holding the template's placeholder text
     is empty.
  2. "Untried settings" are the ``key=value`` pairs a Next item names (``--set lr=1e-4``, or
     ``lr=1e-4,3e-4`` for alternatives: commas separate values except for a tuple field)
     in the combinations no ok run has had yet; keys that are not Config fields, and values
     that are not of the field's type, are ignored, so prose is safe.

Run objects use the ledger's column names and values (:meth:`RunRecord.to_json`), so the JSON,
``pandas.read_csv("data/runs.csv")`` and the figures agree on one format.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rocks.configcli import ConfigError, format_value, parse_value
from rocks.lab import template
from rocks.lab.folders import Experiment, find_experiments, report_sections
from rocks.lab.ledger import Ledger, RunRecord
from rocks.lab.runner import ConfigField, config_fields
from rocks.lab.tune import find_tunes, tune_summary
from rocks.metrics import read_rows

LISTS = ("Settled", "Unknown", "Next")
MAX_COMBINATIONS = 20
_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+(.*)$")
_SETTING = re.compile(r"(?<![\w.-])([A-Za-z_]\w*)=([^\s`'\"]+)")


def clean(value: Any) -> Any:
    """``value`` with NaN and infinities as None and tuples as lists: strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(clean(value), indent=2, allow_nan=False)


# ------------------------------------------------------------------ the report
def section_items(body: str) -> list[str]:
    """A section's items: each bullet with its continuation lines, or each paragraph."""
    items: list[str] = []
    current: list[str] | None = None
    for line in body.splitlines():
        m = _ITEM.match(line)
        if m:
            current = [m.group(1).strip()]
            items.append("")
        elif not line.strip():
            current = None
            continue
        elif current is None:
            current = [line.strip()]
            items.append("")
        else:
            current.append(line.strip())
        items[-1] = " ".join(current)
    return [i for i in items if i]


_PLACEHOLDERS = report_sections(template.REPORT_MD)


def read_report(exp: Experiment) -> dict[str, Any]:
    """The report's title, every section's text, and Settled/Unknown/Next as item lists."""
    text = exp.report.read_text(encoding="utf-8") if exp.report.is_file() else ""
    title = next((ln[2:].strip() for ln in text.splitlines() if ln.startswith("# ")), "")
    sections = report_sections(text)
    out: dict[str, Any] = {"title": title, "sections": sections}
    for name in LISTS:
        body = sections.get(name, "")
        out[name.lower()] = [] if body == _PLACEHOLDERS.get(name) else section_items(body)
    return out


# ------------------------------------------------------------------ runs
def _json_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run_state(exp: Experiment, record: RunRecord) -> dict[str, Any]:
    """A ledger row as JSON, with the run's full config and its summary metrics."""
    folder = exp.runs_dir / record.run_id
    return {**record.to_json(),
            "config": _json_file(folder / "config.json").get("config", {}),
            "metrics": _json_file(folder / "summary.json").get("metrics", {})}


def _counts(records: Sequence[RunRecord]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in records:
        counts[r.status] = counts.get(r.status, 0) + 1
    return counts


def _last_ok(records: Sequence[RunRecord]) -> dict[str, Any] | None:
    ok = [r for r in records if r.status == "ok" and r.headline_name]
    if not ok:
        return None
    r = ok[-1]
    return clean({"run_id": r.run_id, "headline_name": r.headline_name,
                  "headline_value": r.headline_value})


def _sweeps(exp: Experiment) -> list[dict[str, Any]]:
    out = []
    folder = exp.sweeps_dir
    for path in sorted(folder.glob("sweep-*.csv")) if folder.is_dir() else []:
        rows = read_rows(path)
        fig = exp.figures / f"{path.stem}.png"
        out.append({"sweep_id": path.stem, "csv": str(path.relative_to(exp.path)),
                    "figure": str(fig.relative_to(exp.path)) if fig.is_file() else None,
                    "trials": len(rows), "ok": sum(r.get("status") == "ok" for r in rows)})
    return out


def experiment_state(exp: Experiment) -> dict[str, Any]:
    """Everything ``rocks lab show EXP --json`` prints."""
    records = Ledger(exp.ledger).read()
    report = read_report(exp)
    fields = config_fields(exp.run_py)
    return clean({
        "experiment": exp.name, "path": str(exp.path), "title": report["title"],
        "created": exp.created.isoformat(timespec="minutes"),
        "report": report,
        "config": [{"name": f.name, "type": f.type, "default": f.default,
                    "default_text": f.default_text} for f in fields.values()],
        "counts": _counts(records),
        "runs": [run_state(exp, r) for r in records],
        "sweeps": _sweeps(exp),
        "tunes": [tune_summary(exp, t) for t in find_tunes(exp)],
    })


def experiment_summary(exp: Experiment) -> dict[str, Any]:
    """One experiment as ``rocks lab list --json`` prints it."""
    records = Ledger(exp.ledger).read()
    report = read_report(exp)
    return clean({
        "experiment": exp.name, "path": str(exp.path), "title": report["title"],
        "created": exp.created.isoformat(timespec="minutes"),
        "runs": len(records), "counts": _counts(records),
        "last_run": records[-1].to_json() if records else None,
        "last_ok": _last_ok(records),
        "settled": report["settled"], "unknown": report["unknown"], "next": report["next"],
    })


def lab_summary(root: Path | str | None = None) -> list[dict[str, Any]]:
    return [experiment_summary(e) for e in find_experiments(root)]


# ------------------------------------------------------------------ what to do next
def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    return a == b


def item_settings(text: str, fields: Mapping[str, ConfigField]) -> dict[str, list[Any]]:
    """The Config settings an item names: field -> the values it suggests, typed."""
    found: dict[str, list[Any]] = {}
    for key, raw in _SETTING.findall(text):
        name = key.replace("-", "_")
        if name not in fields:
            continue
        raw = raw.rstrip(".,;:)")
        ftype = fields[name].type
        values = []
        for piece in [raw] if ftype.startswith("tuple") else raw.split(","):
            try:
                values.append(parse_value(piece, ftype, name))
            except ConfigError:
                values = []
                break
        for v in values:
            if not any(_same(v, w) for w in found.setdefault(name, [])):
                found[name].append(v)
        if not found.get(name):
            found.pop(name, None)
    return {name: found[name] for name in fields if name in found}  # in the Config's order


def _matching_runs(runs: Sequence[Mapping[str, Any]], combo: Mapping[str, Any]) -> list[str]:
    return [r["run_id"] for r in runs
            if all(k in r["config"] and _same(r["config"][k], v) for k, v in combo.items())]


def _run_command(exp: Experiment, combo: Mapping[str, Any]) -> str:
    argv = ["rocks", "lab", "run", exp.name]
    for k, v in combo.items():
        argv += ["--set", f"{k}={format_value(v)}"]
    return shlex.join(argv)


def next_steps(exp: Experiment) -> dict[str, Any]:
    """The report's Next items with their settings and whether an ok run has them, the untried
    settings as ``rocks lab run`` commands, unfinished sweep trials and tunes, and the values
    each varied field has had so far."""
    fields = config_fields(exp.run_py)
    records = Ledger(exp.ledger).read()
    ok = [run_state(exp, r) for r in records if r.status == "ok"]
    items, untried = [], []
    for i, text in enumerate(read_report(exp)["next"], 1):
        settings = item_settings(text, fields)
        combos = [dict(zip(settings, values, strict=True)) for values in
                  itertools.islice(itertools.product(*settings.values()), MAX_COMBINATIONS)
                  ] if settings else []
        tried = {_run_command(exp, c): _matching_runs(ok, c) for c in combos}
        open_ = [cmd for cmd, runs in tried.items() if not runs]
        seen = {u["command"] for u in untried}
        untried += [{"item": i, "command": cmd} for cmd in open_ if cmd not in seen]
        items.append({"item": i, "text": text, "settings": settings,
                      "tried_by": sorted({r for runs in tried.values() for r in runs}),
                      "untried": open_})
    unfinished = []
    for sweep in _sweeps(exp):
        for row in read_rows(exp.path / sweep["csv"]):
            if row.get("status") != "ok":
                unfinished.append({"sweep_id": sweep["sweep_id"], "trial": row.get("trial"),
                                   "run_id": row.get("run_id"), "status": row.get("status")})
    tunes = [t for t in (tune_summary(exp, s) for s in find_tunes(exp))
             if t["trials"] is not None and t["done"] < t["trials"]]
    for t in tunes:
        unfinished.append({"tune_id": t["tune_id"], "done": t["done"], "trials": t["trials"],
                           "command": t["command"]})
    return clean({"experiment": exp.name, "next": items, "untried": untried,
                  "unfinished": unfinished, "tried_values": tried_values(records, exp, fields)})


def tried_values(records: Sequence[RunRecord], exp: Experiment,
                 fields: Mapping[str, ConfigField]) -> dict[str, list[dict[str, Any]]]:
    """For each field some run changed: each value it had, its runs and ok runs."""
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for r in records:
        config = _json_file(exp.runs_dir / r.run_id / "config.json").get("config", {})
        for name in fields:
            if name not in config:
                continue
            text = format_value(tuple(config[name]) if isinstance(config[name], list)
                                else config[name])
            entry = table.setdefault(name, {}).setdefault(text, {"value": text, "runs": 0,
                                                                 "ok": 0})
            entry["runs"] += 1
            entry["ok"] += r.status == "ok"
    return {name: list(values.values()) for name, values in table.items() if len(values) > 1}


def format_next(steps: Mapping[str, Any]) -> str:
    """``rocks lab next`` as text: Next items, untried settings, unfinished trials, tried values."""
    lines = [f"Next ({steps['experiment']}/report.md):"]
    if not steps["next"]:
        lines.append("  (the report's Next section is empty)")
    for item in steps["next"]:
        mark = ("untried" if item["untried"] else
                f"tried by {', '.join(item['tried_by'])}" if item["tried_by"] else "")
        lines.append(f"  {item['item']}. {item['text']}" + (f"  [{mark}]" if mark else ""))
    lines.append("\nUntried settings named in Next:")
    lines += [f"  {u['command']}   # item {u['item']}" for u in steps["untried"]] or ["  none"]
    if steps["unfinished"]:
        lines.append("\nUnfinished:")
        for u in steps["unfinished"]:
            if "tune_id" in u:
                lines.append(f"  {u['tune_id']}: {u['done']} of {u['trials']} trials; "
                             f"continue with: {u['command']}")
            else:
                lines.append(f"  {u['sweep_id']} trial {u['trial']} ({u['run_id']}): "
                             f"{u['status']}")
    if steps["tried_values"]:
        lines.append("\nValues tried so far (runs, ok):")
        for name, values in steps["tried_values"].items():
            shown = ", ".join(f"{v['value'] or repr('')} ({v['runs']}, {v['ok']})"
                              for v in values)
            lines.append(f"  {name}: {shown}")
    return "\n".join(lines)

