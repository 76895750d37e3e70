"""Recurrent models (torch): the time-series SeqModel, the LanguageModel and the probe.

Names are loaded lazily, so ``from seqlab.models.info import describe`` stays torch-free.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seqlab.models.info import describe, estimate_lm_params, estimate_params
    from seqlab.models.language_model import LanguageModel
    from seqlab.models.probing import ProbeResult, probe
    from seqlab.models.seq import SeqModel, build_model, count_params, initial_model

_WHERE: dict[str, str] = {
    "SeqModel": "seq",
    "build_model": "seq",
    "count_params": "seq",
    "initial_model": "seq",
    "LanguageModel": "language_model",
    "ProbeResult": "probing",
    "probe": "probing",
    "describe": "info",
    "estimate_params": "info",
    "estimate_lm_params": "info",
}

__all__ = [
    "LanguageModel",
    "ProbeResult",
    "SeqModel",
    "build_model",
    "count_params",
    "describe",
    "estimate_lm_params",
    "estimate_params",
    "initial_model",
    "probe",
]


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'seqlab.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"seqlab.models.{mod}"), name)
    globals()[name] = value
    return value
