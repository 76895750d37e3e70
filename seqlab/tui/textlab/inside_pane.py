"""The text mode's Inside pane: a sentence's hidden states token by token, the gradient strip,
and the model's top next tokens at the cursor.

At 80×24 the map gets every row the pane has (13 tokens: "나는 밥을 많이 먹었다." whole); its
colour legend and the gradient's numbers sit in the side column, where they are not cut."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Select, Static, TabPane

from seqlab.render import Strip, fit_cells
from seqlab.text import SPECIALS, display_token
from seqlab.tui.widgets.plots import StripView
from seqlab.tui.widgets.statepanel import KIND_NAMES, StatePanel, state_choices

GRAD = "‖∂loss/∂h_t‖ (log)"
EMPTY = ("No snapshot yet: train a model (ctrl+t) — the watched validation window appears "
         "every epoch — or type a sentence above and press Enter.")


class InsidePane(TabPane):
    """Shows the ProbeSnapshot handed to :meth:`show`; ``k`` / ``y`` choose state and layer."""

    def __init__(self, probe_text: str) -> None:
        super().__init__("Inside", id="tx-inside")
        self.probe_text = probe_text
        self.sel_kind, self.sel_layer = "h", "0"
        self.probe: Any = None
        self.source = "live"  # live (a validation window) | probe (a typed sentence)
        self.live_run = False  # a run trains: [ ] choose its watched window

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Input(self.probe_text, id="tx-probe-text", compact=True,
                        placeholder="a sentence to look inside + Enter (ctrl+r)")
            yield Select([(KIND_NAMES["h"], "h")], value="h", allow_blank=False,
                         id="tx-kind", compact=True)
            yield Select([("layer 0", "0")], value="0", allow_blank=False,
                         id="tx-layer", compact=True)
        with Horizontal(id="tx-inside-mid"):
            yield StatePanel(EMPTY, id="tx-heatmap", legend=False)
            with Vertical(id="tx-inside-side"):
                yield Static("", id="tx-inside-title")
                yield Static("", id="tx-legend")
                yield Static("", id="tx-topk")
                yield Static("", id="tx-grad")
        yield StripView(id="tx-strip")

    # -- state down ------------------------------------------------------------------------
    def show(self, probe: Any, source: str, live_run: bool) -> None:
        self.probe, self.source, self.live_run = probe, source, live_run
        self.redraw()

    def waiting(self) -> None:
        self.query_one("#tx-inside-title", Static).update(
            Text("asking the model…\n(the first answer loads it: a few seconds)", style="dim"))

    # -- choosing what to see --------------------------------------------------------------
    def cycle(self, what: str) -> None:
        """Next state/gate (``kind``) or layer (``layer``)."""
        sel_id, attr = ("#tx-kind", "sel_kind") if what == "kind" else ("#tx-layer", "sel_layer")
        values = getattr(self.query_one(sel_id, Select), "_tx_values", None) or []
        if not values:
            return
        cur = getattr(self, attr)
        setattr(self, attr, values[(values.index(cur) + 1) % len(values)]
                if cur in values else values[0])
        self.redraw()

    @on(Select.Changed, "#tx-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.sel_kind:
            self.sel_kind = str(event.value)
            self.redraw()

    @on(Select.Changed, "#tx-layer")
    def _layer_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.sel_layer:
            self.sel_layer = str(event.value)
            self.redraw()

    @on(StatePanel.CursorMoved)
    def _cursor_moved(self) -> None:
        self._show_topk()

    def cursor_token(self) -> str:
        """The token under the cursor ('' without a snapshot)."""
        probe = self.probe
        if probe is None or not probe.labels:
            return ""
        t = min(self.query_one("#tx-heatmap", StatePanel).cursor[0], len(probe.labels) - 1)
        return str(probe.labels[t])

    # -- drawing ---------------------------------------------------------------------------
    def _set_options(self, sel_id: str, options: list[tuple[str, str]], value: str) -> None:
        sel = self.query_one(sel_id, Select)
        values = [v for _label, v in options]
        with sel.prevent(Select.Changed):
            if getattr(sel, "_tx_values", None) != values:
                sel._tx_values = values  # type: ignore[attr-defined]
                sel.set_options(options)
            if sel.value != value:
                sel.value = value

    def redraw(self) -> None:
        probe = self.probe
        title = self.query_one("#tx-inside-title", Static)
        panel = self.query_one("#tx-heatmap", StatePanel)
        strip = self.query_one("#tx-strip", StripView)
        legend = self.query_one("#tx-legend", Static)
        grad_box = self.query_one("#tx-grad", Static)
        if probe is None:
            panel.clear()
            strip.data = None
            title.update(Text("rows: tokens (time)\ncolumns: hidden units\n↑↓←→ move the cursor",
                              style="dim"))
            legend.update("")
            grad_box.update("")
            self._show_topk()
            return
        kinds, layers, _dirs = state_choices(probe.states)
        if self.sel_kind not in kinds:
            self.sel_kind = kinds[0] if kinds else "h"
        if self.sel_layer not in layers and layers:
            self.sel_layer = layers[-1]
        self._set_options("#tx-kind", [(KIND_NAMES.get(k, k), k) for k in kinds], self.sel_kind)
        self._set_options("#tx-layer", [(f"layer {x}", x) for x in layers], self.sel_layer)
        labels = [display_token(t) for t in probe.labels]
        panel.show(probe.states, labels, kind=self.sel_kind, layer=self.sel_layer)
        bar = panel.legend()
        legend.update(Group(bar[0], Text(bar[1], style="dim")) if bar else "")
        grad = probe.grads.get(f"{self.sel_layer}/fwd")
        values = None if grad is None else np.asarray(grad, dtype=float)
        strip.data = None if values is None else {
            "values": values, "labels": labels, "title": GRAD}
        numbers = Strip(values, labels).summary() if values is not None else ""
        # the strip's numbers, as `seqlab probe` prints them, one per line
        grad_box.update(Text("strip: ", style="dim").append(
            numbers.replace(", max ", "\nmax ").replace(", last/first ", "\nlast/first "))
            if numbers else "")
        where = ("your sentence" if self.source == "probe"
                 else f"val window {probe.sample} · epoch {probe.epoch}")
        t = Text()
        t.append(where + "\n", style="bold")
        t.append("k: state  y: layer" + ("\n[ ]: another val window" if self.live_run
                                         else ""), style="dim")
        title.update(t)
        self._show_topk()

    def _show_topk(self) -> None:
        box = self.query_one("#tx-topk", Static)
        probe = self.probe
        if probe is None or not probe.labels:
            box.update(Text("top-5 next tokens at the cursor appear here", style="dim"))
            return
        t = min(self.query_one("#tx-heatmap", StatePanel).cursor[0], len(probe.labels) - 1)
        cur = display_token(probe.labels[t])
        out = Text()
        out.append(f"next after ‘{cur}’ (t={t})\n", style="bold")
        actual = probe.labels[t + 1] if t + 1 < len(probe.labels) else None
        rows = probe.topk[t] if t < len(probe.topk) else []
        for tok, p in rows:
            shown = display_token(str(tok)) if str(tok) not in SPECIALS else str(tok)
            label = fit_cells(shown, 8)
            bar = "█" * max(0, min(10, int(round(float(p) * 10))))
            mark = "✓" if actual is not None and str(tok) == actual else " "
            out.append(f"{label} {float(p):4.2f} ", style="bold" if mark == "✓" else "")
            out.append(f"{bar:<10}", style="cyan")
            out.append(mark + "\n", style="green")
        if not rows:
            out.append("no predictions in this snapshot\n", style="dim")
        if actual is not None:
            out.append(f"next in text: ‘{display_token(actual)}’", style="dim")
        box.update(out)
