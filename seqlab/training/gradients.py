"""Gradient profiles of runs: ``‖∂loss/∂h_t‖`` and ``‖∂ŷ/∂x_t‖`` per timestep, for the
vanishing-gradient lesson.

A finished run's profile comes from its ``probe.json`` (the watched validation sample at the
best epoch; numpy only). The untrained profile of the same settings (same seed, same sample)
needs torch and is imported from here on demand.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np


def last_layer_fwd(grads: dict[str, np.ndarray]) -> np.ndarray | None:
    """The last layer's forward-direction ``‖∂loss/∂h_t‖`` from a snapshot's grads."""
    keys = [k for k in grads if k.endswith("/fwd") and k.split("/")[0].isdigit()]
    if not keys:
        return None
    key = max(keys, key=lambda k: int(k.split("/")[0]))
    return np.asarray(grads[key], dtype=np.float64).ravel()


def ratio(values: np.ndarray | None) -> float:
    """Last timestep over the first; NaN when either is missing or zero."""
    if values is None or len(values) < 2:
        return math.nan
    first, last = float(values[0]), float(values[-1])
    if not (math.isfinite(first) and math.isfinite(last)) or first <= 0:
        return math.nan
    return last / first


def snapshot_profile(snap: Any) -> dict[str, Any]:
    """{"loss_grad", "input_grad", "loss_ratio", "input_ratio", "epoch", "sample"}."""
    loss_grad = last_layer_fwd(snap.grads)
    input_grad = getattr(snap, "input_grad", None)
    input_grad = None if input_grad is None else np.asarray(input_grad, dtype=np.float64).ravel()
    return {"loss_grad": loss_grad, "input_grad": input_grad, "loss_ratio": ratio(loss_grad),
            "input_ratio": ratio(input_grad), "epoch": int(snap.epoch),
            "sample": int(snap.sample)}


def run_profile(run_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The profile in a run's ``probe.json``, or None when it has none."""
    from seqlab.training.events import loads

    path = Path(run_dir) / "probe.json"
    try:
        snap = loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return None
    if not hasattr(snap, "grads"):
        return None
    return snapshot_profile(snap)


def untrained_profile(run_dir: str | os.PathLike[str], prepared: Any = None) -> dict[str, Any]:
    """The profile of the run's settings before any training: the recurrent weights its seed
    gives the trainer, probed on the same watched validation sample.

    The head is the one the seed draws, also where the trainer starts from a zero head (a
    differenced run starts as the persistence forecast): through a zero head no gradient
    reaches any timestep, so that profile would be zero for every cell and say nothing about
    how far back each cell carries a gradient, which is what this profile is for. The
    recurrent weights are the trainer's either way (``initial_model`` zeroes the head after
    drawing it); ``persistence_start`` says whether the run's own head started at zero.
    """
    import torch

    from seqlab.config import RunConfig
    from seqlab.data import prepare
    from seqlab.models import initial_model, probe

    cfg = RunConfig.load(Path(run_dir) / "config.toml")
    prep = prepared if prepared is not None else prepare(cfg.data)
    torch.manual_seed(cfg.train.seed)
    model = initial_model(prep.n_features, prep.horizon, cfg.model, persistence_start=False)
    k = int(min(max(cfg.train.probe_sample, 0), prep.val.X.shape[0] - 1))
    x = torch.from_numpy(np.array(prep.val.X[k : k + 1], dtype=np.float32))
    y = torch.from_numpy(np.array(prep.val.y[k : k + 1], dtype=np.float32))
    result = probe(model, x, y)
    grads = {key: v[0] for key, v in result.grads.items()}
    loss_grad = last_layer_fwd(grads)
    input_grad = (None if result.input_grads is None
                  else np.asarray(result.input_grads[0], dtype=np.float64))
    return {"loss_grad": loss_grad, "input_grad": input_grad, "loss_ratio": ratio(loss_grad),
            "input_ratio": ratio(input_grad), "epoch": 0, "sample": k,
            "persistence_start": bool(prep.difference)}
