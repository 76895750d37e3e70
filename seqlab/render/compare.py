"""Comparing runs: validation curves overlaid with one marker glyph per run, and a
configuration diff that shows only what differs.

The overlay draws every run with its own glyph (``●▲■◆+×``) as well as its own colour, so the
legend reads at 256 colours, at 16, and with no colour at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from seqlab.render._text import fit_cells, fmt_compact

GLYPHS = ("●", "▲", "■", "◆", "+", "×")
# ANSI colours that stay apart in 16 and 256 colours (and on light or dark backgrounds)
COLOURS = ("magenta", "cyan", "yellow", "green", "red", "blue")
LETTERS = "ABCDEF"
AXIS = Style(dim=True)
TITLE = Style(bold=True)


@dataclass
class Curve:
    """One run's validation loss per epoch."""

    name: str
    epochs: np.ndarray | Sequence[float]
    values: np.ndarray | Sequence[float]


def marker(i: int) -> tuple[str, str]:
    """(glyph, colour) of the i-th pinned run."""
    return GLYPHS[i % len(GLYPHS)], COLOURS[i % len(COLOURS)]


class OverlayPlot:
    """Several curves on one log-scale plot; each drawn with its own glyph and colour.

    Every column between a run's first and last epoch holds its glyph at the interpolated
    value, so each run reads as a line of its own glyph; where runs overlap the later one is
    drawn on top (the legend says which glyph is which).
    """

    def __init__(self, curves: Sequence[Curve], *, height: int = 8, log_y: bool = True,
                 title: str | None = "validation loss per epoch") -> None:
        self.curves = list(curves)
        self.height = max(3, height)
        self.log_y = log_y
        self.title = title

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(20, options.max_width)

    def _points(self, c: Curve) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(c.epochs, dtype=np.float64).ravel()
        y = np.asarray(c.values, dtype=np.float64).ravel()
        n = min(x.size, y.size)
        x, y = x[:n], y[:n]
        keep = np.isfinite(x) & np.isfinite(y) & ((y > 0) if self.log_y else True)
        x, y = x[keep], y[keep]
        return x, (np.log10(y) if self.log_y else y)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        pts = [self._points(c) for c in self.curves]
        if self.title:
            yield Segment(fit_cells(self.title + (" (log scale)" if self.log_y else ""), width),
                          TITLE)
            yield Segment.line()
        have = [p for p in pts if p[0].size]
        if not have:
            yield Segment(fit_cells("no epochs yet", width), AXIS)
            yield Segment.line()
            return
        x_lo = min(float(p[0].min()) for p in have)
        x_hi = max(float(p[0].max()) for p in have)
        y_lo = min(float(p[1].min()) for p in have)
        y_hi = max(float(p[1].max()) for p in have)
        if y_hi - y_lo < 1e-12:
            y_lo, y_hi = y_lo - 0.5, y_hi + 0.5
        ticks = [y_hi - (y_hi - y_lo) * r / (self.height - 1) for r in range(self.height)]
        labels = [fmt_compact(10**t if self.log_y else t) for t in ticks]
        label_w = max(cell_len(s) for s in labels)
        plot_w = max(4, width - label_w - 1)
        grid: list[list[tuple[str, Style] | None]] = [[None] * plot_w for _ in range(self.height)]
        span = max(x_hi - x_lo, 1e-12)
        for i, (x, y) in enumerate(pts):
            if not x.size:
                continue
            glyph, colour = marker(i)
            style = Style(color=colour, bold=True)
            c0 = int(round((x.min() - x_lo) / span * (plot_w - 1)))
            c1 = int(round((x.max() - x_lo) / span * (plot_w - 1)))
            cols = np.arange(c0, c1 + 1)
            xs = x_lo + cols / max(plot_w - 1, 1) * span
            ys = np.interp(xs, x, y) if x.size > 1 else np.full(cols.shape, y[0])
            rows = np.rint((y_hi - ys) / (y_hi - y_lo) * (self.height - 1)).astype(int)
            for col, row in zip(cols, np.clip(rows, 0, self.height - 1), strict=True):
                grid[row][col] = (glyph, style)
        for r in range(self.height):
            show = r in (0, self.height - 1) or r == (self.height - 1) // 2
            yield Segment(fit_cells(labels[r] if show else "", label_w, "right"), AXIS)
            yield Segment("┤" if show else "│", AXIS)
            for cell in grid[r]:
                yield Segment(" ") if cell is None else Segment(cell[0], cell[1])
            yield Segment.line()
        left, right = f"epoch {fmt_compact(x_lo)}", fmt_compact(x_hi)
        yield Segment(" " * (label_w + 1) + fit_cells(left, plot_w - cell_len(right)) + right,
                      AXIS)
        yield Segment.line()
        # the legend: glyph + colour + name, wrapped to the width
        line_w = 0
        for i, c in enumerate(self.curves):
            glyph, colour = marker(i)
            item = f"{glyph} {c.name}"
            w = cell_len(item) + 2
            if line_w and line_w + w > width:
                yield Segment.line()
                line_w = 0
            yield Segment(glyph, Style(color=colour, bold=True))
            yield Segment(fit_cells(" " + c.name, w - 1))
            line_w += w
        yield Segment.line()


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"model.cell": "lstm", "train.lr": 0.003, ...} from a nested config dict."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def config_diff(configs: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Only the settings whose values differ between the configs (missing = None)."""
    flat = [flatten(c) for c in configs]
    keys: list[str] = []
    for f in flat:
        keys.extend(k for k in f if k not in keys)
    out = {}
    for k in keys:
        values = [f.get(k) for f in flat]
        if any(v != values[0] for v in values[1:]):
            out[k] = values
    return out


def _show(value: Any, key: str) -> str:
    if value is None:
        return "—"
    if key.endswith("sha256") and isinstance(value, str):
        return value[:8]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ",".join(_show(v, "") for v in value)
    return str(value)


def diff_table(names: Sequence[str], configs: Sequence[Mapping[str, Any]],
               title: str | None = "configuration: only what differs") -> Table | Text:
    """A table of the differing settings, one column per run; a line when nothing differs."""
    diff = config_diff(configs)
    if not diff:
        return Text("configuration: the runs' settings are identical", style="dim")
    table = Table(title=title, title_justify="left", box=None, pad_edge=False,
                  header_style="bold", padding=(0, 1), collapse_padding=True)
    table.add_column("setting", no_wrap=True, style="dim")
    for i, name in enumerate(names):
        glyph, colour = marker(i)
        table.add_column(Text.assemble((glyph, Style(color=colour, bold=True)), f" {name}"),
                         no_wrap=True, overflow="ellipsis", max_width=22)
    for key, values in diff.items():
        table.add_row(Text(key), *[Text(_show(v, key)) for v in values])
    return table


def loss_curve(metrics: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, val losses) from a run's metrics rows."""
    ep = np.array([float(m.get("epoch", math.nan)) for m in metrics], dtype=np.float64)
    val = np.array([_f(m.get("val_loss")) for m in metrics], dtype=np.float64)
    return ep, val


def _f(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan
