"""The hidden-state panel: one map of a probe's states (timesteps × units) with a cursor.

Shared by the Hidden view and the text mode's Inside pane. Give it a probe's ``states`` dict
(keys ``kind/layer/direction``, values ``(timesteps, units)`` arrays) and one label per
timestep, and choose which map to show::

    panel.show(probe.states, probe.labels, kind="f", layer="0", direction="fwd")
    panel.clear("No snapshot yet: …")

Every timestep and unit is reachable: the map scrolls with the cursor (arrows, PgUp/PgDn,
Home/End) and its status line says which part is in view and the value under the cursor.
Colours follow the map's own range (symmetric around 0 for states and candidates, 0–1 for
sigmoid gates), with the legend on screen. ``StatePanel.CursorMoved`` is posted when the cursor
moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

KIND_ORDER = ("h", "c", "i", "f", "g", "o", "r", "z", "n")
GATES = frozenset({"i", "f", "o", "r", "z"})  # sigmoid: values in [0, 1]
KIND_NAMES = {
    "h": "hidden state h", "c": "cell state c", "i": "input gate i", "f": "forget gate f",
    "g": "candidate g", "o": "output gate o", "r": "reset gate r", "z": "update gate z",
    "n": "candidate n",
}


class StateChoices(NamedTuple):
    """What a probe's states offer: kinds (in course order), layers, directions (fwd first)."""

    kinds: list[str]
    layers: list[str]
    directions: list[str]


def state_choices(states: Mapping[str, Any]) -> StateChoices:
    """The kinds, layers and directions present in ``states`` (keys ``kind/layer/dir``)."""
    parts = [k.split("/") for k in states]
    kinds = [k for k in KIND_ORDER if any(p[0] == k for p in parts)]
    layers = sorted({p[1] for p in parts if len(p) == 3}, key=_as_int)
    dirs = sorted({p[2] for p in parts if len(p) == 3}, key=lambda d: d != "fwd")
    return StateChoices(kinds, layers, dirs)


def colour_scale(kind: str) -> tuple[str, float | None, float | None]:
    """(scale, vmin, vmax) for a kind: gates on a fixed 0–1 sequential scale, everything else
    diverging around 0 over the map's own range (None = from the values)."""
    if kind in GATES:
        return "sequential", 0.0, 1.0
    return "diverging", None, None


class StatePanel(Widget, can_focus=True):
    """Timesteps as rows (labelled), units as columns, one cell per value; a cursor."""

    DEFAULT_CSS = "StatePanel { height: 1fr; min-height: 5; }"
    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(-1)", "First timestep", show=False),
        Binding("end", "edge(1)", "Last timestep", show=False),
    ]
    cursor: reactive[tuple[int, int]] = reactive((0, 0), repaint=False)

    class CursorMoved(Message):
        """The cursor moved to timestep ``t``, unit ``u`` (0-based) holding ``value``."""

        def __init__(self, panel: StatePanel, t: int, u: int, value: float | None) -> None:
            super().__init__()
            self.panel, self.t, self.u, self.value = panel, t, u, value

        @property
        def control(self) -> StatePanel:
            return self.panel

    def __init__(self, empty: str = "", *, id: str | None = None,  # noqa: A002
                 classes: str | None = None, legend: bool = True) -> None:
        super().__init__(id=id, classes=classes)
        self.empty = empty
        self.with_legend = legend  # False: the owner shows :meth:`legend` beside the panel
        self.values: np.ndarray | None = None
        self.labels: list[str] = []
        self.kind = "h"
        self._offset = (0, 0)
        self._rows_in_view = 1

    # -- data ------------------------------------------------------------------------------
    def show(self, states: Mapping[str, Any], labels: Sequence[str], kind: str = "h",
             layer: str = "0", direction: str = "fwd") -> bool:
        """Show ``states[f"{kind}/{layer}/{direction}"]``; False (panel unchanged) if absent."""
        values = states.get(f"{kind}/{layer}/{direction}")
        if values is None:
            return False
        self.show_map(values, labels, kind)
        return True

    def show_map(self, values: Any, labels: Sequence[str], kind: str = "h") -> None:
        """Show one ``(timesteps, units)`` map whose rows are labelled by ``labels``."""
        arr = np.asarray(values, dtype=float)
        if arr.ndim == 1:
            arr = arr[:, None]
        self.values, self.labels, self.kind = arr, [str(x) for x in labels], kind
        t, u = self.cursor
        self.set_reactive(StatePanel.cursor, (min(t, max(0, arr.shape[0] - 1)),
                                              min(u, max(0, arr.shape[1] - 1))))
        self.refresh()

    def clear(self, message: str | None = None) -> None:
        """No map: show ``message`` (or the panel's empty text)."""
        self.values = None
        if message is not None:
            self.empty = message
        self.refresh()

    @property
    def value(self) -> float | None:
        """The value under the cursor."""
        if self.values is None or self.values.size == 0:
            return None
        t, u = self.cursor
        return float(self.values[t, u])

    # -- cursor ----------------------------------------------------------------------------
    def watch_cursor(self) -> None:
        self.refresh()
        t, u = self.cursor
        self.post_message(self.CursorMoved(self, t, u, self.value))

    def _move_to(self, t: int, u: int) -> None:
        if self.values is None or self.values.size == 0:
            return
        n_t, n_u = self.values.shape
        self.cursor = (min(max(t, 0), n_t - 1), min(max(u, 0), n_u - 1))

    def action_move(self, dt: int, du: int) -> None:
        t, u = self.cursor
        self._move_to(t + dt, u + du)

    def action_page(self, direction: int) -> None:
        t, u = self.cursor
        self._move_to(t + direction * max(1, self._rows_in_view - 1), u)

    def action_edge(self, direction: int) -> None:
        t, u = self.cursor
        self._move_to(0 if direction < 0 else 1 << 30, u)

    def on_click(self, _event: Any) -> None:
        self.focus()

    # -- drawing ---------------------------------------------------------------------------
    def heatmap(self, width: int, height: int | None) -> Any:
        """The Rich renderable for the current map at ``width`` × ``height`` (None: all rows);
        remembers where the view is so the next frame scrolls from there."""
        from seqlab.render import Heatmap

        assert self.values is not None
        scale, vmin, vmax = colour_scale(self.kind)
        hm = Heatmap(self.values, self.labels, scale=scale, vmin=vmin, vmax=vmax,
                     cursor=self.cursor, offset=self._offset, name=self.kind,
                     legend=self.with_legend)
        vp = hm.viewport(width, height)
        self._offset = (vp.t0, vp.u0)
        self._rows_in_view = vp.t1 - vp.t0
        hm.offset = self._offset
        return hm

    def legend(self) -> tuple[Any, str] | None:
        """The current map's colour bar (``min ▌▌ 0 ▌▌ max``, as wide as it is given) and what
        its colours mean, for a panel made with ``legend=False``; None without a map."""
        from seqlab.render import Heatmap, Legend

        if self.values is None:
            return None
        scale, vmin, vmax = colour_scale(self.kind)
        hm = Heatmap(self.values, self.labels, scale=scale, vmin=vmin, vmax=vmax,
                     name=self.kind)
        return Legend(scale, hm.vmin, hm.vmax, compact=True), hm.legend_note()

    def render(self) -> Any:
        w, h = self.size.width, self.size.height
        if self.values is None:
            return Text(self.empty, style="dim")
        return _Sized(self.heatmap(w, h), w, h)


class _Sized:
    """Renders a seqlab.render renderable at a fixed width and height."""

    def __init__(self, renderable: Any, width: int, height: int) -> None:
        self.renderable, self.width, self.height = renderable, width, height

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield from console.render(self.renderable,
                                  options.update(width=self.width, height=self.height))


def _as_int(s: str) -> int:
    try:
        return int(s)
    except ValueError:
        return 0
