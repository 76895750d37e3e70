"""Heatmap of per-timestep hidden activity: one row per timestep, one column per hidden unit.

Every cell is one unit at one timestep, its background the value's colour. A map larger than the
space is shown through a window (scrolled by the caller, kept around the cursor) and a status line
says which timesteps and units are in view; nothing is subsampled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from seqlab.render._text import display_label, fit_cells, fmt_compact
from seqlab.render.palette import Palette, get_palette

DIM = Style(dim=True)
TITLE = Style(bold=True)
LABEL = Style()
CURSOR_LABEL = Style(reverse=True, bold=True)
CURSOR_CHAR = "◆"
CELL = " "
MAX_CELL_WIDTH = 3


def map_range(values: np.ndarray, scale: str) -> tuple[float, float]:
    """The colour range of one map, from its own values.

    Diverging: symmetric around 0, ±max|v| (so near-zero states still show colour);
    sequential: [min, max] widened to include [0, 1] (sigmoid gates are given 0–1 explicitly).
    """
    finite = values[np.isfinite(values)] if values.size else values
    if scale == "diverging":
        m = float(np.abs(finite).max()) if finite.size else 0.0
        m = m if m > 0 else 1.0
        return -m, m
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    hi = max(1.0, float(finite.max())) if finite.size else 1.0
    return lo, hi


class Legend:
    """Colour bar for a scale with min / 0 / max labels.

    Two lines (bar, labels) by default; ``compact=True`` gives one line ``min ▌▌▌ 0 ▌▌▌ max``
    (followed by ``note`` when given).
    """

    def __init__(
        self,
        scale: str = "diverging",
        vmin: float | None = None,
        vmax: float | None = None,
        *,
        width: int | None = None,
        compact: bool = False,
        note: str = "",
    ) -> None:
        self.palette = get_palette(scale)
        lo, hi = map_range(np.zeros(0), scale)
        self.vmin = lo if vmin is None else float(vmin)
        self.vmax = hi if vmax is None else float(vmax)
        self.width = width
        self.compact = compact
        self.note = note

    def _bar(self, cells: int, lo: float, hi: float, system: str | None) -> list[Segment]:
        """``cells`` cells of '▌' sampling the palette between value ``lo`` and ``hi``."""
        pal = get_palette(self.palette.scale, system)
        cells = max(1, cells)
        vals = np.linspace(lo, hi, 2 * cells)
        idx = pal.indices(vals, self.vmin, self.vmax)
        codes = pal.pair_code(idx[0::2], idx[1::2])
        return [Segment("▌", pal.pair_style(int(c))) for c in codes]

    def render_lines(
        self, max_width: int, color_system: str | None = "truecolor"
    ) -> list[list[Segment]]:
        """The legend as lines of segments (styles made for ``color_system``)."""
        lo_s, hi_s = fmt_compact(self.vmin), fmt_compact(self.vmax)
        if self.vmin < 0 < self.vmax and lo_s.startswith("-"):
            lo_s = "−" + lo_s[1:]
        if self.palette.scale == "diverging" and self.vmax > 0 > self.vmin:
            hi_s = "+" + hi_s
        has_zero = self.palette.scale == "diverging" and self.vmin < 0.0 < self.vmax
        if self.compact:
            note = f"  {self.note}" if self.note else ""
            fixed = cell_len(lo_s) + cell_len(hi_s) + (5 if has_zero else 2)
            bar = max(2, min(self.width or 24, max_width - fixed - cell_len(note)))
            if has_zero:
                half = max(1, bar // 2)
                segs = [Segment(lo_s + " ", DIM), *self._bar(half, self.vmin, 0.0, color_system)]
                segs += [Segment(" 0 ", DIM), *self._bar(half, 0.0, self.vmax, color_system)]
            else:
                segs = [
                    Segment(lo_s + " ", DIM),
                    *self._bar(bar, self.vmin, self.vmax, color_system),
                ]
            segs.append(Segment(" " + hi_s, DIM))
            if note:
                used = sum(s.cell_length for s in segs)
                segs.append(Segment(fit_cells(note, max(0, max_width - used)), DIM))
            return [segs]
        bar = max(4, min(self.width or 32, max_width))
        labels = [" "] * bar
        marks = [(0, lo_s, "left"), (bar - 1, hi_s, "right")]
        if has_zero:
            frac = 0.5  # the piecewise mapping puts 0 in the middle
            marks.insert(1, (int(round(frac * (bar - 1))), "0", "center"))
        for pos, text, align in marks:
            start = (
                pos
                if align == "left"
                else pos - len(text) + 1
                if align == "right"
                else (pos - len(text) // 2)
            )
            start = max(0, min(bar - len(text), start))
            labels[start : start + len(text)] = list(text)
        return [
            self._bar(bar, self.vmin, self.vmax, color_system),
            [Segment("".join(labels)[:bar], DIM)],
        ]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.render_lines(options.max_width, console.color_system):
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = sum(s.cell_length for s in self.render_lines(options.max_width)[0])
        return Measurement(min(width, 8), width)


class Viewport(NamedTuple):
    """The part of a (timesteps, units) map in view: rows [t0, t1), units [u0, u1)."""

    t0: int
    t1: int
    u0: int
    u1: int
    label_w: int
    cell_w: int
    lines: tuple[str, ...]  # optional lines drawn: title, axis, status(, status2), legend


def _scroll(first: int, size: int, total: int, keep: int | None) -> int:
    """The first index of a window of ``size`` over ``total`` that holds ``keep``."""
    if keep is not None:
        if keep < first:
            first = keep
        elif keep >= first + size:
            first = keep - size + 1
    return max(0, min(first, total - size))


class Heatmap:
    """Timesteps as rows (with their time labels or tokens), hidden units as columns, one unit
    per cell (1–3 characters wide). What does not fit is scrolled, never subsampled:
    ``offset`` = (first timestep, first unit) asked for; the window moves to keep ``cursor``
    in view, and a status line says ``t 13–24 of 24 · units 1–32 of 64`` (1-based).

    ``scale``: "diverging" (blue-white-red, 0 = white; by default ±max|value| of this map) or
    "sequential" (viridis-like; by default [0, 1] widened to the values).
    ``cursor``: (t, u) cell, drawn as a mark on the cell's own colour; the status line gives
    its timestep, unit and value. ``name``: what the map holds (e.g. "h"), used in the legend.
    """

    def __init__(
        self,
        values: np.ndarray | Sequence[Sequence[float]],
        row_labels: Sequence[str] | None = None,
        *,
        scale: str = "diverging",
        vmin: float | None = None,
        vmax: float | None = None,
        cursor: tuple[int, int] | None = None,
        offset: tuple[int, int] = (0, 0),
        title: str | None = None,
        name: str = "",
        max_label_width: int = 12,
        cell_width: int | None = None,
        legend: bool = True,
        ruler: bool = True,
        status: bool = True,
    ) -> None:
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(f"Heatmap values must be 2-D (timesteps, units), got {arr.shape}")
        self.values = arr
        self.palette = get_palette(scale)
        self.scale = scale
        lo, hi = map_range(arr, scale)
        self.vmin = lo if vmin is None else float(vmin)
        self.vmax = hi if vmax is None else float(vmax)
        self.own_range = vmin is None and vmax is None
        labels = [str(x) for x in (row_labels or [])][: arr.shape[0]]
        labels += [str(i + 1) for i in range(len(labels), arr.shape[0])]
        self.row_labels = [display_label(x) for x in labels]
        if cursor is not None:
            t, u = int(cursor[0]), int(cursor[1])
            cursor = (t, u) if 0 <= t < arr.shape[0] and 0 <= u < arr.shape[1] else None
        self.cursor = cursor
        self.offset = (max(0, int(offset[0])), max(0, int(offset[1])))
        self.title = title
        self.name = name
        self.max_label_width = max(1, max_label_width)
        self.cell_width = None if cell_width is None else max(1, int(cell_width))
        self.legend = legend
        self.ruler = ruler
        self.status = status
        self._index = self.palette.indices(arr, self.vmin, self.vmax)  # (T, U) palette indices

    # -- layout -----------------------------------------------------------------------------
    def _label_width(self, max_width: int) -> int:
        widest = max((cell_len(x) for x in self.row_labels), default=1)
        widest = max(widest, 6)  # room for the axis name "unit →"
        return max(1, min(widest, self.max_label_width, max(1, max_width // 3)))

    def viewport(self, max_width: int, height: int | None = None) -> Viewport:
        """Which timesteps and units fit in ``max_width`` × ``height`` (None: all rows)."""
        n_t, n_u = self.values.shape
        label_w = self._label_width(max_width)
        room = max(1, max_width - label_w - 1)
        cw = self.cell_width or max(1, min(MAX_CELL_WIDTH, room // max(1, n_u)))
        n_cols = max(1, min(n_u, room // cw))
        optional = [name for name, on in (("title", bool(self.title)), ("axis", self.ruler),
                                          ("status", self.status), ("legend", self.legend)) if on]
        if "status" in optional and self._status_lines(max_width) == 2:
            optional.insert(optional.index("status") + 1, "status2")
        n_rows = n_t
        if height is not None:
            for drop in ("title", "status2", "axis", "legend", "status", None):
                avail = height - len(optional)
                if avail >= min(n_t, 3) or drop is None:
                    n_rows = max(1, min(n_t, avail))
                    break
                if drop in optional:
                    optional.remove(drop)
        keep_t = self.cursor[0] if self.cursor else None
        keep_u = self.cursor[1] if self.cursor else None
        t0 = _scroll(self.offset[0], n_rows, n_t, keep_t)
        u0 = _scroll(self.offset[1], n_cols, n_u, keep_u)
        return Viewport(t0, min(n_t, t0 + n_rows), u0, min(n_u, u0 + n_cols), label_w, cw,
                        tuple(optional))

    def _status_lines(self, width: int) -> int:
        """2 when the widest 'where' text and the cursor caption do not share one line."""
        if self.cursor is None:
            return 1
        n_t, n_u = self.values.shape
        label = max((cell_len(x) for x in self.row_labels), default=1)
        name = f"{self.name} " if self.name else ""
        # the widest it can be wherever the cursor goes, so rows do not jump as it moves
        widest = cell_len(f"t {n_t}–{n_t} of {n_t} · units {n_u}–{n_u} of {n_u}  ")
        caption = cell_len(f"{CURSOR_CHAR} t {n_t} · unit {n_u}: {name}+0.000 ") + label
        return 1 if widest + caption <= width else 2

    def where(self, vp: Viewport) -> str:
        """'t 13–24 of 24 · units 1–32 of 64' (1-based, like the axis labels)."""
        n_t, n_u = self.values.shape
        return f"t {_span(vp.t0, vp.t1, n_t)} · units {_span(vp.u0, vp.u1, n_u)}"

    def caption(self) -> str | None:
        """'◆ t 3 1959Q3 · unit 18 = −0.734' for the cursor (1-based), or None."""
        if self.cursor is None:
            return None
        t, u = self.cursor
        value = float(self.values[t, u])
        text = "nan" if math.isnan(value) else f"{value:+.3f}".replace("-", "−")
        name = f"{self.name} " if self.name else ""
        return f"{CURSOR_CHAR} t {t + 1} {self.row_labels[t]} · unit {u + 1}: {name}{text}"

    def render_lines(
        self, max_width: int, height: int | None = None, color_system: str | None = "truecolor"
    ) -> list[list[Segment]]:
        """The heatmap as lines of segments, every line exactly ``max_width`` cells wide."""
        n_t, n_u = self.values.shape
        width = max(1, max_width)
        if n_t == 0 or n_u == 0:
            return [[Segment(fit_cells("no data", width), DIM)]]
        vp = self.viewport(width, height)
        lines: list[list[Segment]] = []
        if "title" in vp.lines and self.title:
            lines.append([Segment(fit_cells(self.title, width), TITLE)])
        if "axis" in vp.lines:
            lines.append(self._ruler(vp, width))
        lines.extend(self._grid(vp, width, get_palette(self.scale, color_system)))
        if "status" in vp.lines:
            parts = [self.where(vp)]
            caption = self.caption()
            if caption:
                parts.append(caption)
            if "status2" in vp.lines:  # too narrow for one line: where, then the cursor
                lines.extend([Segment(fit_cells(p, width), DIM)] for p in parts)
            else:
                lines.append([Segment(fit_cells("  ".join(parts), width), DIM)])
        if "legend" in vp.lines:
            lines.append(Segment.adjust_line_length(self._legend(width, color_system), width))
        return lines

    def legend_note(self) -> str:
        """What the colours mean: "h: white = 0, scaled to this map's ±max"."""
        name = self.name or "value"
        if self.scale == "diverging":
            return f"{name}: white = 0" + (", scaled to this map's ±max" if self.own_range else "")
        return f"{name}: fixed 0–1" if (self.vmin, self.vmax) == (0.0, 1.0) else name

    def _legend(self, width: int, color_system: str | None) -> list[Segment]:
        legend = Legend(self.scale, self.vmin, self.vmax, compact=True, width=24,
                        note=self.legend_note())
        return legend.render_lines(width, color_system)[0]

    def _ruler(self, vp: Viewport, width: int) -> list[Segment]:
        """Unit numbers (1-based) over their columns; '▼' over the cursor's column."""
        cw = vp.cell_w
        n_cols = vp.u1 - vp.u0
        chars = [" "] * (n_cols * cw)
        step = max(1, math.ceil(6 / cw))  # a number every ~6 characters
        for c in range(n_cols):
            u = vp.u0 + c + 1
            if c != 0 and u % step and u != vp.u1:
                continue
            text = str(u)
            pos = c * cw
            if pos + len(text) <= len(chars) and all(
                ch == " " for ch in chars[max(0, pos - 1) : pos + len(text) + 1]
            ):
                chars[pos : pos + len(text)] = list(text)
        ruler = "".join(chars)
        head = [Segment(fit_cells("unit →", vp.label_w, "right") + " ", DIM)]
        if self.cursor is not None and vp.u0 <= self.cursor[1] < vp.u1:
            pos = (self.cursor[1] - vp.u0) * cw
            lo, hi = pos, pos + cw
            while lo > 0 and ruler[lo - 1] != " ":
                lo -= 1
            while hi < len(ruler) and ruler[hi] != " ":
                hi += 1
            ruler = ruler[:lo] + " " * (hi - lo) + ruler[hi:]  # blank the number under '▼'
            mark = "▼".center(cw)
            segs = [Segment(ruler[:pos], DIM), Segment(mark, TITLE), Segment(ruler[pos + cw :], DIM)]
        else:
            segs = [Segment(ruler, DIM)]
        return Segment.adjust_line_length(head + segs, width)

    def _grid(self, vp: Viewport, width: int, pal: Palette) -> list[list[Segment]]:
        cw = vp.cell_w
        idx = self._index[vp.t0 : vp.t1, vp.u0 : vp.u1]
        tail_w = width - vp.label_w - 1 - idx.shape[1] * cw
        tail = [Segment(" " * tail_w)] if tail_w > 0 else []
        cur = self.cursor
        out: list[list[Segment]] = []
        for r, t in enumerate(range(vp.t0, vp.t1)):
            on_row = cur is not None and cur[0] == t
            label_style = CURSOR_LABEL if on_row else LABEL
            line = [Segment(fit_cells(self.row_labels[t], vp.label_w), label_style), Segment(" ")]
            row = idx[r]
            bounds = np.flatnonzero(np.diff(row)) + 1
            starts = np.concatenate(([0], bounds)).tolist()
            ends = np.concatenate((bounds, [len(row)])).tolist()
            for s, e in zip(starts, ends, strict=True):
                code = int(row[s])
                style = pal.bg_style(code)
                if on_row and cur is not None and s <= cur[1] - vp.u0 < e:
                    c = cur[1] - vp.u0
                    if c > s:
                        line.append(Segment(CELL * ((c - s) * cw), style))
                    mark = Style(color=pal.contrast(code), bgcolor=pal.colors[code], bold=True)
                    line.append(Segment(CURSOR_CHAR.center(cw), mark))
                    if e > c + 1:
                        line.append(Segment(CELL * ((e - c - 1) * cw), style))
                else:
                    line.append(Segment(CELL * ((e - s) * cw), style))
            line.extend(tail)
            out.append(line)
        return out

    # -- rich protocol ------------------------------------------------------------------------
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.render_lines(options.max_width, options.height, console.color_system):
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        label_w = self._label_width(options.max_width)
        full = label_w + 1 + self.values.shape[1] * (self.cell_width or 1)
        full = max(full, 56 if self.legend else 0)
        return Measurement(min(full, label_w + 5), min(full, options.max_width))


def _span(lo: int, hi: int, total: int) -> str:
    """'1–12 of 24', or 'all 12' when [lo, hi) covers everything."""
    if lo == 0 and hi == total:
        return f"1–{total} of {total}" if total > 1 else "1 of 1"
    return f"{lo + 1}–{hi} of {total}" if hi - lo > 1 else f"{lo + 1} of {total}"
