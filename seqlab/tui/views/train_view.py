"""Train view: status and progress, live loss curves, metrics vs the persistence baseline,
and predicted vs actual in original units."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from seqlab.tui.runstate import RunState
from seqlab.tui.views.lazy import LazyView, when_ready
from seqlab.tui.widgets.plots import PlotView, Series
from seqlab.wording import plural

if TYPE_CHECKING:
    import numpy as np
else:
    from seqlab.lazy import numpy as np

if TYPE_CHECKING:
    from seqlab.tui.session import Session

PRED_SPLITS = ("val", "test", "both")
STATUS_STYLE = {
    "running": "bold green", "starting": "yellow", "stopping": "yellow", "finished": "bold cyan",
    "stopped": "bold yellow", "diverged": "bold red", "failed": "bold red", "idle": "dim",
}


class TrainView(LazyView):
    def __init__(self, session: Session) -> None:
        super().__init__("3 Train", id="train")
        self.session = session  # read here; changes go through session.apply + a message up
        self.log_y = False
        self.pred_split = "val"
        self._drawn: tuple[Any, ...] | None = None  # what the plots and metrics show now

    def build(self) -> ComposeResult:
        yield Static("", id="train-status")
        with Horizontal(id="train-mid"):
            yield PlotView(id="loss-plot")
            yield Static("", id="train-metrics")
        yield PlotView(id="pred-plot")

    @property
    def visible(self) -> bool:
        return getattr(self.parent, "current", None) in ("train", None)

    @when_ready
    def show_steps(self, st: RunState) -> None:
        """A step event (~10/s): the status line and the loss curves only (when visible).
        The plots throttle themselves; throttling the status line too made key-to-frame
        latency worse in benchmarks/tui_latency.py, so it is not."""
        if not self.visible:
            return
        # fixed height (app.tcss): no layout pass for a new status line
        self.query_one("#train-status", Static).update(self._status(st), layout=False)
        self._loss_plot(st)
        self._drawn = None

    @when_ready
    def show(self, st: RunState, *, steps: bool = True, urgent: bool = False) -> None:
        """Redraw from the run state (skipped while the view is hidden; plots throttle, except
        when ``urgent``: the redraw answers a key)."""
        if not self.visible:
            return
        self.query_one("#train-status", Static).update(self._status(st), layout=False)
        drawn = (id(st), st.version, steps, self.log_y, self.pred_split, self.size)
        if drawn == self._drawn:
            return  # coming back to the view: the plots already show this state
        self._drawn = drawn
        if urgent:
            for plot in self.query(PlotView):
                plot.urgent()
        self.query_one("#train-metrics", Static).update(self._metrics(st))
        self._loss_plot(st, steps=steps)
        self.query_one("#pred-plot", PlotView).data = self._pred_plot(st)

    @when_ready
    def redraw_loss(self, st: RunState) -> None:
        """Only the loss curves, now (the log-scale key)."""
        self.query_one("#loss-plot", PlotView).urgent()
        self._loss_plot(st)
        self._drawn = None

    @when_ready
    def redraw_predictions(self, st: RunState) -> None:
        """Only predicted vs actual, now (the split key)."""
        plot = self.query_one("#pred-plot", PlotView)
        plot.urgent()
        plot.data = self._pred_plot(st)
        self._drawn = None

    def _loss_plot(self, st: RunState, *, steps: bool = True) -> None:
        ep = np.asarray(st.epochs, dtype=float)
        series = []
        if steps and st.step_loss:
            xs, ys = _thin(np.asarray(st.step_x), np.asarray(st.step_loss), 400)
            series.append(Series("step", xs, ys, "grey42"))
        series.append(Series("train", ep, np.asarray(st.train_loss), "cyan"))
        series.append(Series("val", ep, np.asarray(st.val_loss), "magenta"))
        self.query_one("#loss-plot", PlotView).data = {
            "series": series,
            "log_y": self.log_y,
            "title": "loss (model units)" + (" · log" if self.log_y else "") + " · l: log",
            "empty": "Loss curves appear here after the first epoch. ctrl+t starts training.",
            "x_integer": True,  # steps sit at fractional epochs; the axis counts whole ones
            "x_name": "epoch",
        }

    def _status(self, st: RunState) -> Text:
        cfg = self.session.cfg
        m = cfg.model
        model = f"{m.cell.upper()} {m.num_layers}×{m.hidden_size}{' bi' if m.bidirectional else ''}"
        t = Text()
        if st.status == "idle":
            name = Path(cfg.data.path).name if cfg.data.path else "no data"
            t.append("Ready", style="bold")
            t.append(f": ctrl+t trains {model} on {name} (up to {plural(cfg.train.epochs, 'epoch')}).")
            return t
        if st.replaying:
            t.append("● reading the run's log", style="yellow")
            t.append(f": {Path(st.run_dir).name}")
            return t
        t.append(f"● {st.status}", style=STATUS_STYLE.get(st.status, ""))
        total = st.epochs_total or cfg.train.epochs
        t.append(f"  epoch {st.epoch}/{total}")
        if st.active and st.steps_per_epoch:
            t.append(f" · step {st.step}/{st.steps_per_epoch}")
        if st.active and math.isfinite(st.eta_s):
            t.append(f" · ETA {_dur(st.eta_s)}")
        if st.samples_per_s and st.source == "live":
            t.append(f" · {st.samples_per_s:,.0f} samples/s")
            if st.gpu.any:  # CUDA runs only: the run's device memory (and NVML figures)
                t.append(f" · {st.gpu.describe()}")
        if st.best_epoch:
            t.append(f" · best {st.best_epoch}")
        # a losing model is said first: the run name and reason below may be cut at 80x24
        if not st.active and st.test_metrics:
            from seqlab.training.metrics import verdict

            warn = verdict({**(st.summary or {}), "test": st.test_metrics,
                            "baseline_test": st.baseline_test, "snaive_test": st.snaive_test},
                           lab=True, short=True)
            if warn:
                t.append("\n" + warn, style="bold yellow")
        if st.run_dir:
            t.append(f"\n{'viewing ' if st.source == 'disk' else ''}{Path(st.run_dir).name}",
                     style="dim")
        if st.reason and not st.active:
            t.append(f" · {st.reason}", style="dim")
        if st.active:
            frac = ((st.epoch - 1) + (st.step / st.steps_per_epoch if st.steps_per_epoch else 0))
            frac = max(0.0, min(1.0, frac / max(1, total)))
            width = 30
            full = int(frac * width)
            t.append("\n" + "━" * full, style="green")
            t.append("━" * (width - full), style="grey30")
            t.append(f" {frac:4.0%}")
        return t

    def _metrics(self, st: RunState) -> Any:
        from seqlab.render import metrics_table
        from seqlab.training.metrics import verdict

        keys = ("mae", "mase", "smape")
        rows: dict[str, dict[str, float]] = {}
        for name, values in (("model val", st.model_val),
                             ("persistence val", st.baseline_val),
                             ("seasonal naive val", st.snaive_val),
                             ("model test", st.test_metrics),
                             ("persistence test", st.baseline_test),
                             ("seasonal naive test", st.snaive_test)):
            vals = {k: values[k] for k in keys if k in values}
            if vals and (name.startswith("model") or f"model {name.split()[-1]}" in rows):
                rows[name] = vals
        if not rows:
            return Text("Metrics in original units appear\nhere beside the persistence\n"
                        "(next = last value) and seasonal\nnaive baselines.", style="dim")
        # split names head their rows: full baseline names fit the 35-cell panel
        table = metrics_table(rows, digits=3, grouped=True)
        table.caption = None
        parts: list[Any] = [Text("original units · bold green: better", style="dim"), table]
        summary = dict(st.summary or {})
        if st.test_metrics and not st.active:
            summary.update({"test": st.test_metrics, "baseline_test": st.baseline_test,
                            "snaive_test": st.snaive_test})
            warn = verdict(summary, lab=True)
            if warn:
                parts.append(Text("⚠ " + warn, style="bold yellow"))
            for key, iv in (summary.get("intervals") or {}).items():
                if not isinstance(iv, dict):
                    continue
                cov = iv.get("coverage_test")
                half = iv.get("halfwidth") or []
                if any(not isinstance(w, (int, float)) or not math.isfinite(w) for w in half):
                    parts.append(Text(f"{key}% interval: {iv.get('calibration_windows')} "
                                      "validation windows are too few to place it",
                                      style="dim"))
                elif isinstance(cov, (int, float)) and math.isfinite(cov):
                    parts.append(Text(f"{key}% interval: test coverage {cov:.0%}", style="dim"))
        return Group(*parts)

    def _pred_plot(self, st: RunState) -> dict[str, Any]:
        splits = ("val", "test") if self.pred_split == "both" else (self.pred_split,)
        labels: list[str] = []
        actual, pred, base = [], [], []
        lo: list[np.ndarray] = []
        hi: list[np.ndarray] = []
        vlines = []
        for sp in splits:
            p = st.predictions.get(sp)
            if p is None:
                continue
            if labels:
                vlines.append((float(len(labels)), sp))
            labels += p.labels
            actual.append(p.actual)
            pred.append(p.predicted)
            base.append(p.baseline)
            n = len(p.labels)
            lo.append(p.bands.get("lo95", np.full(n, np.nan)) if p.bands else np.full(n, np.nan))
            hi.append(p.bands.get("hi95", np.full(n, np.nan)) if p.bands else np.full(n, np.nan))
        empty = "Predicted vs actual (original units) appears after the first epoch. v: split"
        if not labels:
            return {"series": [], "empty": empty}
        x = np.arange(len(labels), dtype=float)
        keep = max(200, 2 * self.size.width * 2)  # about two points per braille column
        band: list[Series] = []
        low, high = np.concatenate(lo), np.concatenate(hi)
        if np.isfinite(low).any():  # split-conformal 95 % interval of the test forecasts
            band = [Series("95% lo", *_thin(x, low, keep), "blue"),
                    Series("95% hi", *_thin(x, high, keep), "blue")]
        return {
            "series": [
                *band,
                Series("baseline", *_thin(x, np.concatenate(base), keep), "grey50"),
                Series("actual", *_thin(x, np.concatenate(actual), keep), "white"),
                Series("predicted", *_thin(x, np.concatenate(pred), keep), "magenta"),
            ],
            "vlines": vlines,
            "x_labels": labels,
            "title": f"{'/'.join(splits)}: actual vs predicted · v: split",
            "empty": empty,
        }


def _thin(x: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    if len(x) <= n:
        return x, y
    idx = np.linspace(0, len(x) - 1, n).astype(int)
    return x[idx], y[idx]


def _num(v: Any) -> str:
    if v is None:
        return "–"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(f):
        return "–"
    return f"{f:.4g}"


def _dur(s: float) -> str:
    s = max(0, int(round(s)))
    return f"{s // 60}:{s % 60:02d}" if s < 3600 else f"{s // 3600}h{(s % 3600) // 60:02d}"
