"""One turn of the research loop, driven by a rule instead of a language model.

The loop of docs/lab.md ("driving the loop from a program"): read the state, decide, run, read
the new numbers, write them into report.md.  Here the decision is one rule — when the last run
diverged (its headline is not a finite number, or it failed with NaN/inf/"diverged" in its
error), run again with the learning rate halved — so the script shows every step an agent takes
through the command line alone:

    python docs/examples/lab_turn.py EXP [--root DIR] [--field lr]

1. read:   ``rocks lab show EXP --json``: the last run, its status, config and headline;
2. decide: diverged -> ``lr / 2``; converged -> nothing to do (exit 0, no run); failed for
           another reason -> stop and say so (exit 1: a person or an agent reads log.txt);
3. run:    ``rocks lab run EXP --set lr=...`` (one ledger row, one run folder);
4. read:   ``rocks lab show EXP --json`` again: the new run's status and headline;
5. write:  a line under the report's ``## Results`` citing both run ids (atomically).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from rocks import atomic

DIVERGED = re.compile(r"\b(nan|inf|diverg\w*)\b", re.IGNORECASE)


def rocks(*args: str, root: str | None) -> subprocess.CompletedProcess[str]:
    """``rocks lab ...`` as a child process, as an agent in a shell would run it."""
    lab = ["lab", *(["--root", root] if root else []), *args]
    return subprocess.run([sys.executable, "-m", "rocks.cli", *lab], capture_output=True,
                          text=True)


def state(exp: str, root: str | None) -> dict[str, Any]:
    shown = rocks("show", exp, "--json", root=root)
    if shown.returncode != 0:
        raise SystemExit(shown.stderr.strip())
    return json.loads(shown.stdout)


def diverged(run: dict[str, Any]) -> bool:
    value = run["headline_value"]
    if run["status"] == "ok":
        return value is None or not math.isfinite(value)
    return run["status"] == "failed" and bool(DIVERGED.search(run["error"] or ""))


def add_result(report: Path, line: str) -> None:
    """Append ``line`` as the last bullet of the ``## Results`` section."""
    text = report.read_text(encoding="utf-8")
    m = re.search(r"^## Results[ \t]*\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    if m is None:
        text = text.rstrip() + f"\n\n## Results\n\n{line}\n"
    else:
        body = m.group(1).rstrip()
        text = text[: m.start(1)] + (body + "\n" if body else "\n") + line + "\n\n" + \
            text[m.end(1):]
    atomic.write_text(report, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment")
    parser.add_argument("--root", default=None, help="the experiments folder")
    parser.add_argument("--field", default="lr", help="the Config field to halve")
    args = parser.parse_args(argv)

    # 1. read
    before = state(args.experiment, args.root)
    if not before["runs"]:
        print(f"{before['experiment']}: no runs yet; run it once first")
        return 1
    last = before["runs"][-1]
    # 2. decide
    if not diverged(last):
        if last["status"] == "ok":
            print(f"{last['run_id']} converged ({last['headline_name']} = "
                  f"{last['headline_value']:.4g}): nothing to do")
            return 0
        print(f"{last['run_id']} {last['status']} for another reason ({last['error']}): "
              f"read data/runs/{last['run_id']}/log.txt")
        return 1
    old = last["config"][args.field]
    new = old / 2
    print(f"{last['run_id']} diverged at {args.field}={old:g}: trying {new:g}")
    # 3. run
    ran = rocks("run", before["experiment"], "--set", f"{args.field}={new!r}", "--quiet",
                root=args.root)
    print(ran.stdout.strip())
    # 4. read the new numbers
    run = state(before["experiment"], args.root)["runs"][-1]
    outcome = ("diverged again" if diverged(run) else
               f"{run['headline_name']} = {run['headline_value']:.4g}" if run["status"] == "ok"
               else f"{run['status']}: {run['error']}")
    # 5. write them into the report
    line = (f"- {run['run_id']}: {args.field} = {new:g} (halved from {last['run_id']}'s "
            f"{old:g}, which diverged): {outcome}.")
    add_result(Path(before["path"]) / "report.md", line)
    print(f"report.md: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
