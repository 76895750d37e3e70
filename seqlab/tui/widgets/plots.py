"""Thin widgets over seqlab.render: a reactive holding plain data, rendered at the widget's size.

Plot redraws are throttled (at most ~5 per second) because curves change on every event.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, NamedTuple

from rich.text import Text
from textual.reactive import reactive

from seqlab.tui.widgets.linecache import LineCached

if TYPE_CHECKING:
    import numpy as np
else:
    from seqlab.lazy import numpy as np

MIN_REDRAW_S = 0.2
DIM_SERIES = {"step", "baseline"}


class Series(NamedTuple):
    name: str
    x: np.ndarray
    y: np.ndarray
    style: str = "cyan"


class _Throttled(LineCached):
    """Coalesces reactive updates into at most one redraw per MIN_REDRAW_S."""

    _last = 0.0
    _pending = False

    def urgent(self) -> None:
        """The next data change answers a key: draw it now, not at the next throttle tick."""
        self._last = 0.0

    def _schedule(self) -> None:
        now = time.monotonic()
        if now - self._last >= MIN_REDRAW_S:
            self._last = now
            self.redraw()
        elif not self._pending:
            self._pending = True
            self.set_timer(MIN_REDRAW_S - (now - self._last), self._flush)

    def _flush(self) -> None:
        self._pending = False
        self._last = time.monotonic()
        self.redraw()


class PlotView(_Throttled):
    """A braille line plot. ``data`` = {"series": [Series], "vlines": [(x, label)],
    "log_y": bool, "x_labels": [str] | None, "title": str, "empty": str,
    "x_integer": bool (whole-number x labels), "x_name": str (what x is)}."""

    DEFAULT_CSS = "PlotView { height: 1fr; min-height: 5; }"
    data: reactive[dict[str, Any] | None] = reactive(None, always_update=True, layout=False,
                                                      repaint=False)

    def watch_data(self) -> None:
        self._schedule()

    def content(self) -> Any:
        data = self.data
        w, h = self.size.width, self.size.height
        if not data or not data.get("series") or w < 8 or h < 3:
            return Text((data or {}).get("empty", ""), style="dim")
        if all(len(s.x) == 0 for s in data["series"]):
            return Text(data.get("empty", ""), style="dim")
        from seqlab import render

        series = [render.Series(s.name, np.asarray(s.y, float), x=np.asarray(s.x, float),
                                style=s.style, dim=s.name in DIM_SERIES)
                  for s in data["series"]]
        return render.LinePlot(
            series,
            width=w,
            height=h,
            log_y=bool(data.get("log_y")),
            vlines=list(data.get("vlines", [])),
            x_labels=data.get("x_labels"),
            title=data.get("title"),
            empty_message=data.get("empty", "no data yet"),
            x_integer=bool(data.get("x_integer")),
            x_name=str(data.get("x_name", "")),
        )


class StripView(_Throttled):
    """‖∂loss/∂h_t‖ per timestep on a log colour scale."""

    DEFAULT_CSS = "StripView { height: 3; }"
    data: reactive[dict[str, Any] | None] = reactive(None, always_update=True, repaint=False)

    def watch_data(self) -> None:
        self._schedule()

    def content(self) -> Any:
        data = self.data
        if not data:
            return Text("")
        from seqlab.render import Strip

        values = np.asarray(data["values"], float)
        cell_width = max(1, min(3, self.size.width // max(1, values.size)))
        return _Sized(Strip(values, data.get("labels"), title=data.get("title"),
                            cell_width=cell_width, title_inline=True),
                      self.size.width, self.size.height)


class _Sized:
    """Renders a seqlab.render renderable at a fixed width and height."""

    def __init__(self, renderable: Any, width: int, height: int) -> None:
        self.renderable, self.width, self.height = renderable, width, height

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield from console.render(self.renderable,
                                  options.update(width=self.width, height=self.height))
