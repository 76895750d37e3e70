"""Hidden view: per-timestep states and gates of the watched validation sample, and the
gradient strip ‖∂loss/∂h_t‖ beneath."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, Static

from seqlab.tui.messages import WatchSample
from seqlab.tui.views.lazy import LazyView, when_ready
from seqlab.tui.widgets.plots import StripView
from seqlab.tui.widgets.statepanel import KIND_NAMES, StatePanel, state_choices

if TYPE_CHECKING:
    import numpy as np
else:
    from seqlab.lazy import numpy as np

if TYPE_CHECKING:
    from seqlab.tui.session import Session

EMPTY = ("No snapshot yet: start training (ctrl+t) or open a run (5). The watched validation "
         "sample's hidden states appear here every epoch.")


class HiddenView(LazyView):
    def __init__(self, session: Session) -> None:
        super().__init__("4 Hidden", id="hidden")
        self.session = session  # read here; changes go through session.apply + a message up
        self.sel_kind, self.sel_layer, self.sel_dir = "h", "0", "fwd"
        self._probe: Any = None
        self._stale = False  # a snapshot arrived while another view was shown

    def build(self) -> ComposeResult:
        with Horizontal(id="hidden-controls"):
            yield Label("sample")
            yield Input("0", id="probe-sample", restrict=r"[0-9]*", compact=True)
            yield Select([("h", "h")], id="probe-kind", compact=True, allow_blank=False)
            yield Select([("layer 0", "0")], id="probe-layer", compact=True, allow_blank=False)
            yield Select([("fwd", "fwd")], id="probe-dir", compact=True, allow_blank=False)
        yield Static("", id="hidden-title")
        yield StatePanel(EMPTY, id="heatmap")
        yield StripView(id="strip")

    def populated(self) -> None:
        self.sync()
        self.show(self._probe)

    @when_ready
    def on_show(self) -> None:
        """The map takes the keys straight away: arrows, PgUp/PgDn, Home/End move its cursor."""
        if self._stale:
            self.show(self._probe)
        self.query_one("#heatmap", StatePanel).focus()

    @when_ready
    def sync(self) -> None:
        self.query_one("#probe-sample", Input).value = str(self.session.cfg.train.probe_sample)

    def show(self, probe: Any) -> None:
        """A new ProbeSnapshot (or None); drawn once the view is populated, and while another
        view is shown, when this one is shown again (a snapshot per epoch, drawn unseen, cost
        a frame's time while a run trained)."""
        self._probe = probe
        if not self.live:
            return
        if getattr(self.parent, "current", None) not in ("hidden", None):
            self._stale = True
            return
        self._stale = False
        if probe is None:
            self.query_one("#heatmap", StatePanel).clear()
            self.query_one("#strip", StripView).data = None
            self.query_one("#hidden-title", Static).update(
                Text("rows: timesteps ↓ · columns: hidden units →", style="dim"))
            return
        kinds, layers, dirs = state_choices(probe.states)
        self._set_options("#probe-kind", [(KIND_NAMES.get(k, k), k) for k in kinds])
        self._set_options("#probe-layer", [(f"layer {x}", x) for x in layers])
        self._set_options("#probe-dir", [(d, d) for d in dirs])
        if self.sel_kind not in kinds:
            self.sel_kind = kinds[0] if kinds else "h"
        if self.sel_layer not in layers and layers:
            self.sel_layer = layers[-1]
        if self.sel_dir not in dirs and dirs:
            self.sel_dir = dirs[0]
        self._draw()

    def _set_options(self, sel_id: str, options: list[tuple[str, str]]) -> None:
        sel = self.query_one(sel_id, Select)
        values = [v for _l, v in options]
        if getattr(sel, "_seqlab_values", None) != values:
            sel._seqlab_values = values  # type: ignore[attr-defined]
            with sel.prevent(Select.Changed):
                sel.set_options(options)

    def _draw(self) -> None:
        probe = self._probe
        if probe is None:
            return
        key = f"{self.sel_kind}/{self.sel_layer}/{self.sel_dir}"
        values = probe.states.get(key)
        if values is None:
            return
        for sel_id, val in (("#probe-kind", self.sel_kind), ("#probe-layer", self.sel_layer),
                            ("#probe-dir", self.sel_dir)):
            sel = self.query_one(sel_id, Select)
            if sel.value != val:
                with sel.prevent(Select.Changed):
                    sel.value = val
        labels = [str(x) for x in probe.labels]
        self.query_one("#heatmap", StatePanel).show_map(values, labels, self.sel_kind)
        span = f" ({labels[0]}…{labels[-1]})" if labels else ""
        self.query_one("#hidden-title", Static).update(Text.assemble(
            (f"val sample {probe.sample}{span} · epoch {probe.epoch} · ", "bold"),
            (f"{KIND_NAMES.get(self.sel_kind, self.sel_kind)} · rows: time ↓", "dim"),
        ))
        grad = probe.grads.get(f"{self.sel_layer}/{self.sel_dir}")
        self.query_one("#strip", StripView).data = (
            None if grad is None else {"values": np.asarray(grad, dtype=float),
                                       "labels": labels, "title": "‖∂loss/∂h_t‖ (log)"}
        )

    # -- controls ------------------------------------------------------------------------
    @when_ready
    def cycle(self, what: str) -> None:
        sel = self.query_one({"kind": "#probe-kind", "layer": "#probe-layer",
                              "dir": "#probe-dir"}[what], Select)
        values = getattr(sel, "_seqlab_values", None) or []
        if not values:
            return
        cur = {"kind": self.sel_kind, "layer": self.sel_layer, "dir": self.sel_dir}[what]
        nxt = values[(values.index(cur) + 1) % len(values)] if cur in values else values[0]
        setattr(self, f"sel_{what}", nxt)
        self._draw()

    @when_ready
    def step_sample(self, delta: int) -> None:
        cur = self.session.cfg.train.probe_sample
        self.set_sample(max(0, cur + delta))

    @when_ready
    def set_sample(self, n: int) -> None:
        """Ask to watch sample n; the app clamps it and calls :meth:`sync`."""
        if n != self.session.cfg.train.probe_sample:
            self.post_message(WatchSample("series", n))
        else:
            self.sync()

    @on(Input.Submitted, "#probe-sample")
    @on(Input.Blurred, "#probe-sample")
    def _sample_done(self, event: Any) -> None:
        if event.value.strip():
            self.set_sample(int(event.value))

    @on(Select.Changed, "#probe-kind")
    def _kind(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.sel_kind = str(event.value)
            self._draw()

    @on(Select.Changed, "#probe-layer")
    def _layer(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.sel_layer = str(event.value)
            self._draw()

    @on(Select.Changed, "#probe-dir")
    def _dir(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.sel_dir = str(event.value)
            self._draw()
