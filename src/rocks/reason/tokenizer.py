"""A character-level tokenizer for the synthetic reasoning tasks.

Character-level tokenization is what small arithmetic transformers use (nanoGPT's shakespeare-char,
and the digit-level models of Lee et al. 2023, "Teaching Arithmetic to Small Transformers"):
every digit is its own token, so carries are visible to attention.

Departures:
1. The four format tags of DeepSeek-R1 (``<think>``, ``</think>``, ``<answer>``, ``</answer>``)
   are single tokens: they halve the length of a short completion and make the format a
   one-token decision the policy can learn cheaply.  ``decode`` writes them back as text, so
   verifiers and rewards only ever see strings.
2. Characters outside the alphabet map to ``<unk>`` instead of raising: prompts come from other
   modules and a stray character must not stop a training run.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
TAGS = ("<think>", "</think>", "<answer>", "</answer>")
SPECIALS = (PAD, BOS, EOS, UNK, *TAGS)
ALPHABET = string.digits + string.ascii_letters + " +-*/=()<>.,:;?!'\"%^_[]{}|#&@$~\n\t"


@dataclass(frozen=True)
class CharTokenizer:
    """Maps text to token ids and back; ``vocab`` is the ordered list of token strings."""

    vocab: tuple[str, ...] = SPECIALS + tuple(ALPHABET)

    def __post_init__(self) -> None:
        if len(set(self.vocab)) != len(self.vocab):
            raise ValueError("tokenizer vocabulary has duplicate entries")
        missing = [s for s in SPECIALS if s not in self.vocab]
        if missing:
            raise ValueError(f"tokenizer vocabulary lacks special tokens {missing}")

    @property
    def index(self) -> dict[str, int]:
        # Rebuilt on demand: the dataclass is frozen and hashable, so no cached mutable state.
        return {tok: i for i, tok in enumerate(self.vocab)}

    @property
    def pad_id(self) -> int:
        return self.vocab.index(PAD)

    @property
    def bos_id(self) -> int:
        return self.vocab.index(BOS)

    @property
    def eos_id(self) -> int:
        return self.vocab.index(EOS)

    @property
    def unk_id(self) -> int:
        return self.vocab.index(UNK)

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, bos: bool = False, eos: bool = False) -> list[int]:
        index = self.index
        ids = [self.bos_id] if bos else []
        i = 0
        while i < len(text):
            if text[i] == "<":
                tag = next((t for t in SPECIALS if text.startswith(t, i)), None)
                if tag is not None:
                    ids.append(index[tag])
                    i += len(tag)
                    continue
            ids.append(index.get(text[i], self.unk_id))
            i += 1
        if eos:
            ids.append(self.eos_id)
        return ids

    def decode(self, ids: Sequence[int], skip_special: bool = True) -> str:
        """Text of ``ids``; pad/bos/eos are dropped when ``skip_special`` (tags are always kept)."""
        hidden = {PAD, BOS, EOS} if skip_special else set()
        out = []
        for i in ids:
            tok = self.vocab[int(i)]
            if tok not in hidden:
                out.append(tok)
        return "".join(out)

    def to_dict(self) -> dict[str, list[str]]:
        return {"vocab": list(self.vocab)}

    @classmethod
    def from_dict(cls, data: dict[str, list[str]]) -> CharTokenizer:
        return cls(vocab=tuple(data["vocab"]))
