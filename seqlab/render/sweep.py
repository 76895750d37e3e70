"""The results table of a sweep: one row per trial, best validation loss first, baselines below.

Takes the plain dicts a sweep reports (``seqlab sweep --json`` prints the same objects), so it
imports neither the engine nor Optuna.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rich.style import Style
from rich.table import Table
from rich.text import Text

from seqlab.render._text import fmt_compact, fmt_sig
from seqlab.render.gradients import ratio_text
from seqlab.render.table import baseline_name

MODEL_KEYS = ("model", "layers", "hidden", "bidirectional")
STATE_STYLE = {"complete": "", "pruned": "yellow", "failed": "red", "running": "cyan",
               "waiting": "dim", "interrupted": "red"}
BETTER = Style(color="green", bold=True)


def _num(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v


def baseline_rows(trial: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """{"persistence": {"val": {...}, "test": {...}}, "seasonal naive": {...}} of one trial."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for key, value in trial.items():
        if not isinstance(value, Mapping) or not ("baseline" in key or "naive" in key):
            continue
        stem, _, split = key.rpartition("_")
        if split not in ("val", "test"):
            continue
        out.setdefault(baseline_name(stem), {})[split] = dict(value)
    return out


def sweep_table(trials: Sequence[Mapping[str, Any]], *, title: str | None = None,
                metric: str = "mae", colour: bool = True) -> Table:
    """Trials (``TrialRow.to_json()`` dicts, in the order given) with their params, epochs,
    seconds, validation loss and val/test ``metric`` in original units, then the baselines
    of the first trial that has them on the same columns. A model cell that beats every
    baseline on its split is bold green.

    It fits 80 columns: the metric headers take two lines (so a column is as wide as its
    numbers), and when the varied settings make it wider still, the model and setting cells
    wrap at their spaces while the numbers and the state stay whole."""
    varied: list[str] = []
    for t in trials:
        for k in t.get("params") or {}:
            if k not in MODEL_KEYS and k not in varied:
                varied.append(k)
    extra_metric = "mase" if any("mase" in (t.get("test") or {}) for t in trials) else None
    base_src = next((t for t in trials if baseline_rows(t)), {})
    bases = baseline_rows(base_src)

    table = Table(title=title, title_justify="left", box=None, pad_edge=False, expand=False,
                  header_style="bold", padding=(0, 1), collapse_padding=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("model")
    for k in varied:
        table.add_column(k, justify="right")
    table.add_column("params", justify="right", no_wrap=True)
    table.add_column("ep", justify="right", no_wrap=True)
    table.add_column("s", justify="right", no_wrap=True)
    table.add_column("val\nloss", justify="right", no_wrap=True)
    label = metric.upper()
    table.add_column(f"val\n{label}", justify="right", no_wrap=True)
    table.add_column(f"test\n{label}", justify="right", no_wrap=True)
    if extra_metric:
        table.add_column("test\nMASE", justify="right", no_wrap=True)
    grads = any(isinstance(t.get("gradients"), Mapping) for t in trials)
    if grads:
        table.add_column("∂h\nT/1", justify="right", no_wrap=True)
    table.add_column("state", no_wrap=True)

    def beats(split: str, value: float, which: str = metric) -> bool:
        refs = [_num(b.get(split, {}).get(which)) for b in bases.values()]
        refs = [r for r in refs if math.isfinite(r)]
        return bool(refs) and math.isfinite(value) and all(value < r for r in refs)

    for t in trials:
        params = t.get("params") or {}
        val, test = t.get("val") or {}, t.get("test") or {}
        v_m, t_m = _num(val.get(metric)), _num(test.get(metric))
        cells = [Text(str(t.get("trial", ""))), Text(str(t.get("model") or "—"))]
        for k in varied:
            v = params.get(k)
            cells.append(Text(fmt_sig(v, 3) if isinstance(v, float) else str(v) if v is not None
                              else "—"))
        cells += [
            Text(fmt_compact(_num(t.get("n_params"))) if t.get("n_params") is not None else "—"),
            Text(str(t.get("epochs")) if t.get("epochs") is not None else "—"),
            Text(f"{_num(t.get('seconds')):.1f}" if t.get("seconds") is not None else "—"),
            Text(fmt_sig(_num(t.get("val_loss")), 3)),
            Text(fmt_sig(v_m, 4), style=BETTER if beats("val", v_m) else ""),
            Text(fmt_sig(t_m, 4), style=BETTER if beats("test", t_m) else ""),
        ]
        if extra_metric:
            mase = _num(test.get("mase"))
            cells.append(Text(fmt_sig(mase, 3), style=BETTER if beats("test", mase, "mase")
                              else ""))
        if grads:
            g = t.get("gradients") or {}
            cells.append(Text(ratio_text(_num(g.get("loss_ratio")))))
        state = str(t.get("state", ""))
        cells.append(Text(state, style=STATE_STYLE.get(state, "")))
        table.add_row(*cells)
    if bases:
        table.add_section()
        for name, splits in bases.items():
            cells = [Text(""), Text(name, style="italic")] + [Text("") for _ in varied]
            cells += [Text(""), Text(""), Text(""), Text("")]
            cells += [Text(fmt_sig(_num(splits.get("val", {}).get(metric)), 4), style="italic"),
                      Text(fmt_sig(_num(splits.get("test", {}).get(metric)), 4), style="italic")]
            if extra_metric:
                cells.append(Text(fmt_sig(_num(splits.get("test", {}).get("mase")), 3),
                                  style="italic"))
            if grads:
                cells.append(Text(""))
            cells.append(Text("baseline", style="dim"))
            table.add_row(*cells)
    table.caption = (f"sorted by validation loss; {label} in original units"
                     + ("; bold green: beats every baseline" if colour else "")
                     + ("; ∂h T/1: ‖∂loss/∂h_t‖ at the last over the first timestep"
                        if grads else ""))
    table.caption_justify = "left"
    table.caption_style = "dim"
    return table
