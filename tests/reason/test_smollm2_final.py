"""The SmolLM2 experiment's final stage (experiments/...r1-zero-on-smollm2.../run.py,
``--stage final``) with scripted policies instead of SmolLM2: every model is scored on the same
held-out tasks ``rocks reason eval`` draws for ship's documented command, the paired lifts over
the base are the known ones (a model identical to the base gains 0), and a rerun reads finished
models back instead of scoring them again."""

from __future__ import annotations

import importlib.util
import json
import shlex
import sys
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd
import pytest

from rocks.configcli import config_from_args
from rocks.lab.runfile import Run
from rocks.reason.cli import build_parser
from rocks.reason.evaluate import EvalConfig, held_out_tasks, run_eval
from rocks.reason.grpo import GRPOConfig
from rocks.reason.sft import encode_pairs
from rocks.reason.tasks import prompt_text
from tests.reason.test_sft import ScriptedPolicy

RUN_PY = next((Path(__file__).resolve().parents[2] / "experiments").glob(
    "*_r1-zero-on-smollm2-grpo-teaches-a-real/run.py"))
N = 12


@pytest.fixture(scope="module")
def exp():
    spec = importlib.util.spec_from_file_location("smollm2_grpo_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


class AnswerPolicy(ScriptedPolicy):
    """Answers the held-out tasks whose index is in ``right`` correctly, the others not at all;
    records the prompts it was given."""

    def __init__(self, right: set[int]) -> None:
        super().__init__(["unused"])
        tasks = held_out_tasks("arithmetic", 1, N)
        self.index = {prompt_text(t): (i, t.answer) for i, t in enumerate(tasks)}
        self.right = right

    def sample(self, prompts, max_new_tokens, temperature, generator=None, prefix=""):
        self.prompts.extend(prompts)
        texts = []
        for p in prompts:
            i, answer = self.index[p]
            texts.append(f"x</think><answer>{answer if i in self.right else 'no'}</answer>")
        self._last = texts
        return encode_pairs(self, list(zip(prompts, texts, strict=True)))


def fake_run(root: Path, rid: str, seed: int, steps: int, weights: bytes,
             step50: bytes | None = None, kept: dict[int, bytes] | None = None) -> None:
    grpo = root / rid / "grpo"
    (grpo / "adapter").mkdir(parents=True)
    (grpo / "adapter" / "adapter_model.safetensors").write_bytes(weights)
    (grpo / "adapter" / "adapter_config.json").write_text("{}")
    (grpo / "config.json").write_text(json.dumps(asdict(GRPOConfig(
        family="arithmetic", difficulty=1, seed=seed, steps=steps))))
    metrics = {"pass1": 0.0, "pass1_lenient": 0.0, "format": 0.0, "language": 0.0,
               "self_check_rate": 0.0, "response_chars": 9.0, "think_chars": 0.0}
    pd.DataFrame([{"step": 0, **metrics}, {"step": steps, **metrics}]).to_csv(
        grpo / "eval.csv", index=False)
    pd.DataFrame([{"step": 1, "sample_s": 1.0, "update_s": 1.0, "step_s": 2.0}]).to_csv(
        grpo / "log.csv", index=False)
    (root / rid / "summary.json").write_text(json.dumps({"metrics": {"steps": steps}}))
    for at, kept_weights in ({} if step50 is None else {50: step50} | (kept or {})).items():
        (grpo / f"adapter_step{at}").mkdir()
        (grpo / f"adapter_step{at}" / "adapter_model.safetensors").write_bytes(kept_weights)


@pytest.fixture
def setup(exp, tmp_path):
    runs = tmp_path / "runs"
    fake_run(runs, "run-a", 0, 100, b"a100", step50=b"a50")
    fake_run(runs, "run-b", 1, 50, b"b50")
    by_adapter = {"": set(), "a100": set(range(N)), "a50": set(),
                  "b50": set(range(N // 2))}  # a50 answers like the base
    calls: list[str] = []

    def load(adapter: str):
        key = Path(adapter, "adapter_model.safetensors").read_bytes().decode() if adapter else ""
        calls.append(key)
        return AnswerPolicy(by_adapter[key])

    cfg = exp.Config(stage="final", runs="run-a,run-b", runs_dir=str(runs), final_tasks=N,
                     final_bootstrap=500, max_new_tokens=8, eval_batch=5)
    run = Run(cfg, "run-z", runs / "run-z", tmp_path / "figures", tmp_path)
    run.dir.mkdir()
    (run.dir / "config.json").write_text(json.dumps({"config": asdict(cfg)}))  # as rocks lab
    return cfg, run, load, calls


def test_paired_lifts_are_the_known_ones(exp, setup):
    cfg, run, load, calls = setup
    exp.stage_final(cfg, run, load)
    evals = pd.read_csv(run.dir / "final_eval.csv").set_index("label")
    assert list(evals.index) == ["base", "run-a", "run-a@step50", "run-b"]
    assert (evals["n"] == N).all()
    assert evals.loc["base", "pass1_lenient"] == 0 and evals.loc["run-a", "pass1_lenient"] == 1
    assert evals.loc["run-a", "step"] == 100 and evals.loc["run-a@step50", "step"] == 50
    lifts = pd.read_csv(run.dir / "final_lift.csv").set_index("label")
    same = lifts.loc["run-a@step50"]
    assert (same["lift"], same["lo"], same["hi"], same["boot_lo"], same["boot_hi"]) == (0,) * 5
    half = lifts.loc["run-b"]  # d = 1 on 6 of 12 tasks, 0 on the rest
    se = (0.5 * 0.5 * N / (N - 1)) ** 0.5 / N**0.5
    assert half["lift"] == pytest.approx(0.5) and half["se"] == pytest.approx(se)
    assert half["lo"] == pytest.approx(0.5 - 1.959963984540054 * se)
    mean50 = lifts.loc["mean over seeds (step 50)"]
    assert mean50["seeds"] == 2 and mean50["lift"] == pytest.approx(0.25)
    assert mean50["seed_sd"] == pytest.approx(0.5 / 2**0.5)
    assert mean50["lo"] < 0.25 < mean50["hi"]
    assert lifts.loc["mean over seeds (step 100)", "lift"] == 1
    summary = json.loads((run.dir / "summary.json").read_text())
    assert summary["headline"]["value"] == 1 and summary["metrics"]["step"] == 100


def test_answer_signs_split_accuracy_by_the_sign_of_the_answer(exp, setup):
    cfg, run, load, calls = setup
    exp.stage_final(cfg, run, load)
    signs = pd.read_csv(run.dir / "answer_signs.csv").set_index("label")
    tasks = held_out_tasks("arithmetic", 1, N)
    negative = [i for i, t in enumerate(tasks) if str(t.answer).startswith("-")]
    assert (signs["negative_answers"] == len(negative)).all()
    # run-a answers every task right: it says "negative" exactly as often as the answers are
    assert signs.loc["run-a", "says_negative"] == pytest.approx(len(negative) / N)
    assert signs.loc["run-a", "lenient_on_nonnegative"] == 1
    assert signs.loc["base", "says_negative"] == 0  # it writes no number at all
    assert signs.loc["base", "lenient_on_nonnegative"] == 0
    half = signs.loc["run-b"]  # right on the first N/2 tasks only
    rest = [i for i in range(N) if i not in negative]
    assert half["lenient_on_nonnegative"] == pytest.approx(
        sum(i < N // 2 for i in rest) / len(rest))


def test_every_model_sees_the_tasks_of_ships_documented_command(exp, setup):
    cfg, run, load, calls = setup
    policies: list[AnswerPolicy] = []

    def recording(adapter: str):
        policies.append(load(adapter))
        return policies[-1]

    exp.stage_final(cfg, run, recording)
    command = exp.reproduce_command("models/x", "arithmetic", 1, cfg, cfg.final_tasks)
    args = build_parser().parse_args(shlex.split(command)[2:])
    documented = config_from_args(EvalConfig, args)
    staged = exp.final_eval_config(cfg, "arithmetic", 1, cfg.final_tasks, "models/x")
    assert documented == replace(staged, out="")
    cli = AnswerPolicy(set())
    run_eval(documented, cli)
    assert len(policies) == 4
    assert all(p.prompts == cli.prompts for p in policies) and len(cli.prompts) == N
    # the in-run 48-task evaluations are the first 48 of the same sequence
    assert held_out_tasks("arithmetic", 1, 2 * N)[:N] == held_out_tasks("arithmetic", 1, N)


def test_a_rerun_reads_finished_models_back_and_redoes_a_changed_adapter(exp, setup, tmp_path):
    cfg, run, load, calls = setup
    exp.stage_final(cfg, run, load)
    assert sorted(calls) == sorted(["", "a100", "a50", "b50"])
    first = (run.dir / "final_lift.csv").read_text()
    calls.clear()
    exp.stage_final(cfg, run, load)
    assert calls == [] and (run.dir / "final_lift.csv").read_text() == first
    adapter = tmp_path / "runs" / "run-b" / "grpo" / "adapter" / "adapter_model.safetensors"
    adapter.write_bytes(b"a100")  # run-b's adapter replaced: only it is scored again
    exp.stage_final(cfg, run, load)
    assert calls == ["a100"]
    lifts = pd.read_csv(run.dir / "final_lift.csv").set_index("label")
    assert lifts.loc["run-b", "lift"] == 1


def test_a_step50_copy_of_the_final_adapter_is_not_scored_twice(exp, tmp_path):
    runs = tmp_path / "runs"
    fake_run(runs, "run-c", 2, 50, b"c50", step50=b"c50")  # copied before its extension ran
    cfg = exp.Config(runs="run-c", runs_dir=str(runs))
    family, difficulty, models = exp.final_models(cfg)
    assert (family, difficulty) == ("arithmetic", 1)
    assert [(m.label, m.step, m.seed) for m in models] == [("base", 0, -1), ("run-c", 50, 2)]


def test_every_kept_adapter_of_an_extended_run_is_scored_once_in_step_order(exp, tmp_path):
    runs = tmp_path / "runs"
    # extended 50 -> 100 -> 200; the step-200 copy was made after the run ended (same weights)
    fake_run(runs, "run-d", 3, 200, b"d200", step50=b"d50", kept={100: b"d100", 200: b"d200"})
    (runs / "run-d" / "grpo" / "adapter_stepx").mkdir()  # not a step: ignored
    _, _, models = exp.final_models(exp.Config(runs="run-d", runs_dir=str(runs)))
    assert [(m.label, m.step) for m in models] == [("base", 0), ("run-d", 200),
                                                   ("run-d@step50", 50), ("run-d@step100", 100)]


def test_ship_documents_and_reports_the_final_stages_tasks_and_numbers(exp, setup, tmp_path):
    cfg, run, load, calls = setup
    exp.stage_final(cfg, run, load)
    dest = tmp_path / "shipped"
    ship_cfg = replace(cfg, stage="ship", ship_dir=str(dest), ship_verify=False)
    ship = Run(ship_cfg, "run-zz", run.dir.parent / "run-zz", tmp_path / "figures", tmp_path)
    ship.dir.mkdir()
    exp.stage_ship(ship_cfg, ship)
    numbers = json.loads((dest / "numbers.json").read_text())
    assert numbers["run"] == "run-a" and numbers["final_run"] == "run-z"  # best on the N tasks
    assert f"--tasks {N} " in numbers["command"] and numbers["shipped"]["tasks"] == N
    assert numbers["shipped"]["pass1_lenient"] == 1 and numbers["reproduced"]
    card = (dest / "README.md").read_text()
    assert numbers["command"] in card and f"base ({N} tasks)" in card
    assert "**+1.000** over 1 seeds at step 100" in card
    # a step with fewer seeds than another does not hide the other step's seed mean
    assert "The seed means at the other steps measured: step 50: +0.250" in card
    # an adapter that changed after the final stage scored it cannot ship its numbers
    adapter = tmp_path / "runs" / "run-a" / "grpo" / "adapter" / "adapter_model.safetensors"
    adapter.write_bytes(b"a101")
    with pytest.raises(SystemExit, match="changed"):
        exp.stage_ship(ship_cfg, ship)
