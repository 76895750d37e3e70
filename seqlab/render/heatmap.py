"""Heatmap of per-timestep hidden activity: rows = timesteps, two hidden units per cell ('▀')."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from seqlab.render._text import display_label, fit_cells, fmt_compact
from seqlab.render.palette import HALF_BLOCK, Palette, get_palette

DIM = Style(dim=True)
TITLE = Style(bold=True)
LABEL = Style()
CURSOR_LABEL = Style(reverse=True, bold=True)
CURSOR_CHAR = "◆"
_CURSOR_CODE = -1


def subsample_rows(n: int, keep: int, must: int | None = None) -> np.ndarray:
    """``keep`` evenly spaced indices of ``range(n)`` incl. first and last (and ``must``)."""
    if keep >= n:
        return np.arange(n)
    if keep <= 1:
        return np.array([must if must is not None else 0])
    idx = np.unique(np.rint(np.linspace(0, n - 1, keep)).astype(int))
    if must is not None and must not in idx:
        near = int(np.argmin(np.abs(idx - must)))
        if near in (0, len(idx) - 1) and len(idx) > 2:  # keep first and last
            near = 1 if near == 0 else len(idx) - 2
        idx[near] = must
        idx = np.unique(idx)
    return idx


class Legend:
    """Colour bar for a scale with min / 0 / max labels.

    Two lines (bar, labels) by default; ``compact=True`` gives one line ``min ▌▌▌ 0 ▌▌▌ max``.
    """

    def __init__(
        self,
        scale: str = "diverging",
        vmin: float | None = None,
        vmax: float | None = None,
        *,
        width: int | None = None,
        compact: bool = False,
    ) -> None:
        self.palette = get_palette(scale)
        lo, hi = self.palette.default_range(np.zeros(0))
        self.vmin = lo if vmin is None else float(vmin)
        self.vmax = hi if vmax is None else float(vmax)
        self.width = width
        self.compact = compact

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
        has_zero = self.palette.scale == "diverging" and self.vmin < 0.0 < self.vmax
        if self.compact:
            fixed = cell_len(lo_s) + cell_len(hi_s) + (5 if has_zero else 2)
            bar = max(2, min(self.width or 24, max_width - fixed))
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


class Heatmap:
    """Timesteps as rows, hidden units as columns, two units per cell ('▀': fg = unit 2k,
    bg = unit 2k+1). Crops units / subsamples rows to fit and says so in the footer.

    ``scale``: "diverging" (blue-white-red, 0 = white; default range symmetric, at least
    [-1, 1]) or "sequential" (viridis-like; default range at least [0, 1]).
    ``cursor``: (t, u) cell to highlight; its value is shown in a caption.
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
        title: str | None = None,
        max_rows: int | None = None,
        max_label_width: int = 12,
        cell_width: int = 1,
        legend: bool = True,
        ruler: bool = True,
    ) -> None:
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(f"Heatmap values must be 2-D (timesteps, units), got {arr.shape}")
        self.values = arr
        self.palette = get_palette(scale)
        self.scale = scale
        lo, hi = self.palette.default_range(arr)
        self.vmin = lo if vmin is None else float(vmin)
        self.vmax = hi if vmax is None else float(vmax)
        labels = [str(x) for x in (row_labels or [])][: arr.shape[0]]
        labels += [str(i) for i in range(len(labels), arr.shape[0])]
        self.row_labels = [display_label(x) for x in labels]
        self.raw_labels = labels
        if cursor is not None:
            t, u = int(cursor[0]), int(cursor[1])
            cursor = (t, u) if 0 <= t < arr.shape[0] and 0 <= u < arr.shape[1] else None
        self.cursor = cursor
        self.title = title
        self.max_rows = max_rows
        self.max_label_width = max(1, max_label_width)
        self.cell_width = max(1, int(cell_width))
        self.legend = legend
        self.ruler = ruler
        self._index = self.palette.indices(arr, self.vmin, self.vmax)  # (T, U) palette indices

    # -- layout -----------------------------------------------------------------------------
    def _label_width(self, max_width: int) -> int:
        if not self.row_labels:
            return 1
        widest = max(cell_len(x) for x in self.row_labels)
        return max(1, min(widest, self.max_label_width, max(1, max_width // 3)))

    def caption(self) -> str | None:
        """'t=1959Q3 unit 17: -0.734' for the cursor, or None."""
        if self.cursor is None:
            return None
        t, u = self.cursor
        value = float(self.values[t, u])
        text = "nan" if math.isnan(value) else f"{value:.3f}"
        return f"t={self.row_labels[t]} unit {u}: {text}"

    def render_lines(
        self, max_width: int, height: int | None = None, color_system: str | None = "truecolor"
    ) -> list[list[Segment]]:
        """The heatmap as lines of segments, every line exactly the same cell width."""
        n_t, n_u = self.values.shape
        label_w = self._label_width(max_width)
        cw = self.cell_width
        n_cells_all = (n_u + 1) // 2
        cap_cells = max(1, (max_width - label_w - 1) // cw)
        n_cells = min(n_cells_all, cap_cells)
        first_cell = 0
        if self.cursor is not None and self.cursor[1] // 2 >= n_cells:
            first_cell = min(self.cursor[1] // 2 - n_cells // 2, n_cells_all - n_cells)
        u0, u1 = 2 * first_cell, min(n_u, 2 * (first_cell + n_cells))  # units [u0, u1)
        grid_w = label_w + 1 + n_cells * cw

        cropped_units = (u1 - u0) < n_u
        caption = self.caption()
        # Optional lines, dropped in this order when the height is tight.
        optional = {"legend": self.legend, "ruler": self.ruler and n_t > 0,
                    "title": bool(self.title), "caption": caption is not None}  # fmt: skip
        limit = height if height is not None else None
        if limit is None and self.max_rows is not None:
            limit = self.max_rows + sum(optional.values()) + 1
        n_rows = n_t
        note_needed = cropped_units
        if limit is not None:
            for drop in ("legend", "ruler", "title", "caption", None):
                fixed = sum(optional.values())
                avail = limit - fixed - (1 if note_needed else 0)
                if avail < n_t and not note_needed:
                    note_needed = True
                    avail -= 1
                if self.max_rows is not None:
                    avail = min(avail, self.max_rows)
                if avail >= min(n_t, 2) or drop is None:
                    n_rows = max(1, min(n_t, avail))
                    break
                optional[drop] = False
        elif self.max_rows is not None:
            n_rows = min(n_t, self.max_rows)
        rows = subsample_rows(n_t, n_rows, self.cursor[0] if self.cursor else None)
        subsampled = len(rows) < n_t

        notes = []
        if cropped_units:
            notes.append(f"units {u0}–{u1 - 1} of {n_u}")
        if subsampled:
            notes.append(f"{len(rows)} of {n_t} timesteps (evenly subsampled)")
        footer_texts = [" · ".join(notes)] if notes else []
        if optional["caption"] and caption is not None:
            footer_texts.append(caption)
        legend_lines: list[list[Segment]] = []
        if optional["legend"]:
            legend = Legend(self.scale, self.vmin, self.vmax, compact=True, width=24)
            legend_lines = legend.render_lines(max(grid_w, min(max_width, 24)), color_system)
        total_w = grid_w
        for text in footer_texts:
            total_w = max(total_w, cell_len(text))
        for line in legend_lines:
            total_w = max(total_w, sum(s.cell_length for s in line))
        if optional["title"] and self.title:
            total_w = max(total_w, min(cell_len(self.title), max_width))
        total_w = min(total_w, max_width)
        pad = total_w - grid_w

        lines: list[list[Segment]] = []
        if optional["title"] and self.title:
            lines.append([Segment(fit_cells(self.title, total_w), TITLE)])
        if optional["ruler"]:
            lines.append(self._ruler(label_w, u0, n_cells, total_w))
        if n_t == 0 or n_u == 0:
            lines.append([Segment(fit_cells("no data", total_w), DIM)])
        else:
            lines.extend(
                self._grid(rows, label_w, u0, u1, pad, get_palette(self.scale, color_system))
            )
        for text in footer_texts:
            lines.append([Segment(fit_cells(text, total_w), DIM)])
        for line in legend_lines:
            lines.append(Segment.adjust_line_length(line, total_w))
        return lines

    def _ruler(self, label_w: int, u0: int, n_cells: int, total_w: int) -> list[Segment]:
        cw = self.cell_width
        chars = [" "] * (n_cells * cw)
        step = max(1, 8 // cw)  # a unit number every 16 units (8 cells) at cell width 1
        for c in range(0, n_cells, step):
            text = str(u0 + 2 * c)
            pos = c * cw
            if pos + len(text) <= len(chars) and all(
                ch == " " for ch in chars[pos : pos + len(text)]
            ):
                chars[pos : pos + len(text)] = list(text)
        segs = [Segment(fit_cells("unit", label_w, "right") + " ", DIM)]
        ruler = "".join(chars)
        if self.cursor is not None and u0 <= self.cursor[1] < u0 + 2 * n_cells:
            pos = (self.cursor[1] - u0) // 2 * cw
            if ruler[pos] != " ":  # blank the unit number under the marker
                lo = pos
                while lo > 0 and ruler[lo - 1] != " ":
                    lo -= 1
                hi = pos
                while hi < len(ruler) and ruler[hi] != " ":
                    hi += 1
                ruler = ruler[:lo] + " " * (hi - lo) + ruler[hi:]
            segs += [Segment(ruler[:pos], DIM), Segment("▼", TITLE), Segment(ruler[pos + 1 :], DIM)]
        else:
            segs.append(Segment(ruler, DIM))
        return Segment.adjust_line_length(segs, total_w)

    def _grid(
        self, rows: np.ndarray, label_w: int, u0: int, u1: int, pad: int, pal: Palette
    ) -> list[list[Segment]]:
        idx = self._index[rows][:, u0:u1]
        if idx.shape[1] % 2:
            idx = np.concatenate([idx, np.full((len(rows), 1), pal.none_index, np.int16)], axis=1)
        codes = pal.pair_code(idx[:, 0::2], idx[:, 1::2])
        cursor_row = -1
        if self.cursor is not None and u0 <= self.cursor[1] < u1:
            hit = np.flatnonzero(rows == self.cursor[0])
            if hit.size:
                cursor_row = int(hit[0])
                codes[cursor_row, (self.cursor[1] - u0) // 2] = _CURSOR_CODE
        cw = self.cell_width
        tail = [Segment(" " * pad)] if pad > 0 else []
        out: list[list[Segment]] = []
        for r, t in enumerate(rows):
            label_style = CURSOR_LABEL if r == cursor_row else LABEL
            line = [Segment(fit_cells(self.row_labels[t], label_w), label_style), Segment(" ")]
            row = codes[r]
            bounds = np.flatnonzero(np.diff(row)) + 1
            starts = np.concatenate(([0], bounds))
            ends = np.concatenate((bounds, [len(row)]))
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
                code = int(row[s])
                if code == _CURSOR_CODE:
                    line.append(self._cursor_segment(pal))
                else:
                    line.append(Segment(HALF_BLOCK * ((e - s) * cw), pal.pair_style(code)))
            line.extend(tail)
            out.append(line)
        return out

    def _cursor_segment(self, pal: Palette) -> Segment:
        assert self.cursor is not None
        t, u = self.cursor
        i = int(self._index[t, u])
        style = Style(color=pal.contrast(i), bgcolor=pal.colors[i], bold=True)
        return Segment(CURSOR_CHAR * self.cell_width, style)

    # -- rich protocol ------------------------------------------------------------------------
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.render_lines(options.max_width, options.height, console.color_system):
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        label_w = self._label_width(options.max_width)
        full = label_w + 1 + (self.values.shape[1] + 1) // 2 * self.cell_width
        full = max(full, 24 if self.legend else 0)
        return Measurement(min(full, label_w + 5), min(full, options.max_width))
