"""A finished run's Train and Hidden views as printable renderables, for ``seqlab export``.

Built from plain data read off a run directory (metrics rows, predictions rows, the summary and
a probe snapshot), so they import neither the engine nor Textual. A recording Rich console turns
them into SVG or HTML.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from rich.console import Group, RenderableType
from rich.text import Text

from seqlab.render.heatmap import Heatmap
from seqlab.render.lineplot import LinePlot, Series
from seqlab.render.strip import Strip
from seqlab.render.table import baseline_name, metrics_table

PLOT_HEIGHT = 12


def _f(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def metrics_rows(summary: Mapping[str, Any], keys: Sequence[str] = ("mae", "rmse", "mape")
                 ) -> dict[str, dict[str, float]]:
    """"model val", "persistence val", ... rows for :func:`metrics_table` from a summary."""
    rows: dict[str, dict[str, float]] = {}
    for split in ("val", "test"):
        model = summary.get(split) or {}
        if model:
            rows[f"model {split}"] = {k.upper(): _f(model.get(k)) for k in keys if k in model}
        for key, value in summary.items():
            if not isinstance(value, Mapping) or not key.endswith(f"_{split}"):
                continue
            if "baseline" not in key and "naive" not in key:
                continue
            stem = key[: -len(split) - 1]
            rows[f"{baseline_name(stem)} {split}"] = {k.upper(): _f(value.get(k)) for k in keys if k in value}
    return rows


def train_report(title: str, metrics: Sequence[Mapping[str, Any]],
                 summary: Mapping[str, Any],
                 predictions: Sequence[Mapping[str, Any]] = (), *,
                 width: int = 100) -> RenderableType:
    """Loss curves, the metrics table beside the baselines, and predicted vs actual."""
    parts: list[RenderableType] = [Text(title, style="bold")]
    status = summary.get("status")
    if status:
        parts.append(Text(f"{status}: {summary.get('reason', '')}", style="dim"))
    epochs = np.array([_f(m.get("epoch")) for m in metrics])
    train = np.array([_f(m.get("train_loss")) for m in metrics])
    val = np.array([_f(m.get("val_loss")) for m in metrics])
    parts.append(LinePlot([Series("train loss", train, x=epochs, style="cyan"),
                           Series("val loss", val, x=epochs, style="magenta")],
                          width=width, height=PLOT_HEIGHT, log_y=True,
                          title="loss per epoch (log scale, model units)",
                          empty_message="no epochs recorded"))
    rows = metrics_rows(summary)
    if rows:
        table = metrics_table(rows, title="metrics in original units (lower is better)")
        parts.append(table)
    elif summary.get("val_perplexity") is not None:
        parts.append(Text(f"val perplexity {_f(summary.get('val_perplexity')):.4g} · unigram "
                          f"baseline {_f(summary.get('unigram_perplexity')):.4g}"))
    for split in ("test", "val"):
        picked = [p for p in predictions if p.get("split") == split and
                  str(p.get("step", "1")) == "1"]
        if not picked:
            continue
        x = np.arange(len(picked), dtype=float)
        labels = [str(p.get("label", "")) for p in picked]
        series = [Series("persistence", [_f(p.get("baseline")) for p in picked], x=x,
                         style="grey50", dim=True),
                  Series("actual", [_f(p.get("actual")) for p in picked], x=x, style="white"),
                  Series("predicted", [_f(p.get("predicted")) for p in picked], x=x,
                         style="magenta")]
        parts.append(LinePlot(series, width=width, height=PLOT_HEIGHT, x_labels=labels,
                              title=f"{split}: actual vs predicted (original units)"))
        break
    return Group(*parts)


def hidden_report(title: str, states: Mapping[str, np.ndarray],
                  grads: Mapping[str, np.ndarray], labels: Sequence[str], *,
                  input_grad: np.ndarray | None = None, epoch: int | None = None,
                  sample: int | None = None) -> RenderableType:
    """Every layer's hidden state (and cell state / forget gate for an LSTM) as heatmaps, with
    the gradient reaching each timestep and how much the forecast depends on each input."""
    parts: list[RenderableType] = [Text(title, style="bold")]
    where = []
    if sample is not None:
        where.append(f"validation sample {sample}")
    if epoch is not None:
        where.append(f"weights of epoch {epoch}")
    if where:
        parts.append(Text(" · ".join(where), style="dim"))
    layers = sorted({int(k.split("/")[1]) for k in states if k.count("/") == 2})
    for layer in layers:
        for kind, scale, what in (("h", "diverging", "hidden state h_t"),
                                  ("c", "diverging", "cell state c_t"),
                                  ("f", "sequential", "forget gate f_t"),
                                  ("z", "sequential", "update gate z_t")):
            for direction in ("fwd", "bwd"):
                key = f"{kind}/{layer}/{direction}"
                if key not in states:
                    continue
                suffix = "" if direction == "fwd" else " (backward direction)"
                parts.append(Heatmap(states[key], labels, scale=scale, max_label_width=10,
                                     title=f"{what}, layer {layer}{suffix} "
                                           "(rows: timesteps, columns: units)"))
        grad = grads.get(f"{layer}/fwd")
        if grad is not None:
            parts.append(Strip(grad, labels, log=True, rows=2,
                               title=f"‖∂loss/∂h_t‖ per timestep, layer {layer} (log scale)"))
    if input_grad is not None:
        parts.append(Strip(input_grad, labels, log=True, rows=2,
                           title="‖∂ŷ/∂x_t‖: how much the forecast depends on each input step"))
    return Group(*parts)
