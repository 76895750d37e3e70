"""The text mode's Train pane: the run's status, its loss and perplexity curves."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static, TabPane

from seqlab.render import fmt_compact
from seqlab.training.metrics import perplexity
from seqlab.tui.runstate import RunState
from seqlab.tui.widgets.plots import PlotView, Series

STATUS_COLOURS = {"running": "green", "starting": "yellow", "stopping": "yellow",
                  "paused": "yellow", "finished": "cyan", "stopped": "yellow", "failed": "red",
                  "diverged": "red", "crashed": "red"}


class TextTrainPane(TabPane):
    """Drawn from the text run's state, handed down by the text view."""

    def __init__(self) -> None:
        super().__init__("Train", id="tx-train")

    def compose(self) -> ComposeResult:
        yield Static("", id="tx-train-status")
        with Horizontal(id="tx-plots"):
            yield PlotView(id="tx-loss-plot")
            yield PlotView(id="tx-ppl-plot")

    def show(self, st: RunState, source: str) -> None:
        """``source``: what an idle ctrl+t would train on (a file name or "the typed text")."""
        self.query_one("#tx-train-status", Static).update(status_text(st, source))
        ex = np.asarray(st.epochs, dtype=float)
        tl = np.asarray(st.train_loss, dtype=float)
        vl = np.asarray(st.val_loss, dtype=float)
        loss_series = [Series("step", np.asarray(st.step_x, float),
                              np.asarray(st.step_loss, float), "grey50"),
                       Series("train", ex, tl, "cyan"), Series("val", ex, vl, "magenta")]
        empty = "curves appear after the first epoch" if st.active else "no run yet (ctrl+t)"
        # steps sit at fractional epochs: both axes count whole epochs and say so
        self.query_one("#tx-loss-plot", PlotView).data = {
            "series": loss_series, "title": "loss (nats)", "empty": empty,
            "x_integer": True, "x_name": "epoch"}
        ppl_series = [Series("train", ex, np.array([perplexity(x) for x in tl]), "cyan"),
                      Series("val", ex, np.array([perplexity(x) for x in vl]), "magenta")]
        if math.isfinite(st.unigram) and len(ex):
            x_end = float(max(st.epochs_total, ex[-1]))
            ppl_series.append(Series("unigram", np.array([1.0, max(x_end, 1.0)]),
                                     np.array([st.unigram, st.unigram]), "yellow"))
        self.query_one("#tx-ppl-plot", PlotView).data = {
            "series": ppl_series, "title": "perplexity (log)", "log_y": True, "empty": empty,
            "x_integer": True, "x_name": "epoch"}


def status_text(st: RunState, source: str) -> Text:
    line1 = Text()
    line1.append(f"● {st.status}", style=f"bold {STATUS_COLOURS.get(st.status, 'dim')}")
    if st.status == "idle":
        line1.append(f"  ctrl+t trains a next-token model on {source}.")
    else:
        line1.append(f" · epoch {st.epoch}/{st.epochs_total or '?'}")
        if st.steps_per_epoch and st.active:
            line1.append(f" · step {st.step}/{st.steps_per_epoch}")
        if st.active and math.isfinite(st.eta_s):
            line1.append(f" · ETA {fmt_secs(st.eta_s)}")
        if st.samples_per_s:
            line1.append(f" · {fmt_compact(st.tokens_per_s)} tokens/s")
            if st.gpu.any:  # CUDA runs only
                line1.append(f" · {st.gpu.describe()}")
        if st.params:
            line1.append(f" · {st.params:,} params")
    line2 = Text()
    if st.val_loss or st.summary:
        line2.append(f"val perplexity {fmt_num(st.val_perplexity)}", style="bold")
        line2.append(f" (unigram {fmt_num(st.unigram)})")
        if st.train_loss:
            line2.append(f" · train loss {st.train_loss[-1]:.3f} nats")
        if st.best_epoch:
            line2.append(f" · best epoch {st.best_epoch}")
    elif st.reason:
        line2.append(st.reason, style="red" if st.status in ("failed", "crashed") else "")
    elif st.run_dir:
        line2.append(Path(st.run_dir).name, style="dim")
    else:
        line2.append("loss: cross entropy (nats) · perplexity = exp(loss) · baseline: "
                     "unigram", style="dim")
    return Text("\n").join([line1, line2])


def fmt_num(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def fmt_secs(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    return f"{s // 60}:{s % 60:02d}"
