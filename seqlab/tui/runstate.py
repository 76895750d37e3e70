"""What the Train and Hidden views show about one run, built from live events or from disk.

Plain Python + numpy: no Textual, no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class SplitPredictions:
    labels: list[str]
    actual: np.ndarray
    predicted: np.ndarray
    baseline: np.ndarray
    bands: dict[str, np.ndarray] = field(default_factory=dict)  # lo80/hi80/lo95/hi95


@dataclass
class RunState:
    """The live (or reloaded) picture of one run."""

    run_dir: str = ""
    status: str = "idle"  # idle | starting | running | stopping | finished | stopped | diverged | failed
    reason: str = ""
    source: str = "live"  # live | disk
    epochs_total: int = 0
    steps_per_epoch: int = 0
    params: int = 0
    device: str = ""
    shapes: dict[str, list[int]] = field(default_factory=dict)
    baseline_val: dict[str, float] = field(default_factory=dict)
    baseline_test: dict[str, float] = field(default_factory=dict)
    snaive_val: dict[str, float] = field(default_factory=dict)
    snaive_test: dict[str, float] = field(default_factory=dict)
    test_metrics: dict[str, float] = field(default_factory=dict)
    epochs: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_metrics: list[dict[str, float]] = field(default_factory=list)
    step_x: list[float] = field(default_factory=list)  # fractional epoch of each step point
    step_loss: list[float] = field(default_factory=list)
    epoch: int = 0
    step: int = 0
    samples_per_s: float = 0.0
    eta_s: float = math.nan
    seconds: float = 0.0
    best_epoch: int = 0
    predictions: dict[str, SplitPredictions] = field(default_factory=dict)
    probe: Any = None  # events.ProbeSnapshot
    summary: dict[str, Any] = field(default_factory=dict)  # RunEnd / summary.json
    version: int = 0  # bumped on every change, for cheap redraw checks

    @property
    def active(self) -> bool:
        return self.status in ("starting", "running", "stopping")

    def apply(self, event: Any) -> None:
        """Fold one engine event into the state."""
        name = type(event).__name__
        self.version += 1
        if name == "RunStarted":
            self.run_dir = event.run_dir
            self.status = "running"
            self.epochs_total = event.epochs
            self.steps_per_epoch = event.steps_per_epoch
            self.params = event.params
            self.device = event.device
            self.shapes = dict(event.shapes)
            self.baseline_val = dict(event.baseline_val)
            self.baseline_test = dict(event.baseline_test)
            self.snaive_val = dict(getattr(event, "snaive_val", {}) or {})
            self.snaive_test = dict(getattr(event, "snaive_test", {}) or {})
        elif name == "StepEnd":
            spe = max(1, event.steps_per_epoch)
            self.epoch, self.step = event.epoch, event.step
            self.step_x.append(event.epoch - 1 + event.step / spe)
            self.step_loss.append(float(event.loss))
            self.samples_per_s = float(event.samples_per_s)
        elif name == "EpochEnd":
            self.epoch = event.epoch
            self.epochs_total = event.epochs
            self.epochs.append(event.epoch)
            self.train_loss.append(float(event.train_loss))
            self.val_loss.append(float(event.val_loss))
            self.val_metrics.append(dict(event.val))
            self.samples_per_s = float(event.samples_per_s)
            self.eta_s = float(event.eta_s)
            self.seconds = float(event.seconds)
            if event.best:
                self.best_epoch = event.epoch
        elif name == "ProbeSnapshot":
            self.probe = event
        elif name == "Predictions":
            self.predictions[event.split] = SplitPredictions(
                list(event.labels),
                np.asarray(event.actual, dtype=float),
                np.asarray(event.predicted, dtype=float),
                np.asarray(event.baseline, dtype=float),
                {k: np.asarray(v, dtype=float)
                 for k, v in (getattr(event, "bands", None) or {}).items()},
            )
        elif name == "RunEnd":
            self.status = event.status
            self.reason = event.reason
            self.run_dir = event.run_dir or self.run_dir
            self.best_epoch = event.best_epoch or self.best_epoch
            self.seconds = float(event.seconds)
            self.eta_s = 0.0
            summary = event.summary or {}
            self.summary = dict(summary)
            self.test_metrics = dict(summary.get("test", {}) or {})
            if summary.get("baseline_test"):
                self.baseline_test = dict(summary["baseline_test"])
            for key in ("snaive_val", "snaive_test"):
                if summary.get(key):
                    setattr(self, key, _metrics(summary[key]))

    @property
    def latest_val(self) -> dict[str, float]:
        return self.val_metrics[-1] if self.val_metrics else {}

    @property
    def model_val(self) -> dict[str, float]:
        """Val metrics of the model in use: once the run has ended, the summary's (the restored
        best epoch after early stopping or stop), else the last epoch's."""
        val = _metrics(self.summary.get("val")) if self.summary else {}
        return val or self.latest_val

    @classmethod
    def from_record(cls, record: Any) -> RunState:
        """A run directory read back (seqlab.training.runs.RunRecord)."""
        info = record.info
        summary = info.summary or {}
        cfg = info.config or {}
        st = cls(run_dir=info.run_dir, source="disk")
        st.summary = dict(summary)
        st.status = info.status
        st.reason = str(summary.get("reason", ""))
        st.epochs_total = int(cfg.get("train", {}).get("epochs", 0) or 0)
        st.params = int(summary.get("params", 0) or 0)
        st.shapes = dict(summary.get("shapes", {}) or {})
        st.baseline_val = _metrics(summary.get("baseline_val"))
        st.baseline_test = _metrics(summary.get("baseline_test"))
        st.snaive_val = _metrics(summary.get("snaive_val"))
        st.snaive_test = _metrics(summary.get("snaive_test"))
        st.test_metrics = _metrics(summary.get("test"))
        st.seconds = float(summary.get("seconds", 0.0) or 0.0)
        st.best_epoch = int(summary.get("best_epoch", 0) or 0)
        for row in record.metrics:
            try:
                st.epochs.append(int(row["epoch"]))
                st.train_loss.append(_f(row.get("train_loss")))
                st.val_loss.append(_f(row.get("val_loss")))
            except (KeyError, TypeError, ValueError):
                continue
            val = row.get("val")
            if not isinstance(val, dict):
                val = {k: row[k] for k in ("mae", "rmse", "mape") if k in row}
            st.val_metrics.append(_metrics(val))
        st.epoch = st.epochs[-1] if st.epochs else 0
        by_split: dict[str, list[dict[str, Any]]] = {}
        for row in record.predictions:
            if str(row.get("step", "1")) not in ("1", "1.0", ""):
                continue
            by_split.setdefault(str(row.get("split", "")), []).append(row)
        for split, rows in by_split.items():
            st.predictions[split] = SplitPredictions(
                [str(r.get("label", "")) for r in rows],
                np.array([_f(r.get("actual")) for r in rows]),
                np.array([_f(r.get("predicted")) for r in rows]),
                np.array([_f(r.get("baseline")) for r in rows]),
                {k: np.array([_f(r.get(k)) for r in rows])
                 for k in ("lo80", "hi80", "lo95", "hi95") if rows and k in rows[0]},
            )
        if record.probe_line:
            try:
                from seqlab.training import events

                st.probe = events.loads(record.probe_line)
            except (ValueError, TypeError, KeyError):
                st.probe = None
        return st


def _f(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _metrics(obj: Any) -> dict[str, float]:
    if not isinstance(obj, dict):
        return {}
    return {str(k): _f(v) for k, v in obj.items() if not isinstance(v, dict)}
