"""What the lab shows about one run, series or text, folded from its events or read from disk.

One fold for both kinds: a run's ``kind`` (from ``RunStarted.kind``) only adds fields (the text
run's window and unigram baseline). Replaying a run's ``events.jsonl`` through :meth:`apply`
gives the same state as following it live. Plain Python + numpy: no Textual, no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seqlab.training.events import EpochEnd, Predictions, ProbeSnapshot, RunEnd, RunStarted, StepEnd
from seqlab.training.metrics import perplexity

if TYPE_CHECKING:
    import numpy as np
else:
    from seqlab.lazy import numpy as np

ACTIVE = ("starting", "running", "paused", "stopping")


@dataclass
class SplitPredictions:
    labels: list[str]
    actual: np.ndarray
    predicted: np.ndarray
    baseline: np.ndarray
    bands: dict[str, np.ndarray] = field(default_factory=dict)  # lo80/hi80/lo95/hi95


@dataclass
class DeviceFigures:
    """The run's accelerator as its events report it (CUDA only; absent values stay None)."""

    mem_allocated: float | None = None  # bytes
    mem_peak: float | None = None  # bytes
    utilisation: float | None = None  # percent
    power_w: float | None = None  # watts

    @property
    def any(self) -> bool:
        return any(v is not None for v in (self.mem_allocated, self.mem_peak, self.utilisation,
                                           self.power_w))

    def describe(self) -> str:
        """One short line, e.g. ``GPU 1.2/1.5 GiB · util 87% · 210 W`` ('' without a GPU):
        memory allocated now / at peak."""
        parts = []
        if self.mem_allocated is not None or self.mem_peak is not None:
            known = [v for v in (self.mem_allocated, self.mem_peak) if v is not None]
            unit, div = ("GiB", 2**30) if max(known) >= 2**30 else ("MiB", 2**20)
            now, peak = (("?" if v is None else f"{v / div:.1f}" if unit == "GiB"
                          else f"{v / div:.0f}") for v in (self.mem_allocated, self.mem_peak))
            parts.append(f"GPU {now}/{peak} {unit}")
        if self.utilisation is not None:
            parts.append(f"util {self.utilisation:.0f}%")
        if self.power_w is not None:
            parts.append(f"{self.power_w:.0f} W")
        return " · ".join(parts)


@dataclass
class RunState:
    """The live (or reloaded) picture of one run."""

    kind: str = "series"  # series | text
    run_dir: str = ""
    # idle | starting | running | paused | stopping | finished | stopped | diverged | failed
    # | crashed
    status: str = "idle"
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
    gpu: DeviceFigures = field(default_factory=DeviceFigures)
    # text runs: windows of `window` tokens, the unigram baseline's perplexity
    window: int = 0
    n_train: int = 0
    n_val: int = 0
    unigram: float = math.nan
    version: int = 0  # bumped on every change, for cheap redraw checks
    replaying: bool = False  # a followed run's log is being read: nothing to show yet

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def tokens_per_s(self) -> float:
        """Text runs: each sample is one window, and every one of its tokens is a prediction."""
        return self.samples_per_s * max(self.window, 1)

    @property
    def val_perplexity(self) -> float:
        if "val_perplexity" in self.summary:
            return float(self.summary["val_perplexity"])
        return perplexity(self.val_loss[-1]) if self.val_loss else math.nan

    def apply(self, event: Any) -> None:
        """Fold one engine event into the state."""
        self.version += 1
        match event:
            case RunStarted():
                self._started(event)
            case StepEnd():
                spe = max(1, int(event.steps_per_epoch))
                self.epoch, self.step = int(event.epoch), int(event.step)
                self.step_x.append(event.epoch - 1 + event.step / spe)
                self.step_loss.append(float(event.loss))
                self.samples_per_s = float(event.samples_per_s)
                self._device(event)
            case EpochEnd():
                self.epoch = int(event.epoch)
                self.step = self.steps_per_epoch
                self.epochs_total = int(event.epochs)
                self.epochs.append(int(event.epoch))
                self.train_loss.append(float(event.train_loss))
                self.val_loss.append(float(event.val_loss))
                self.val_metrics.append(dict(event.val))
                uni = (event.val or {}).get("unigram_perplexity")
                if uni is not None and math.isfinite(float(uni)):
                    self.unigram = float(uni)
                self.samples_per_s = float(event.samples_per_s)
                self.eta_s = float(event.eta_s)
                self.seconds = float(event.seconds)
                if event.best:
                    self.best_epoch = int(event.epoch)
                self._device(event)
            case ProbeSnapshot():
                self.probe = event
            case Predictions():
                self.predictions[event.split] = SplitPredictions(
                    list(event.labels),
                    np.asarray(event.actual, dtype=float),
                    np.asarray(event.predicted, dtype=float),
                    np.asarray(event.baseline, dtype=float),
                    {k: np.asarray(v, dtype=float)
                     for k, v in (getattr(event, "bands", None) or {}).items()},
                )
            case RunEnd():
                self._ended(event)
            case _:
                self.version -= 1  # an event type this lab does not know: nothing changed

    def _started(self, event: RunStarted) -> None:
        resumed = int(getattr(event, "resumed_epoch", 0) or 0)
        if resumed > 0:  # a resumed run: what was logged after its checkpoint is redone
            self._truncate(resumed)
        self.reason = ""
        self.summary = {}
        self.kind = str(getattr(event, "kind", "series") or "series")
        self.run_dir = event.run_dir
        self.status = "running"
        self.epochs_total = int(event.epochs)
        self.steps_per_epoch = int(event.steps_per_epoch)
        self.params = int(event.params)
        self.device = event.device
        self.shapes = dict(event.shapes or {})
        self.baseline_val = dict(event.baseline_val or {})
        self.baseline_test = dict(event.baseline_test or {})
        self.snaive_val = dict(getattr(event, "snaive_val", None) or {})
        self.snaive_test = dict(getattr(event, "snaive_test", None) or {})
        if self.kind == "text":
            train_shape = self.shapes.get("train") or [0, 0]
            self.n_train = int(train_shape[0]) if train_shape else 0
            self.window = int(train_shape[1]) if len(train_shape) > 1 else 0
            val_shape = self.shapes.get("val") or [0]
            self.n_val = int(val_shape[0]) if val_shape else 0
            self.unigram = float(self.baseline_val.get("perplexity", math.nan))

    def _truncate(self, epoch: int) -> None:
        """Keep what the log says about epochs 1..epoch only."""
        keep = sum(1 for e in self.epochs if e <= epoch)
        for name in ("epochs", "train_loss", "val_loss", "val_metrics"):
            del getattr(self, name)[keep:]
        keep_steps = sum(1 for x in self.step_x if x <= epoch)
        del self.step_x[keep_steps:]
        del self.step_loss[keep_steps:]
        self.epoch, self.step = epoch, 0
        if self.best_epoch > epoch:
            best = min(range(len(self.val_loss)), key=self.val_loss.__getitem__, default=None)
            self.best_epoch = self.epochs[best] if best is not None else 0

    def _ended(self, event: RunEnd) -> None:
        self.status = event.status
        self.reason = event.reason
        self.run_dir = event.run_dir or self.run_dir
        self.best_epoch = int(event.best_epoch or self.best_epoch)
        self.seconds = float(event.seconds)
        self.eta_s = 0.0
        summary = event.summary or {}
        self.summary = dict(summary)
        self.test_metrics = _metrics(summary.get("test"))
        if summary.get("baseline_test"):
            self.baseline_test = dict(summary["baseline_test"])
        for key in ("snaive_val", "snaive_test"):
            if summary.get(key):
                setattr(self, key, _metrics(summary[key]))
        uni = summary.get("unigram_perplexity")
        if isinstance(uni, (int, float)) and math.isfinite(float(uni)):
            self.unigram = float(uni)

    def _device(self, event: Any) -> None:
        """Accelerator figures, when the event carries them (``device_stats``: CUDA only)."""
        stats = getattr(event, "device_stats", None) or {}
        for attr, key in (("mem_allocated", "mem_allocated"), ("mem_peak", "mem_peak"),
                          ("utilisation", "util"), ("power_w", "power_w")):
            value = stats.get(key)
            if isinstance(value, (int, float)) and math.isfinite(float(value)):
                setattr(self.gpu, attr, float(value))

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
    def replay(cls, events: Any) -> RunState:
        """The state a list of events folds to (e.g. a run's events.jsonl read back)."""
        st = cls()
        for event in events:
            st.apply(event)
        return st

    @classmethod
    def from_record(cls, record: Any) -> RunState:
        """A run directory read back (seqlab.training.runs.RunRecord)."""
        info = record.info
        summary = info.summary or {}
        cfg = info.config or {}
        st = cls(run_dir=info.run_dir, source="disk", kind=str(getattr(info, "kind", "series")))
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
