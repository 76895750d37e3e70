"""Vocabulary: token strings <-> ids, with four special tokens first."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from seqlab.errors import DataError

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS: tuple[str, ...] = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3


class Vocab:
    """Specials ``<pad>``=0, ``<unk>``=1, ``<bos>``=2, ``<eos>``=3, then tokens by frequency.

    Ties are broken by first appearance, so the same tokens always give the same ids.
    ``max_size`` counts the specials too (``len(vocab) <= max_size``).
    """

    def __init__(
        self,
        tokens: Iterable[str],
        counts: Iterable[int] | None = None,
        min_freq: int = 1,
        max_size: int | None = None,
    ) -> None:
        """Build from an ordered list of regular tokens (specials are added in front)."""
        regular = [t for t in tokens if t not in SPECIALS]
        self.itos: list[str] = [*SPECIALS, *regular]
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise DataError("the vocabulary lists a token twice: rebuild it from the text.")
        given = list(counts) if counts is not None else []
        self.counts: list[int] = [0] * len(SPECIALS) + (given or [0] * len(regular))
        if len(self.counts) != len(self.itos):
            raise DataError("the vocabulary's counts do not match its tokens: rebuild it.")
        self.min_freq = min_freq
        self.max_size = max_size

    @classmethod
    def build(cls, tokens: Iterable[str], min_freq: int = 1, max_size: int | None = None) -> Vocab:
        """Count tokens; keep those seen ``min_freq`` times or more, the most frequent first."""
        if min_freq < 1:
            raise DataError(f"min_freq must be at least 1 (got {min_freq}).")
        if max_size is not None and max_size <= len(SPECIALS):
            raise DataError(
                f"max_size must be above {len(SPECIALS)} (the special tokens) (got {max_size})."
            )
        counts: dict[str, int] = {}
        for tok in tokens:  # dicts keep first-appearance order
            counts[tok] = counts.get(tok, 0) + 1
        for special in SPECIALS:
            counts.pop(special, None)
        order = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: ties keep first appearance
        kept = [(t, c) for t, c in order if c >= min_freq]
        if max_size is not None:
            kept = kept[: max_size - len(SPECIALS)]
        return cls([t for t, _ in kept], [c for _, c in kept], min_freq=min_freq, max_size=max_size)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, min_freq={self.min_freq}, max_size={self.max_size})"

    @property
    def pad_id(self) -> int:
        return PAD_ID

    @property
    def unk_id(self) -> int:
        return UNK_ID

    @property
    def bos_id(self) -> int:
        return BOS_ID

    @property
    def eos_id(self) -> int:
        return EOS_ID

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Tokens -> ids; tokens not in the vocabulary become ``<unk>`` (1)."""
        get = self.stoi.get
        return [get(t, UNK_ID) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Ids -> token strings."""
        itos, n = self.itos, len(self.itos)
        out: list[str] = []
        for i in ids:
            j = int(i)
            if not 0 <= j < n:
                raise DataError(
                    f"token id {j} is outside the vocabulary (size {n}): the model and the "
                    "vocabulary do not belong together."
                )
            out.append(itos[j])
        return out

    def unknown_count(self, tokens: Iterable[str]) -> int:
        """How many of ``tokens`` are not in the vocabulary (would become ``<unk>``)."""
        stoi = self.stoi
        return sum(1 for t in tokens if t not in stoi)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (tokens after the specials, with their training counts)."""
        n = len(SPECIALS)
        return {
            "specials": list(SPECIALS),
            "tokens": self.itos[n:],
            "counts": self.counts[n:],
            "min_freq": self.min_freq,
            "max_size": self.max_size,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Vocab:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(raw, dict) or not isinstance(raw.get("tokens"), list):
            raise DataError("the saved vocabulary is not valid (no token list): retrain the model.")
        if list(raw.get("specials", SPECIALS)) != list(SPECIALS):
            raise DataError("the saved vocabulary has other special tokens: retrain the model.")
        tokens = [str(t) for t in raw["tokens"]]
        counts = raw.get("counts")
        return cls(
            tokens,
            [int(c) for c in counts] if counts is not None else None,
            min_freq=int(raw.get("min_freq", 1)),
            max_size=raw.get("max_size"),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Vocab:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"the saved vocabulary is not valid JSON ({exc.msg}): retrain."
            ) from None
        return cls.from_dict(raw)
