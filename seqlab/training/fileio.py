"""Writing run files whole or not at all, and values JSON can hold.

Every file a run keeps (config, summary, checkpoints, state, predictions) goes through
:func:`atomic_write_bytes`: it is written to a temporary name beside its place and renamed over
it, so a crash or a full disk never leaves half a file, and a failed write leaves the old file
as it was. Both :mod:`seqlab.training.runs` and :mod:`seqlab.training.record` write through
here, which is why it is a module of its own (neither imports the other for it). Call it as
``fileio.atomic_write_bytes`` so a test that patches it here reaches every writer.

This module imports neither torch nor textual.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give; mkstemp alone gives 0600


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_safe(obj: Any) -> Any:
    """Replace NaN / inf (which JSON lacks) by None, numpy scalars by Python numbers."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    np = sys.modules.get("numpy")  # no numpy scalar exists before numpy is imported
    if np is not None and isinstance(obj, (np.floating, np.integer)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
