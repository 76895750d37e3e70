"""Wording shared by the command line, the engine and the lab: counted nouns in messages
(``plural(1, "epoch")`` -> "1 epoch", ``plural(3, "epoch")`` -> "3 epochs") and the one install
hint for the Korean extra. Standard library only, so ``seqlab --help`` can use it."""

from __future__ import annotations

# the `ko` extra in one command that works for any kind of install (venv, pipx's own venv, wheel)
KO_INSTALL = "python3 -m pip install kiwipiepy"


def plural(n: int | float, word: str, many: str | None = None) -> str:
    """``n`` and ``word``, made plural unless ``n`` is one (``many`` for irregular plurals);
    whole numbers get thousands separators."""
    count = f"{n:,}" if isinstance(n, int) else f"{n:g}"
    return f"{count} {word if n == 1 else (many or word + 's')}"
