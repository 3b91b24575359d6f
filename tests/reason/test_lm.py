"""Specification of the tiny LM: tokenizer round trips, KV-cache sampling equals a full forward,
left padding changes nothing, checkpoints round-trip, and pretraining data has the advertised
shape (mostly direct answers, worked traces that reach the right answer)."""

from __future__ import annotations

import dataclasses
import itertools
import os
import random

import pytest
import torch

from rocks.reason.lm import (
    LMConfig,
    TinyLM,
    completion_logprobs,
    load_checkpoint,
    sample,
    save_checkpoint,
)
from rocks.reason.pretrain import (
    PretrainConfig,
    bucketed_batches,
    corpus,
    lm_batch,
    lm_loss,
    pretrain,
)
from rocks.reason.rewards import score
from rocks.reason.tasks import get_family
from rocks.reason.tasks.arithmetic import binop_trace, column_add
from rocks.reason.tasks.parity import parity_trace
from rocks.reason.tokenizer import CharTokenizer
from rocks.userfiles import UserFileError

TOK = CharTokenizer()


def tiny(seed: int = 0) -> TinyLM:
    torch.manual_seed(seed)
    return TinyLM(
        LMConfig(vocab_size=len(TOK), d_model=32, n_layers=2, n_heads=2, d_ff=64, max_len=64)
    )


def test_tokenizer_round_trip_keeps_tags_as_single_tokens():
    text = "What is 12 + 7?\n<think>2+7=9</think><answer>19</answer>"
    ids = TOK.encode(text, bos=True, eos=True)
    assert TOK.decode(ids) == text
    assert ids.count(TOK.index["<think>"]) == 1
    assert len(TOK.encode("<answer>")) == 1
    assert TOK.encode("é") == [TOK.unk_id]


def test_tokenizer_rejects_a_vocabulary_without_specials():
    with pytest.raises(ValueError, match="special"):
        CharTokenizer(vocab=("a", "b"))


def test_config_rejects_odd_head_dim():
    with pytest.raises(ValueError, match="even"):
        LMConfig(d_model=30, n_heads=2)


def test_kv_cache_greedy_sampling_matches_full_forward_argmax():
    model = tiny()
    prompt = TOK.encode("What is 3 + 4?\n", bos=True)
    s = sample(model, [prompt], 12, TOK.eos_id, TOK.pad_id, temperature=0)
    ids = list(prompt)
    for _ in range(s.ids.shape[1] - len(prompt)):
        logits = model(torch.tensor([ids]))[0, -1]
        ids.append(int(logits.argmax()))
    assert s.ids[0].tolist() == ids


def test_left_padding_does_not_change_a_row():
    model = tiny()
    short, long = TOK.encode("1+2\n", bos=True), TOK.encode("What is 31 + 42?\n", bos=True)
    together = sample(model, [long, short], 10, TOK.eos_id, TOK.pad_id, temperature=0)
    alone = sample(model, [short], 10, TOK.eos_id, TOK.pad_id, temperature=0)
    n = alone.ids.shape[1] - alone.prompt_len
    assert together.ids[1, together.prompt_len : together.prompt_len + n].tolist() == (
        alone.ids[0, alone.prompt_len :].tolist()
    )
    lp_together = completion_logprobs(model, together)[1, :n]
    lp_alone = completion_logprobs(model, alone)[0]
    torch.testing.assert_close(lp_together, lp_alone, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_training_logprobs_are_those_the_kv_cache_sampler_drew_from(monkeypatch, temperature):
    # GRPO's ratio π_θ/π_old is only right if the full-forward log-probs of the sampled tokens
    # equal the distribution the cached sampler drew them from (same temperature, same
    # positions, padding ignored).
    model = tiny(1)
    drawn: list[torch.Tensor] = []
    real_multinomial = torch.multinomial

    def recording_multinomial(probs, n, generator=None):
        out = real_multinomial(probs, n, generator=generator)
        drawn.append(probs.gather(-1, out).squeeze(-1))
        return out

    monkeypatch.setattr(torch, "multinomial", recording_multinomial)
    prompts = [TOK.encode(p, bos=True) for p in ("What is 31 + 42?\n", "1+2\n", "7\n")]
    s = sample(model, prompts, 10, TOK.eos_id, TOK.pad_id, temperature,
               torch.Generator().manual_seed(0))
    sampler_logp = torch.stack(drawn, dim=1).log()  # [B, T]
    mask = s.completion_mask.bool()
    ours = completion_logprobs(model, s, temperature)
    torch.testing.assert_close(ours[mask], sampler_logp[mask], atol=1e-4, rtol=1e-4)
    if temperature != 1.0:  # the plain softmax would score a different policy
        plain = completion_logprobs(model, s)
        assert not torch.allclose(plain[mask], sampler_logp[mask], atol=1e-3)


def test_sampling_stops_rows_at_eos_and_masks_the_rest():
    model = tiny()
    with torch.no_grad():  # make EOS overwhelmingly likely after the first token
        model.embed_tokens.weight[TOK.eos_id] *= 0
    prompt = TOK.encode("7\n", bos=True)
    s = sample(
        model, [prompt], 20, TOK.eos_id, TOK.pad_id, temperature=0, prefix=TOK.encode("<think>")
    )
    assert s.ids[0, s.prompt_len] == TOK.index["<think>"]  # the forced prefix comes first
    mask = s.completion_mask[0].tolist()
    row = s.ids[0, s.prompt_len :].tolist()
    if TOK.eos_id in row:
        end = row.index(TOK.eos_id) + 1
        assert mask == [1] * end + [0] * (len(row) - end)


def test_prompt_longer_than_max_len_is_refused():
    model = tiny()
    with pytest.raises(ValueError, match="max_len"):
        sample(model, [[TOK.bos_id] * 64], 5, TOK.eos_id, TOK.pad_id)


def test_checkpoint_round_trip(tmp_path):
    model = tiny(3)
    save_checkpoint(tmp_path / "ckpt", model, TOK, {"note": "x"})
    loaded, tok, meta = load_checkpoint(tmp_path / "ckpt")
    assert meta == {"note": "x"} and tok == TOK
    ids = torch.tensor([TOK.encode("12+3", bos=True)])
    torch.testing.assert_close(model(ids), loaded(ids))
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing")


def test_a_checkpoint_file_that_is_not_a_regular_file_is_refused_not_read(tmp_path):
    save_checkpoint(tmp_path / "ckpt", tiny(3), TOK, {})
    weights = tmp_path / "ckpt" / "model.safetensors"
    weights.unlink()
    os.mkfifo(weights)  # a plain open() would wait for a writer forever
    with pytest.raises(UserFileError, match="FIFO"):
        load_checkpoint(tmp_path / "ckpt")


@pytest.mark.parametrize(
    ("a", "op", "b"),
    [(47, "+", 85), (99, "+", 1), (503, "-", 78), (12, "-", 40), (47, "*", 8), (47, "*", 38)],
)
def test_traces_end_in_the_right_result(a, op, b):
    trace = binop_trace(a, op, b)
    expected = a + b if op == "+" else a - b if op == "-" else a * b
    last = trace.replace("=", ":").split(":")[-1].strip()
    assert int(last) == expected, trace


def test_parity_trace_is_the_running_parity_one_digit_per_bit():
    assert parity_trace("0110") == "0100"
    parity = get_family("parity")
    task = parity.generate(3, 4)
    trace = parity.trace(task)
    assert len(trace) == len(task.meta["bits"])
    assert ("odd" if trace[-1] == "1" else "even") == task.answer
    text = f"<think>{trace}</think><answer>{task.answer}</answer>"
    assert score(text, task).accuracy == 1.0


def test_column_add_writes_the_partial_answer_after_each_column():
    assert column_add(67, 34) == "7+4=11:1 6+3+1=10:01 c:101"


def test_corpus_is_mostly_direct_answers_with_correct_traced_ones():
    family = get_family("arithmetic")
    pairs = list(itertools.islice(corpus([family], 2, 0.2, seed=1), 400))
    traced = [(p, c) for p, c in pairs if not c.startswith("<think></think>")]
    assert 40 <= len(traced) <= 120  # about 20%
    for p, c in pairs[:50]:
        assert p.endswith("?\n") and c.endswith("</answer>")
    # Every example is well formed and correct by the project's own reward.
    for seed in range(20):
        t = family.generate(10_000 + seed, 2)
        text = f"<think>{family.trace(t)}</think><answer>{t.answer}</answer>"
        b = score(text, t)
        assert b.accuracy == 1.0 and b.format == 1.0


def test_bucketed_batches_weigh_every_token_like_one_big_batch():
    # Bucketing puts traced (long) and direct (short) examples in different batches; the summed
    # loss over a pool must still equal one unbucketed batch's token mean (times the number of
    # batches), or the think/no-think decision is learned at the wrong rate.
    pairs = list(itertools.islice(corpus([get_family("parity")], 3, 0.3, seed=2), 16))
    assert any(not c.startswith("<think></think>") for _, c in pairs)
    model = tiny(2)
    batches = list(itertools.islice(
        bucketed_batches(iter(pairs), TOK, 4, 64, random.Random(0), pool=4), 4))
    assert len({norm for *_, norm in batches}) == 1  # one normaliser for the whole pool
    with torch.no_grad():
        bucketed = sum(lm_loss(model, ids, mask, lmask, norm) for ids, mask, lmask, norm in
                       batches)
        whole = lm_loss(model, *lm_batch(pairs, TOK, 64))
        per_batch_mean = sum(lm_loss(model, ids, mask, lmask) for ids, mask, lmask, _ in
                             batches)
    torch.testing.assert_close(bucketed, 4 * whole, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(per_batch_mean, 4 * whole, atol=1e-3)


def test_pretraining_lowers_the_loss_and_writes_a_checkpoint(tmp_path):
    logs: list[dict] = []
    cfg = PretrainConfig(
        steps=30,
        batch_size=16,
        lr=3e-3,
        warmup=5,
        bf16=False,
        log_every=1,
        out=str(tmp_path / "base"),
        lm=LMConfig(d_model=32, n_layers=1, n_heads=2, d_ff=64, max_len=192),
    )
    pretrain(cfg, log=logs.append)
    assert logs[-1]["loss_ema"] < logs[0]["loss"] - 1.0
    model, tok, meta = load_checkpoint(tmp_path / "base")
    assert meta["pretrain"]["steps"] == 30 and model.cfg.vocab_size == len(tok)
    # Continuing from the checkpoint starts where it left off, not from scratch.
    more: list[dict] = []
    pretrain(dataclasses.replace(cfg, steps=1, init=str(tmp_path / "base"),
                                 out=str(tmp_path / "more")), log=more.append)
    assert more[0]["loss"] < logs[0]["loss"] - 1.0


@pytest.mark.parametrize("device", [
    "cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                         reason="no CUDA GPU here"))])
def test_sampling_on_a_device_draws_the_cpu_tokens_for_a_seed(device, tmp_path):
    from rocks.devices import resolve_device

    prompts = [TOK.encode("<bos>12+7="), TOK.encode("<bos>3*4=")]

    def draw(model):
        g = torch.Generator().manual_seed(5)
        return sample(model, prompts, 12, TOK.eos_id, TOK.pad_id, temperature=1.0, generator=g)

    ref = draw(tiny())
    model = tiny().to(resolve_device(device))
    got = draw(model)
    assert got.ids.device.type == device
    assert torch.equal(got.ids.cpu(), ref.ids)
    save_checkpoint(tmp_path / "lm", model, TOK, {})
    loaded, _, _ = load_checkpoint(tmp_path / "lm")
    assert next(loaded.parameters()).device.type == "cpu"


@pytest.mark.parametrize("device", [
    "cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                         reason="no CUDA GPU here"))])
def test_pretraining_runs_on_the_device_asked_and_saves_a_cpu_checkpoint(device, tmp_path):
    cfg = PretrainConfig(steps=2, batch_size=4, warmup=1, bf16=False, device=device,
                         out=str(tmp_path / "base"),
                         lm=LMConfig(d_model=16, n_layers=1, n_heads=2, d_ff=32, max_len=192))
    model = pretrain(cfg)
    assert next(model.parameters()).device.type == device
    loaded, _, _ = load_checkpoint(tmp_path / "base")
    assert next(loaded.parameters()).device.type == "cpu"
    with pytest.raises(ValueError, match="device"):
        pretrain(dataclasses.replace(cfg, device="tpu"))  # type: ignore[arg-type]
