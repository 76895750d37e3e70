"""The events a run reports: small frozen objects of plain floats, strings and numpy arrays.

No tensors and no device memory cross this boundary. Every event serialises to one JSON object
(``to_json``) and back (``from_json``) so a child process can stream them as JSON lines; numpy
arrays travel as base64 of their bytes (float32 kept as float32), which is ~5x smaller than
lists of decimal numbers.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from seqlab.lazy import numpy as np


Metrics = dict[str, float]  # {"mae": .., "rmse": .., "mape": ..} (mape may be nan)


@dataclass(frozen=True)
class RunStarted:
    run_dir: str
    device: str
    params: int
    epochs: int
    steps_per_epoch: int
    shapes: dict[str, list[int]]  # {"train": [N, T, F], "val": [...], "test": [...]}
    config: dict[str, Any]
    baseline_val: Metrics = field(default_factory=dict)
    baseline_test: Metrics = field(default_factory=dict)
    kind: str = "series"  # "series" or "text"
    snaive_val: Metrics = field(default_factory=dict)  # seasonal-naive baseline
    snaive_test: Metrics = field(default_factory=dict)
    # > 0 when this run continues a stopped or crashed run (``seqlab train --resume``): the
    # events of epochs 1..resumed_epoch before this line in events.jsonl stay valid
    resumed_epoch: int = 0


@dataclass(frozen=True)
class StepEnd:
    epoch: int  # 1-based
    step: int  # 1-based within the epoch
    steps_per_epoch: int
    global_step: int
    loss: float  # training loss of this batch (model units)
    samples_per_s: float
    # the run's accelerator, empty on CPU: see DEVICE_STATS_KEYS
    device_stats: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class EpochEnd:
    epoch: int  # 1-based
    epochs: int
    train_loss: float
    val_loss: float
    val: Metrics  # original units
    best: bool  # val loss improved
    seconds: float  # wall time since the run started
    samples_per_s: float
    eta_s: float
    device_stats: dict[str, float] = field(default_factory=dict)  # see DEVICE_STATS_KEYS


@dataclass(frozen=True)
class ProbeSnapshot:
    """Per-timestep internals of one watched sample, from the step-by-step unroll.

    ``states`` keys are ``"{kind}/{layer}/{direction}"``: kind in h, c, i, f, g, o (LSTM),
    h, r, z, n (GRU), h (RNN); direction ``fwd`` or ``bwd``. Each value is (timesteps, hidden).
    ``grads`` keys are ``"{layer}/{direction}"``, each (timesteps,) of ||dloss/dh_t||.
    """

    epoch: int
    split: str
    sample: int
    labels: list[str]  # one label per timestep
    states: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    loss: float
    max_abs_error: float  # unroll vs fused module, for the last layer's outputs
    # text runs: at each position the top next tokens as [token, probability] pairs
    topk: list[list[list[Any]]] = field(default_factory=list)
    # time series: (timesteps,) ||dy_hat/dx_t||, how much the forecast depends on each input
    input_grad: np.ndarray | None = None


@dataclass(frozen=True)
class Predictions:
    """Predicted vs actual in original units for one split (first horizon step)."""

    epoch: int
    split: str
    labels: list[str]
    actual: np.ndarray
    predicted: np.ndarray
    baseline: np.ndarray
    # prediction intervals of the first step, e.g. {"lo80": (N,), "hi80": ..., "lo95": ...}
    bands: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class RunEnd:
    status: str  # finished | stopped | diverged | failed
    reason: str
    run_dir: str
    epochs: int  # epochs completed
    best_epoch: int
    seconds: float
    summary: dict[str, Any]  # the --json result object


# Keys of ``device_stats`` (all optional; absent when unknown, the whole dict empty on CPU):
DEVICE_STATS_KEYS = {
    "mem_allocated": "bytes of device memory held by tensors now (torch.cuda.memory_allocated)",
    "mem_peak": "most bytes held by tensors since the run started (max_memory_allocated)",
    "mem_total": "the device's total memory in bytes",
    "util": "GPU utilisation in percent over the last sample period (NVML, seqlab[gpu])",
    "power_w": "board power draw in watts (NVML, seqlab[gpu])",
}

Event = RunStarted | StepEnd | EpochEnd | ProbeSnapshot | Predictions | RunEnd

EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (RunStarted, StepEnd, EpochEnd, ProbeSnapshot, Predictions, RunEnd)
}


def _encode(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        return {
            "__nd__": str(arr.dtype),
            "shape": list(arr.shape),
            "b64": base64.b64encode(arr.tobytes()).decode("ascii"),
        }
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN / inf; decoded back as nan
    return value


_ARRAY_KINDS = "biuf"  # bool, int, uint, float: never object or structured dtypes


def _decode_array(value: dict[str, Any]) -> np.ndarray:
    """An array from its JSON form, checked: a numeric dtype, and a shape its bytes fill."""
    try:
        dtype = np.dtype(str(value["__nd__"]))
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"bad array dtype {str(value.get('__nd__'))[:40]!r}") from exc
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.itemsize > 16:
        raise ValueError(f"array dtype {str(dtype)[:40]!r} is not numeric")
    shape = value.get("shape")
    if (not isinstance(shape, list) or len(shape) > 8
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                       for d in shape)):
        raise ValueError(f"bad array shape {str(shape)[:40]}")
    b64 = value.get("b64")
    if not isinstance(b64, str):
        raise ValueError("array without its data")
    raw = base64.b64decode(b64, validate=True)
    if math.prod(shape) * dtype.itemsize != len(raw):
        raise ValueError(f"array shape {shape} does not match its {len(raw)} bytes")
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__nd__" in value:
            return _decode_array(value)
        return {k: (math.nan if v is None else _decode(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def to_json(event: Event) -> dict[str, Any]:
    body = {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return {"type": type(event).__name__, **body}


def from_json(obj: dict[str, Any]) -> Event:
    obj = dict(obj)
    cls = EVENT_TYPES.get(obj.pop("type", ""))
    if cls is None:
        raise ValueError(f"unknown event type in {str(obj)[:80]}")
    names = {f.name for f in dataclasses.fields(cls)}
    # keys this version does not know (a newer writer, a reply's "ok") are left out
    kwargs = {k: _decode(v) for k, v in obj.items() if k in names}
    for f in dataclasses.fields(cls):
        if f.type in ("float",) and kwargs.get(f.name) is None:
            kwargs[f.name] = float("nan")
    return cls(**kwargs)


def dumps(event: Event) -> str:
    return json.dumps(to_json(event), separators=(",", ":"), allow_nan=False, default=_nan_safe)


def loads(line: str) -> Event:
    return from_json(json.loads(line))


def _nan_safe(value: Any) -> Any:
    raise TypeError(f"cannot serialise {type(value).__name__}")
