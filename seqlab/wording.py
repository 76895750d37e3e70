"""Counted nouns in messages: ``plural(1, "epoch")`` -> "1 epoch", ``plural(3, "epoch")`` -> "3 epochs"."""

from __future__ import annotations


def plural(n: int | float, word: str, many: str | None = None) -> str:
    """``n`` and ``word``, made plural unless ``n`` is one (``many`` for irregular plurals);
    whole numbers get thousands separators."""
    count = f"{n:,}" if isinstance(n, int) else f"{n:g}"
    return f"{count} {word if n == 1 else (many or word + 's')}"
