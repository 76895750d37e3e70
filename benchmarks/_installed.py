"""Benchmarks time the lab as an installed copy runs: with its modules' bytecode compiled.

`pip install` compiles a package's modules, and an editable install writes the bytecode on the
first import; but where ``PYTHONDONTWRITEBYTECODE`` is set (as on some shared machines), every
start would compile seqlab's sources again, while Textual, the yardstick, starts from its
compiled bytecode. Compiling seqlab once here makes the two starts comparable.
"""

from __future__ import annotations

import compileall
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def compile_seqlab() -> None:
    """Write seqlab's bytecode (``__pycache__``, ignored by git) if it is missing or stale."""
    compileall.compile_dir(REPO / "seqlab", quiet=1)
