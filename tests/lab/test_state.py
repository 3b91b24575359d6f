"""The lab as data: ``rocks lab show|list|next --json`` on a committed example experiment.

``fixtures/2026-01-02_03-04_example-a-toy-objective`` is a real experiment folder (made with the
commands its report lists: three runs, a sweep, a tune); ``fixtures/expected/*.json`` is what a
program reads from it.  After a deliberate change of the format, write them again with
``python tests/lab/test_state.py`` and review the diff.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from rocks.lab.cli import main
from rocks.lab.folders import Experiment, new_experiment, resolve_experiment
from rocks.lab.ledger import COLUMNS
from rocks.lab.runner import config_fields
from rocks.lab.state import (
    dumps,
    experiment_state,
    item_settings,
    lab_summary,
    next_steps,
    read_report,
    section_items,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECTED = FIXTURES / "expected"


def example() -> Experiment:
    return resolve_experiment("example-a-toy-objective", FIXTURES)


def outputs() -> dict[str, str]:
    """Each JSON output, with the fixture folder's absolute path written as <fixtures>."""
    exp = example()
    found = {"show": experiment_state(exp), "list": lab_summary(FIXTURES),
             "next": next_steps(exp)}
    return {k: dumps(v).replace(str(FIXTURES), "<fixtures>") for k, v in found.items()}


@pytest.mark.parametrize("name", ["show", "list", "next"])
def test_json_outputs_match_the_committed_example(name: str) -> None:
    expected = json.loads((EXPECTED / f"{name}.json").read_text())
    assert json.loads(outputs()[name]) == expected


def test_the_cli_prints_the_same_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(FIXTURES), "show", "example", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(dumps(experiment_state(example())))
    assert main(["--root", str(FIXTURES), "list", "--json"]) == 0
    assert [e["experiment"] for e in json.loads(capsys.readouterr().out)] == [example().name]
    assert main(["--root", str(FIXTURES), "next", "example", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["untried"]


def test_json_runs_are_the_ledger_as_pandas_reads_it() -> None:
    # One format: the JSON's run objects hold the ledger's columns with the values pandas reads
    # (NaN as null, an empty cell as "").
    exp = example()
    table = pd.read_csv(exp.ledger, keep_default_na=False, na_values={"seconds": [""],
                                                                      "headline_value": [""]})
    runs = json.loads(dumps(experiment_state(exp)))["runs"]
    assert tuple(table.columns) == COLUMNS
    assert len(runs) == len(table)
    for run, row in zip(runs, table.to_dict("records"), strict=True):
        for column in COLUMNS:
            value = row[column]
            if isinstance(value, float) and math.isnan(value):
                assert run[column] is None, column
            else:
                assert run[column] == value, column


def test_the_report_lists_are_parsed_item_by_item() -> None:
    report = read_report(example())
    assert report["title"] == "Example: a toy objective"
    assert len(report["settled"]) == 2 and len(report["unknown"]) == 1
    assert report["unknown"][0].endswith("the tune varied x with kind = a only.")  # 2 lines
    assert report["next"][0] == "Run `--set x=0.3 --set kind=b`, the predicted optimum."


@pytest.mark.parametrize(("body", "items"), [
    ("- a\n  continued\n- b", ["a continued", "b"]),
    ("1. one\n2) two\n\n* three", ["one", "two", "three"]),
    ("A paragraph\nover two lines.\n\nAnother.", ["A paragraph over two lines.", "Another."]),
    ("", []),
])
def test_section_items(body: str, items: list[str]) -> None:
    assert section_items(body) == items


def test_a_new_reports_placeholder_lists_are_empty(root: Path) -> None:
    report = read_report(new_experiment("fresh", root=root))
    assert report["settled"] == report["unknown"] == report["next"] == []


def test_next_names_the_untried_settings_and_the_runs_that_tried_others() -> None:
    steps = next_steps(example())
    items = steps["next"]
    assert items[0]["settings"] == {"x": [0.3], "kind": ["b"]} and items[0]["tried_by"] == []
    assert items[1]["tried_by"] == ["run-002"] and items[1]["untried"] == []
    assert items[2]["settings"] == {"x": [0.3], "kind": ["b", "c"]}
    assert items[3]["settings"] == {}
    name = example().name
    assert [u["command"] for u in steps["untried"]] == [
        f"rocks lab run {name} --set x=0.3 --set kind=b",
        f"rocks lab run {name} --set x=0.3 --set kind=c"]  # item 3's first one is item 1's
    assert steps["unfinished"] == []
    assert [v["value"] for v in steps["tried_values"]["kind"]] == ["a", "b"]


def test_settings_in_prose_are_fields_with_values_of_their_type() -> None:
    fields = config_fields(example().run_py)
    assert item_settings("β = 0, foo=3, x=log:1e-5:1e-3 and mode=fail.", fields) == {
        "mode": ["fail"]}
    assert item_settings("--set x=0.1 then x=0.2,0.1", fields) == {"x": [0.1, 0.2]}


def test_an_unfinished_tune_is_listed_with_the_command_that_continues_it(
        tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / example().name
    shutil.copytree(example().path, copy)
    spec = copy / "data" / "tunes" / "tune-001.json"
    stored = json.loads(spec.read_text())
    spec.write_text(json.dumps({**stored, "trials": 5}))
    (unfinished,) = next_steps(Experiment.at(copy))["unfinished"]
    assert (unfinished["done"], unfinished["trials"]) == (3, 5)
    assert unfinished["command"].endswith("--trials 5 --sampler random")


if __name__ == "__main__":
    EXPECTED.mkdir(exist_ok=True)
    for key, text in outputs().items():
        (EXPECTED / f"{key}.json").write_text(text + "\n")
        print(f"wrote {EXPECTED / key}.json")
