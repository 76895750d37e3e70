"""The vanishing gradient, side by side: per-timestep gradient norms of several models on one
shared log scale, with the ratio between the last and the first timestep.

Each model is one :class:`GradientProfile` (``‖∂loss/∂h_t‖`` and, for a time series,
``‖∂ŷ/∂x_t‖``). Bars are block elements (``▁``…``█``), ``rows`` lines high, so the figure reads
the same without colour; all bars of one quantity share one log scale, so a bar twice as high
is many times larger whichever model it belongs to.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from seqlab.render._text import _clean_exp, fit_cells

BLOCKS = " ▁▂▃▄▅▆▇█"
DIM = Style(dim=True)
TITLE = Style(bold=True)
STYLES = {"loss": Style(color="magenta"), "input": Style(color="cyan")}


@dataclass
class GradientProfile:
    """One model's gradient norms per timestep (oldest first)."""

    name: str
    loss_grad: np.ndarray  # (T,) ||dloss/dh_t|| of the last layer
    input_grad: np.ndarray | None = None  # (T,) ||dy_hat/dx_t||

    @staticmethod
    def ratio(values: np.ndarray | None) -> float:
        """Last over first timestep; NaN when either is missing or zero."""
        if values is None or len(values) < 2:
            return math.nan
        first, last = float(values[0]), float(values[-1])
        if not (math.isfinite(first) and math.isfinite(last)) or first <= 0:
            return math.nan
        return last / first

    @property
    def loss_ratio(self) -> float:
        return self.ratio(self.loss_grad)

    @property
    def input_ratio(self) -> float:
        return self.ratio(self.input_grad)


def ratio_text(value: float) -> str:
    """A ratio of gradient norms: ``3.9e5``, ``412``, ``0.85``, ``—``."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0 or 1e-2 <= abs(value) < 1e3:
        return f"{value:.3g}"
    return _clean_exp(f"{value:.1e}")


def _power(exponent: float) -> str:
    """10**exponent as a short number: 4e-8, 0.4, 25."""
    return ratio_text(10.0**exponent)


def _levels(values: np.ndarray, lo: float, hi: float, steps: int) -> np.ndarray:
    """Bar height 0..steps of each value on the log scale [lo, hi] (0 when missing)."""
    v = np.asarray(values, dtype=np.float64)
    out = np.zeros(v.shape, dtype=int)
    ok = np.isfinite(v) & (v > 0)
    if not ok.any():
        return out
    span = max(hi - lo, 1e-12)
    frac = (np.log10(v[ok]) - lo) / span
    out[ok] = np.clip(np.round(frac * (steps - 1)) + 1, 1, steps).astype(int)
    return out


def _log_range(arrays: Sequence[np.ndarray]) -> tuple[float, float]:
    vals = [np.asarray(a, dtype=np.float64) for a in arrays if a is not None]
    good = np.concatenate([a[np.isfinite(a) & (a > 0)] for a in vals]) if vals else np.array([])
    if good.size == 0:
        return 0.0, 1.0
    lo, hi = float(np.log10(good.min())), float(np.log10(good.max()))
    return lo, hi if hi > lo else lo + 1.0


class GradientFigure:
    """``‖∂loss/∂h_t‖`` (and ``‖∂ŷ/∂x_t‖``) of several models, one shared log scale each."""

    def __init__(self, profiles: Sequence[GradientProfile], *, rows: int = 2,
                 title: str | None = "the gradient reaching each timestep") -> None:
        self.profiles = list(profiles)
        self.rows = max(1, rows)
        self.title = title

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        t = max((len(p.loss_grad) for p in self.profiles), default=1)
        name_w = max((cell_len(p.name) for p in self.profiles), default=4) + 1
        return Measurement(min(options.max_width, name_w + t + 12),
                           min(options.max_width, name_w + 3 * t + 12))

    def _block(self, key: str, label: str, console_width: int) -> list[list[Segment]]:
        arrays = [p.loss_grad if key == "loss" else p.input_grad for p in self.profiles]
        shown = [(p, a) for p, a in zip(self.profiles, arrays, strict=True) if a is not None]
        if not shown:
            return []
        lo, hi = _log_range([a for _, a in shown])
        t_len = max(len(a) for _, a in shown)
        name_w = max(cell_len(p.name) for p, _ in shown) + 1
        ratio_w = 10
        per = max(1, min(3, (console_width - name_w - ratio_w) // max(t_len, 1)))
        style = STYLES[key]
        steps = 8 * self.rows
        lines: list[list[Segment]] = []
        head = f"{label}  (log scale, {_power(lo)} … {_power(hi)})"
        lines.append([Segment(fit_cells(head, name_w + per * t_len), TITLE),
                      Segment(fit_cells("last/first", ratio_w, "right"), DIM)])
        for prof, values in shown:
            lv = _levels(values, lo, hi, steps)
            ratio = GradientProfile.ratio(values)
            for r in range(self.rows - 1, -1, -1):  # top line first
                bars = []
                for level in lv:
                    fill = int(np.clip(level - 8 * r, 0, 8))
                    bars.append(BLOCKS[fill] * per)
                name = fit_cells(prof.name if r == 0 else "", name_w)
                tail = (fit_cells(ratio_text(ratio), ratio_w, "right") if r == 0 else " " * ratio_w)
                lines.append([Segment(name), Segment("".join(bars), style), Segment(tail)])
        axis = fit_cells("t=1 (oldest)", per * t_len // 2) + fit_cells(
            f"t={t_len} (newest)", per * t_len - per * t_len // 2, "right")
        lines.append([Segment(" " * name_w), Segment(axis, DIM)])
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if self.title:
            yield Segment(fit_cells(self.title, width), TITLE)
            yield Segment.line()
        blocks = self._block("loss", "‖∂loss/∂h_t‖", width)
        inputs = self._block("input", "‖∂ŷ/∂x_t‖", width)
        for i, line in enumerate(blocks + ([[]] if blocks and inputs else []) + inputs):
            del i
            yield from line
            yield Segment.line()
