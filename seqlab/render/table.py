"""Metrics table: model vs baselines per split, better value highlighted."""

from __future__ import annotations

import math
from collections.abc import Mapping

from rich.style import Style
from rich.table import Table
from rich.text import Text

from seqlab.render._text import fmt_sig

BETTER = Style(color="green", bold=True)
HIGHER_IS_BETTER = ("acc", "r2", "accuracy", "top5", "top1")
MODEL_PREFIX = "model"
# run summaries name the seasonal-naive baseline ``snaive_val`` / ``snaive_test``; every table
# a user reads spells it out
BASELINE_NAMES = {"snaive": "seasonal naive"}


def baseline_name(stem: str) -> str:
    """The name a user reads for a summary key's stem: ``baseline`` -> "persistence",
    ``snaive`` -> "seasonal naive"."""
    name = stem.replace("baseline", "").replace("_", " ").strip() or "persistence"
    return BASELINE_NAMES.get(name, name)


def _split_of(name: str) -> tuple[str, str]:
    """('model', 'val') from 'model val'; the last word is the split."""
    parts = name.split()
    if len(parts) < 2:
        return name, ""
    return " ".join(parts[:-1]), parts[-1]


def _number(value: object) -> float:
    """A cell's value as a float; None (NaN / inf after JSON), text or junk become NaN."""
    if isinstance(value, bool) or value is None:
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _better(metric: str, a: float, b: float) -> int:
    """-1 if a is better, 1 if b is better, 0 on a tie or missing value."""
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        return 0
    higher = metric.lower() in HIGHER_IS_BETTER
    a_wins = a > b if higher else a < b
    return -1 if a_wins else 1


def metrics_table(
    rows: Mapping[str, Mapping[str, float]],
    title: str | None = None,
    *,
    digits: int = 4,
    model_prefix: str = MODEL_PREFIX,
    grouped: bool = False,
) -> Table:
    """A Rich table, one row per entry (e.g. "model val", "persistence val"), one column per
    metric (in first-seen order). NaN/missing show as '—'. For each split (the last word of the
    row name) a model cell that beats every baseline, and a baseline cell that beats every
    model, is bold green, per metric (lower is better except accuracy-like metrics).

    ``grouped`` groups the rows under a line naming their split and drops the split from each
    row's name ("seasonal naive" under "test"), so full names fit a narrow panel."""
    metrics: list[str] = []
    for values in rows.values():
        for key in values:
            if key not in metrics:
                metrics.append(key)
    highlight: set[tuple[str, str]] = set()
    by_split: dict[str, list[str]] = {}
    for name in rows:
        by_split.setdefault(_split_of(name)[1], []).append(name)
    # A cell is better when it beats every row of the other side that has a value: a model
    # that beats persistence but loses to seasonal naive is not marked better, and a baseline
    # is marked only where it beats every model row.
    for names in by_split.values():
        models = [n for n in names if _split_of(n)[0].lower() == model_prefix]
        others = [n for n in names if n not in models]
        for m in metrics:
            for row in names:
                value = _number(rows[row].get(m))
                rivals = [v for v in (_number(rows[x].get(m))
                                      for x in (others if row in models else models))
                          if math.isfinite(v)]
                if rivals and all(_better(m, value, v) < 0 for v in rivals):
                    highlight.add((row, m))

    # grouped tables are for narrow panels: one space between the numbers, two after the names
    table = Table(title=title, title_justify="left", box=None, pad_edge=False, expand=False,
                  padding=(0, 0, 0, 1) if grouped else (0, 1))
    gap = " " if grouped else ""
    first = next(iter(by_split), "")
    # grouped: the first split heads the name column, the others get a line of their own
    table.add_column(first + gap if grouped else "", style="" if grouped else "bold",
                     no_wrap=True)
    for m in metrics:
        table.add_column(m, justify="right", no_wrap=True)
    shown = ""
    for name, values in rows.items():
        label, split = _split_of(name)
        if grouped and split != shown:
            if shown or split != first:
                table.add_row(Text(split + gap, style="bold"), *([""] * len(metrics)))
            shown = split
        cells: list[Text] = []
        for m in metrics:
            text = fmt_sig(_number(values.get(m)), digits)
            style = BETTER if (name, m) in highlight else (Style(dim=True) if text == "—" else "")
            cells.append(Text(text, style=style))
        table.add_row(Text((label if grouped and split else name) + gap), *cells)
    if highlight:
        table.caption = "bold green: better of model vs baseline"
        table.caption_justify = "left"
        table.caption_style = "dim"
    return table


def _pct(value: object) -> str:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    return f"{v:.0%}" if math.isfinite(v) else "—"


def backtest_table(result: Mapping[str, object], digits: int = 4) -> Table:
    """Per-fold and mean test metrics of a rolling-origin backtest: the model's MAE and MASE
    beside persistence and seasonal naive, and the intervals' test coverage."""
    # two-line headers and one space between columns: ten columns fit 72 cells (80x24 modal)
    t = Table(title="backtest: test metrics per fold (original units, lower is better)",
              title_justify="left", box=None, pad_edge=False, padding=(0, 1, 0, 0))
    # "seasonal naive" takes a third header line so the table fits the 72-cell modal at 80x24
    for col in ("fold", "test\nfrom", "MAE\nmodel", "MAE\npersist", "MAE\nseasonal\nnaive",
                "MASE\nmodel", "MASE\npersist", "MASE\nseasonal\nnaive", "cov\n80%", "cov\n95%"):
        t.add_column(col, justify="left" if col in ("fold", "test\nfrom") else "right",
                     no_wrap=True)

    def cells(name: str, frm: str, r: Mapping[str, object]) -> list[Text]:
        m, p, sn = (dict(r.get(k) or {}) for k in ("model", "persistence",  # type: ignore[call-overload]
                                                   "seasonal_naive"))
        cov = dict(r.get("coverage") or {})  # type: ignore[call-overload]
        values = [m.get("mae"), p.get("mae"), sn.get("mae"), m.get("mase"), p.get("mase"),
                  sn.get("mase")]
        out = [Text(name), Text(frm)]
        for i, v in enumerate(values):
            cell = Text(fmt_sig(v, digits))  # type: ignore[arg-type]
            others = values[1:3] if i == 0 else (values[4:6] if i == 3 else [])
            finite = [float(o) for o in others if o is not None and math.isfinite(float(o))]
            if finite and v is not None and float(v) < min(finite):  # type: ignore[arg-type]
                cell.stylize(BETTER)
            out.append(cell)
        out += [Text(_pct(cov.get("80"))), Text(_pct(cov.get("95")))]
        return out

    folds = list(result.get("folds") or [])  # type: ignore[call-overload]
    for r in folds:
        t.add_row(*cells(str(r["fold"]), str(r.get("test_from", "")), r))
    if folds:
        t.add_row(*cells("mean", "", dict(result.get("mean") or {})),  # type: ignore[call-overload]
                  style="bold")
    return t
