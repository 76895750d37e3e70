"""Block-element bar strips: the per-timestep gradient norm strip and a plain sparkline."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from seqlab.render._text import display_label, fit_cells, fmt_compact
from seqlab.render.palette import get_palette

BLOCKS = " ▁▂▃▄▅▆▇█"  # index = eighths filled
DIM = Style(dim=True)
TITLE = Style(bold=True)
MISSING = Style(color="red", dim=True)


def bucket(values: np.ndarray, n: int, how: str = "max") -> np.ndarray:
    """Reduce ``values`` to ``n`` buckets by index (NaN-aware max or mean)."""
    if values.size <= n:
        return values
    edges = np.linspace(0, values.size, n + 1).astype(int)
    out = np.empty(n)
    for i in range(n):
        chunk = values[edges[i] : edges[i + 1]]
        finite = chunk[np.isfinite(chunk)]
        out[i] = np.nan if not finite.size else finite.max() if how == "max" else finite.mean()
    return out


def levels(values: np.ndarray, steps: int, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """Bar height in 1..steps per value (-1 where missing) and the (lo, hi) used."""
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v) & ((v > 0) if log else True)
    t = np.full(v.shape, np.nan)
    t[ok] = np.log10(v[ok]) if log else v[ok]
    if not ok.any():
        return np.full(v.shape, -1, dtype=np.int64), np.array([np.nan, np.nan])
    lo, hi = float(np.nanmin(t)), float(np.nanmax(t))
    f = (np.where(ok, t, lo) - lo) / (hi - lo) if hi > lo else np.ones(v.shape)
    lv = 1 + np.rint(f * (steps - 1)).astype(np.int64)  # the smallest value still shows '▁'
    lv[~ok] = -1
    return lv, np.array([lo, hi])


class Strip:
    """One bar per timestep (block elements, ``rows`` tall), coloured low->high, with min/max.

    Made for the gradient strip ||dloss/dh_t|| (``log=True``): the vanishing gradient shows as
    bars shrinking towards early timesteps. Non-positive (log) / NaN values show as '·'.
    More timesteps than columns are reduced by bucket max (and said so).
    """

    def __init__(
        self,
        values: np.ndarray | Sequence[float],
        labels: Sequence[str] | None = None,
        *,
        log: bool = True,
        title: str | None = None,
        rows: int = 1,
        cell_width: int = 1,
        color: bool = True,
        annotate: bool = True,
        title_inline: bool = False,
    ) -> None:
        self.values = np.asarray(values, dtype=np.float64).ravel()
        labs = [str(x) for x in (labels or [])][: self.values.size]
        labs += [str(i) for i in range(len(labs), self.values.size)]
        self.labels = [display_label(x) for x in labs]
        self.log = log
        self.title = title
        self.rows = max(1, min(4, int(rows)))
        self.cell_width = max(1, int(cell_width))
        self.color = color
        self.annotate = annotate
        self.title_inline = title_inline  # the title between the first and last labels

    def render_lines(
        self, max_width: int, color_system: str | None = "truecolor"
    ) -> list[list[Segment]]:
        """Title, bar rows (top first), first/last label line and a min/max line."""
        n = self.values.size
        lines: list[list[Segment]] = []
        if self.title and not (self.title_inline and self.annotate and n > 1):
            lines.append([Segment(fit_cells(self.title, max_width), TITLE)])
        if n == 0:
            lines.append([Segment("no data", DIM)])
            return lines
        cw = self.cell_width
        cols = max(1, max_width // cw)
        shown = bucket(self.values, cols, "max") if n > cols else self.values
        steps = 8 * self.rows
        lv, _ = levels(shown, steps, self.log)
        pal = get_palette("sequential", color_system)
        color_idx = np.where(lv > 0, np.rint((lv - 1) / max(1, steps - 1) * (pal.size - 1)), 0)
        width = shown.size * cw
        for r in range(self.rows - 1, -1, -1):  # top row first
            line: list[Segment] = []
            for i, level in enumerate(lv.tolist()):
                if level < 0:
                    ch, style = ("·" if r == 0 else " "), MISSING
                else:
                    eighths = min(8, max(0, level - 8 * r))
                    ch = BLOCKS[eighths]
                    style = pal.fg_styles[int(color_idx[i])] if self.color and eighths else None
                line.append(Segment(ch * cw, style))
            lines.append(_merge(line))
        if self.annotate:
            lines.extend(self._annotations(width, n, shown.size))
        return lines

    def _annotations(self, width: int, n: int, shown: int) -> list[list[Segment]]:
        out: list[list[Segment]] = []
        first, last = self.labels[0], self.labels[-1]
        inline = self.title if self.title and self.title_inline else ""
        if n > 1 and cell_len(first) + cell_len(last) + 1 <= width:
            gap = width - cell_len(first) - cell_len(last)
            middle = fit_cells(f" {inline} ", gap, "center") if inline and \
                cell_len(inline) + 2 <= gap else " " * gap
            out.append([Segment(first, DIM), Segment(middle, TITLE if inline else DIM),
                        Segment(last, DIM)])
        elif n > 1:  # bars narrower than their end labels
            out.append([Segment(f"{first} → {last}", DIM)])
        text = self.summary()
        if text:
            out.append([Segment(text, DIM)])
        if shown < n:
            out.append([Segment(f"{n} steps in {shown} columns (max per column)", DIM)])
        return out

    def summary(self) -> str:
        """'min 2.2e-4 @ 1956-06, max 0.0602 @ 1957-05, last/first 269×' (as `seqlab probe`
        prints it); the ratio says how much more gradient reaches the last timestep than the
        first (log strips only)."""
        v = self.values
        ok = np.isfinite(v) & ((v > 0) if self.log else True)
        if not ok.any():
            return ""
        idx = np.flatnonzero(ok)
        i_min = int(idx[np.argmin(v[ok])])
        i_max = int(idx[np.argmax(v[ok])])
        text = (f"min {fmt_compact(v[i_min])} @ {self.labels[i_min]}, "
                f"max {fmt_compact(v[i_max])} @ {self.labels[i_max]}")
        if self.log and v.size > 1 and ok[0] and ok[-1]:
            text += f", last/first {fmt_compact(v[-1] / v[0])}×"
        return text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.render_lines(options.max_width, console.color_system):
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = max(1, self.values.size * self.cell_width)
        return Measurement(min(width, options.max_width), options.max_width)


class Sparkline:
    """A one-line sparkline (block elements), bucketed by mean to ``width`` (or the console)."""

    def __init__(
        self,
        values: np.ndarray | Sequence[float],
        *,
        width: int | None = None,
        style: str = "cyan",
        log: bool = False,
        summary: bool = False,
    ) -> None:
        self.values = np.asarray(values, dtype=np.float64).ravel()
        self.width = width
        self.style = Style.parse(style) if style else Style()
        self.log = log
        self.summary = summary

    def render_line(self, max_width: int) -> list[Segment]:
        text = ""
        if self.summary:
            finite = self.values[np.isfinite(self.values)]
            if finite.size:
                text = f" {fmt_compact(finite.min())}–{fmt_compact(finite.max())}"
        width = max(1, min(self.width or max_width, max_width) - cell_len(text))
        if self.values.size == 0:
            return [Segment(" " * width)]
        shown = bucket(self.values, width, "mean") if self.values.size > width else self.values
        lv, _ = levels(shown, 8, self.log)
        chars = "".join(BLOCKS[x] if x > 0 else " " for x in lv.tolist())
        return (
            [Segment(chars, self.style), Segment(text, DIM)]
            if text
            else [Segment(chars, self.style)]
        )

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.render_line(options.max_width)
        yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = min(self.width or max(1, self.values.size), options.max_width)
        return Measurement(min(width, 4), width)


def _merge(line: list[Segment]) -> list[Segment]:
    """Join neighbouring segments that share a style."""
    out: list[Segment] = []
    for seg in line:
        if out and out[-1].style == seg.style:
            out[-1] = Segment(out[-1].text + seg.text, seg.style)
        else:
            out.append(seg)
    return out


__all__ = ["BLOCKS", "Sparkline", "Strip", "bucket", "levels"]
