"""Modules imported on first use.

The lab's first frame needs none of numpy (no array exists before a file is loaded or a run is
followed), yet eight of the modules it imports use it; importing numpy up front cost about a
sixth of a bare Textual app's whole start. ``numpy`` here is a stand-in that imports the real
module the first time one of its names is used, and hands every name on from then.

    if TYPE_CHECKING:
        import numpy as np
    else:
        from seqlab.lazy import numpy as np
"""

from __future__ import annotations

import importlib
from typing import Any


class _OnFirstUse:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<{self._name}, imported on first use>"


numpy: Any = _OnFirstUse("numpy")
