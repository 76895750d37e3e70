"""What the text view knows about a language-model run, folded from engine events.

Plain Python + numpy: no Textual, no torch. Losses are cross entropy in nats, so
perplexity = exp(loss).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def perplexity(loss: float) -> float:
    """exp(loss), nan for a missing loss, inf past float range."""
    if loss is None or not math.isfinite(loss):
        return math.nan
    return math.exp(loss) if loss < 700 else math.inf


@dataclass
class LMRunState:
    """The live picture of one text run."""

    status: str = "idle"  # idle | starting | running | stopping | finished | stopped | diverged | failed
    reason: str = ""
    run_dir: str = ""
    params: int = 0
    device: str = ""
    epochs_total: int = 0
    steps_per_epoch: int = 0
    window: int = 0
    n_train: int = 0
    n_val: int = 0
    unigram: float = math.nan
    epoch: int = 0
    step: int = 0
    step_x: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    samples_per_s: float = 0.0
    eta_s: float = math.nan
    seconds: float = 0.0
    best_epoch: int = 0
    probe: Any = None  # the latest ProbeSnapshot of the watched validation window
    summary: dict[str, Any] = field(default_factory=dict)
    version: int = 0

    @property
    def active(self) -> bool:
        return self.status in ("starting", "running", "stopping")

    @property
    def tokens_per_s(self) -> float:
        """Each sample is one window: every one of its tokens is a prediction."""
        return self.samples_per_s * max(self.window, 1)

    @property
    def val_perplexity(self) -> float:
        if "val_perplexity" in self.summary:
            return float(self.summary["val_perplexity"])
        return perplexity(self.val_loss[-1]) if self.val_loss else math.nan

    def apply(self, event: Any) -> None:
        """Fold one engine event into the state."""
        name = type(event).__name__
        self.version += 1
        if name == "RunStarted":
            self.status = "running"
            self.run_dir = event.run_dir
            self.params = int(event.params)
            self.device = event.device
            self.epochs_total = int(event.epochs)
            self.steps_per_epoch = int(event.steps_per_epoch)
            train_shape = (event.shapes or {}).get("train") or [0, 0]
            self.n_train = int(train_shape[0]) if train_shape else 0
            self.window = int(train_shape[1]) if len(train_shape) > 1 else 0
            val_shape = (event.shapes or {}).get("val") or [0]
            self.n_val = int(val_shape[0]) if val_shape else 0
            self.unigram = float((event.baseline_val or {}).get("perplexity", math.nan))
        elif name == "StepEnd":
            spe = max(1, int(event.steps_per_epoch))
            self.epoch, self.step = int(event.epoch), int(event.step)
            self.step_x.append(event.epoch - 1 + event.step / spe)
            self.step_loss.append(float(event.loss))
            self.samples_per_s = float(event.samples_per_s)
        elif name == "EpochEnd":
            self.epoch = int(event.epoch)
            self.step = self.steps_per_epoch
            self.epochs_total = int(event.epochs)
            self.epochs.append(int(event.epoch))
            self.train_loss.append(float(event.train_loss))
            self.val_loss.append(float(event.val_loss))
            uni = (event.val or {}).get("unigram_perplexity")
            if uni is not None and math.isfinite(float(uni)):
                self.unigram = float(uni)
            self.samples_per_s = float(event.samples_per_s)
            self.eta_s = float(event.eta_s)
            self.seconds = float(event.seconds)
            if event.best:
                self.best_epoch = int(event.epoch)
        elif name == "ProbeSnapshot":
            self.probe = event
        elif name == "RunEnd":
            self.status = event.status
            self.reason = event.reason
            self.run_dir = event.run_dir or self.run_dir
            self.best_epoch = int(event.best_epoch or self.best_epoch)
            self.seconds = float(event.seconds)
            self.eta_s = 0.0
            self.summary = dict(event.summary or {})
            uni = self.summary.get("unigram_perplexity")
            if isinstance(uni, (int, float)) and math.isfinite(float(uni)):
                self.unigram = float(uni)
