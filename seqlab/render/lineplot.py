"""Braille line plot (2x4 dots per cell) of one or more series, drawn with numpy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from seqlab.render._text import fit_cells, fmt_compact

AXIS = Style(dim=True)
TITLE = Style(bold=True)
VLINE = Style(dim=True)
BRAILLE_BASE = 0x2800
_BRAILLE = np.array([chr(BRAILLE_BASE + i) for i in range(256)])
# Dot bit for (row 0..3, column 0..1) inside a braille cell.
_DOT_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint16)


@dataclass
class Series:
    """One line: ``y`` values (NaN/inf skipped), optional ``x`` (default 0..n-1)."""

    name: str
    y: np.ndarray | Sequence[float]
    x: np.ndarray | Sequence[float] | None = None
    style: str = "cyan"
    dim: bool = False
    _rich_style: Style | None = field(default=None, init=False, repr=False)

    @property
    def rich_style(self) -> Style:
        if self._rich_style is None:
            style = Style.parse(self.style) if self.style else Style()
            self._rich_style = style + Style(dim=True) if self.dim else style
        return self._rich_style

    def points(self, log_y: bool) -> tuple[np.ndarray, np.ndarray]:
        """Finite (x, y) points, with y as log10 when ``log_y`` (non-positive dropped)."""
        y = np.asarray(self.y, dtype=np.float64).ravel()
        x = (
            np.arange(y.size, dtype=np.float64)
            if self.x is None
            else (np.asarray(self.x, dtype=np.float64).ravel())
        )
        n = min(x.size, y.size)
        x, y = x[:n], y[:n]
        keep = np.isfinite(x) & np.isfinite(y)
        if log_y:
            keep &= y > 0
        x, y = x[keep], y[keep]
        if log_y:
            y = np.log10(y)
        return x, y


def thin(x: np.ndarray, y: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep the min and max of each of ``buckets`` index buckets, in order (spikes survive)."""
    n = y.size
    if buckets <= 0 or n <= 2 * buckets:
        return x, y
    size = math.ceil(n / buckets)
    nb = math.ceil(n / size)
    padded = np.concatenate([y, np.full(nb * size - n, y[-1])]).reshape(nb, size)
    base = np.arange(nb) * size
    keep = np.concatenate([base + padded.argmin(axis=1), base + padded.argmax(axis=1)])
    keep = np.unique(np.minimum(keep, n - 1))
    keep = np.union1d(keep, [0, n - 1])
    return x[keep], y[keep]


def nice_ticks(lo: float, hi: float, max_ticks: int = 5) -> np.ndarray:
    """Round-numbered ticks (1, 2, 2.5, 5 x 10^k steps) inside [lo, hi], 3..max_ticks of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return np.array([lo])
    best = None
    for count in range(max_ticks, 1, -1):
        raw = (hi - lo) / count
        mag = 10 ** math.floor(math.log10(raw))
        for m in (1, 2, 2.5, 5, 10):
            step = m * mag
            start = math.ceil(lo / step - 1e-9) * step
            ticks = np.arange(start, hi + step * 1e-9, step)
            ticks = np.where(np.abs(ticks) < step * 1e-9, 0.0, ticks)  # not -2.2e-16
            if 3 <= ticks.size <= max_ticks:
                return ticks
            if best is None and ticks.size >= 2:
                best = ticks
    return best if best is not None else np.array([lo, hi])


def log_ticks(lo: float, hi: float, max_ticks: int = 5) -> np.ndarray:
    """Ticks in log10 space at 10^k (or 1, 2, 5 x 10^k when the range is narrow)."""
    decades = np.arange(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1, dtype=float)
    if decades.size > max_ticks:
        stride = math.ceil(decades.size / max_ticks)
        decades = decades[::stride]
    if decades.size >= 2:
        return decades
    cands = []
    for k in range(math.floor(lo) - 1, math.ceil(hi) + 1):
        for m in (1, 2, 5):
            v = k + math.log10(m)
            if lo - 1e-9 <= v <= hi + 1e-9:
                cands.append(v)
    if len(cands) >= 2:
        arr = np.array(cands)
        if arr.size > max_ticks:
            arr = arr[:: math.ceil(arr.size / max_ticks)]
        return arr
    # Very narrow range: plain nice ticks on the values, mapped to log space.
    lin = nice_ticks(10**lo, 10**hi, max_ticks)
    lin = lin[lin > 0]
    return np.log10(lin) if lin.size else np.array([lo])


class LinePlot:
    """Several series as braille lines, y ticks on the left, x labels, vlines and a legend.

    ``width``/``height`` default to the console's (height 12 when unknown). ``vlines`` are
    ``(x, label)`` pairs (e.g. train/val split boundaries) in the same x units as the series.
    Later series are drawn on top; draw faint ones first with ``dim=True``.
    """

    def __init__(
        self,
        series: Sequence[Series],
        *,
        width: int | None = None,
        height: int | None = None,
        log_y: bool = False,
        x_labels: Sequence[str] | None = None,
        vlines: Sequence[tuple[float, str]] = (),
        title: str | None = None,
        y_min: float | None = None,
        y_max: float | None = None,
        legend: bool = True,
        show_last: bool = True,
        empty_message: str = "no data yet",
        x_integer: bool = False,
        x_name: str = "",
    ) -> None:
        self.series = list(series)
        self.width = width
        self.height = height
        self.log_y = log_y
        self.x_labels = list(x_labels) if x_labels is not None else None
        self.vlines = list(vlines)
        self.title = title
        self.y_min = y_min
        self.y_max = y_max
        self.legend = legend
        self.show_last = show_last
        self.empty_message = empty_message
        self.x_integer = x_integer  # whole-number x labels (epochs), even for fractional x
        self.x_name = x_name  # what x is (e.g. "epoch"), after the last label when it fits

    # -- helpers ------------------------------------------------------------------------------
    def _last_value(self, s: Series) -> float | None:
        y = np.asarray(s.y, dtype=np.float64).ravel()
        finite = y[np.isfinite(y)]
        return float(finite[-1]) if finite.size else None

    def _legend_line(self, width: int) -> list[Segment]:
        """Each series' mark, name and last value; shortened whole items first (faint series'
        values, then marks, then all values) rather than cutting a number in half."""
        for variant in range(4):
            segs: list[Segment] = []
            for i, s in enumerate(self.series):
                if i:
                    segs.append(Segment("  " if variant < 2 else " "))
                mark = ("━━" if not s.dim else "┄┄") if variant < 2 else ("━" if not s.dim else "┄")
                segs.append(Segment(mark, s.rich_style))
                text = f" {s.name}" if variant < 3 else s.name
                last = self._last_value(s) if self.show_last else None
                if last is not None and not (variant >= 1 and s.dim) and variant < 3:
                    text += f" {fmt_compact(last)}"
                segs.append(Segment(text))
            if sum(seg.cell_length for seg in segs) <= width:
                break
        return Segment.adjust_line_length(list(Segment.split_and_crop_lines(segs, width))[0], width)

    def _ranges(
        self, pts: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[float, float, float, float] | None:
        xs = [p[0] for p in pts if p[0].size]
        ys = [p[1] for p in pts if p[1].size]
        if not xs:
            return None
        x0 = min(float(a.min()) for a in xs)
        x1 = max(float(a.max()) for a in xs)
        y0 = min(float(a.min()) for a in ys)
        y1 = max(float(a.max()) for a in ys)
        if self.y_min is not None:
            y0 = (
                math.log10(self.y_min)
                if self.log_y and self.y_min > 0
                else (y0 if self.log_y else float(self.y_min))
            )
        if self.y_max is not None:
            y1 = (
                math.log10(self.y_max)
                if self.log_y and self.y_max > 0
                else (y1 if self.log_y else float(self.y_max))
            )
        if x1 <= x0:
            x0, x1 = x0 - 0.5, x1 + 0.5
        if y1 <= y0:
            pad = 0.5 if self.log_y else (abs(y0) * 0.1 or 1.0)
            y0, y1 = y0 - pad, y1 + pad
        return x0, x1, y0, y1

    def _x_label(self, x: float) -> str:
        if self.x_integer:
            return str(int(round(x)))
        if self.x_labels:
            i = int(round(x))
            if 0 <= i < len(self.x_labels):
                return str(self.x_labels[i])
            return ""
        return fmt_compact(x)

    # -- rendering ----------------------------------------------------------------------------
    def render_lines(self, max_width: int, height: int | None = None) -> list[list[Segment]]:
        width = max(8, min(self.width or max_width, max_width))
        total_h = self.height or height or 12
        total_h = max(3, total_h)
        lines: list[list[Segment]] = []
        if self.title and total_h >= 5:
            lines.append([Segment(fit_cells(self.title, width), TITLE)])
        show_legend = self.legend and bool(self.series) and total_h - len(lines) >= 4
        plot_h = max(1, total_h - len(lines) - 1 - (1 if show_legend else 0))

        pts = [s.points(self.log_y) for s in self.series]
        ranges = self._ranges(pts)
        if ranges is None:
            msg_row = plot_h // 2
            for r in range(plot_h):
                text = self.empty_message if r == msg_row else ""
                lines.append([Segment(fit_cells(text, width, "center"), AXIS)])
            lines.append([Segment(" " * width)])
        else:
            lines.extend(self._plot(pts, ranges, width, plot_h))
        if show_legend:
            lines.append(self._legend_line(width))
        return lines

    def _plot(
        self,
        pts: list[tuple[np.ndarray, np.ndarray]],
        ranges: tuple[float, float, float, float],
        width: int,
        plot_h: int,
    ) -> list[list[Segment]]:
        x0, x1, y0, y1 = ranges
        ph = plot_h * 4
        # y tick labels decide the left margin.
        max_ticks = max(2, min(5, plot_h // 2 + 1))
        ticks = log_ticks(y0, y1, max_ticks) if self.log_y else nice_ticks(y0, y1, max_ticks)
        tick_rows: dict[int, str] = {}
        tick_err: dict[int, float] = {}
        for t in ticks:
            pix = (y1 - t) / (y1 - y0) * (ph - 1)
            row = int(round(pix)) // 4  # the row a data point with this value is drawn in
            err = abs(pix - (4 * row + 1.5))
            if 0 <= row < plot_h and err < tick_err.get(row, math.inf):
                tick_rows[row] = fmt_compact(10**t if self.log_y else t)
                tick_err[row] = err
        label_w = max((cell_len(v) for v in tick_rows.values()), default=1)
        plot_w = max(2, width - label_w - 1)
        pw = plot_w * 2

        grid_bits = np.zeros((plot_h, plot_w), dtype=np.uint16)
        owner = np.full((plot_h, plot_w), -1, dtype=np.int16)
        for k, (x, y) in enumerate(pts):
            if not x.size:
                continue
            x, y = thin(x, y, pw)
            px = np.rint((x - x0) / (x1 - x0) * (pw - 1))
            py = np.rint((y1 - y) / (y1 - y0) * (ph - 1))
            pxs, pys = _rasterize(px, py)
            keep = (pxs >= 0) & (pxs < pw) & (pys >= 0) & (pys < ph)
            pxs, pys = pxs[keep], pys[keep]
            if not pxs.size:
                continue
            pixels = np.zeros((ph, pw), dtype=bool)
            pixels[pys, pxs] = True
            bits = np.einsum(
                "hrwc,rc->hw", pixels.reshape(plot_h, 4, plot_w, 2).astype(np.uint16), _DOT_BITS
            )
            grid_bits |= bits.astype(np.uint16)
            owner[bits > 0] = k

        vline_cols: dict[int, str] = {}
        for vx, vlabel in self.vlines:
            if x0 <= vx <= x1:
                col = int(round((vx - x0) / (x1 - x0) * (pw - 1))) // 2
                vline_cols[col] = vlabel
        # Each vline label goes on the first row (top, bottom, then the rest) where it hides no
        # data; on the top row otherwise.
        label_at: dict[tuple[int, int], str] = {}
        for col, vlabel in vline_cols.items():
            text = vlabel[: max(0, plot_w - col - 1)]
            if not text:
                continue
            span = slice(col + 1, col + 1 + len(text))
            order = [0, plot_h - 1, *range(1, plot_h - 1)]
            row = next((r for r in order if not grid_bits[r, span].any()), 0)
            label_at[(row, col)] = text

        styles = [s.rich_style for s in self.series]
        chars = _BRAILLE[grid_bits]
        lines: list[list[Segment]] = []
        for r in range(plot_h):
            row_chars = chars[r].copy()
            row_owner = owner[r].copy()
            for col in vline_cols:
                if grid_bits[r, col] == 0:
                    row_chars[col] = "┊"
                    row_owner[col] = -2
                text = label_at.get((r, col))
                if text:
                    row_chars[col + 1 : col + 1 + len(text)] = list(text)
                    row_owner[col + 1 : col + 1 + len(text)] = -2
            row_chars[row_owner == -1] = " "
            tick = tick_rows.get(r)
            axis = "┤" if tick is not None else "│"
            line = [Segment(fit_cells(tick or "", label_w, "right") + axis, AXIS)]
            bounds = np.flatnonzero(np.diff(row_owner)) + 1
            starts = np.concatenate(([0], bounds)).tolist()
            ends = np.concatenate((bounds, [plot_w])).tolist()
            for s, e in zip(starts, ends, strict=True):
                o = int(row_owner[s])
                style = styles[o] if o >= 0 else (VLINE if o == -2 else None)
                line.append(Segment("".join(row_chars[s:e].tolist()), style))
            lines.append(line)
        lines.append(self._x_axis(label_w, plot_w, x0, x1))
        return lines

    def _x_axis(self, label_w: int, plot_w: int, x0: float, x1: float) -> list[Segment]:
        first, last = self._x_label(x0), self._x_label(x1)
        if self.x_name and cell_len(first) + cell_len(last) + cell_len(self.x_name) + 8 <= plot_w:
            last = f"{last} {self.x_name}"
        xm = (x0 + x1) / 2
        if (float(x0).is_integer() and float(x1).is_integer()) or self.x_integer:
            xm = float(math.floor(xm))
        mid = self._x_label(xm)
        text = fit_cells(first, plot_w)
        out = first
        right = last
        if cell_len(first) + cell_len(last) + 2 <= plot_w:
            gap = plot_w - cell_len(first) - cell_len(last)
            middle = ""
            if mid and cell_len(mid) + 4 <= gap and mid not in (first, last):
                left = (plot_w - cell_len(mid)) // 2 - cell_len(first)
                left = max(2, min(left, gap - cell_len(mid) - 2))
                middle = " " * left + mid
            text = out + middle
            text = text + " " * (plot_w - cell_len(text) - cell_len(right)) + right
        return [Segment(" " * label_w + "└", AXIS), Segment(fit_cells(text, plot_w), AXIS)]

    # -- rich protocol ------------------------------------------------------------------------
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.render_lines(options.max_width, options.height):
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = min(self.width or options.max_width, options.max_width)
        return Measurement(min(20, width), width)


def _rasterize(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pixels on the straight segments between consecutive points (vectorised)."""
    px = px.astype(np.int64)
    py = py.astype(np.int64)
    if px.size == 1:
        return px, py
    dx = np.diff(px)
    dy = np.diff(py)
    steps = np.maximum(np.abs(dx), np.abs(dy))
    counts = steps + 1
    seg = np.repeat(np.arange(dx.size), counts)
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    t = np.arange(seg.size) - np.repeat(offsets, counts)
    frac = t / np.maximum(steps[seg], 1)
    xs = np.rint(px[:-1][seg] + dx[seg] * frac).astype(np.int64)
    ys = np.rint(py[:-1][seg] + dy[seg] * frac).astype(np.int64)
    return xs, ys
