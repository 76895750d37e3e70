"""The hidden-state panel on its own: every timestep and unit reachable, the view says where it
is, the cursor reports its cell, and colours follow the kind of state."""

from __future__ import annotations

import numpy as np
from textual.app import App, ComposeResult

from seqlab.tui.widgets.statepanel import StatePanel, colour_scale, state_choices


class PanelApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.moves: list[tuple[int, int, float | None]] = []

    def compose(self) -> ComposeResult:
        yield StatePanel("nothing yet", id="panel")

    def on_state_panel_cursor_moved(self, event: StatePanel.CursorMoved) -> None:
        self.moves.append((event.t, event.u, event.value))


def _screen_text(app: App) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_every_timestep_and_unit_is_reachable() -> None:
    values = np.arange(40 * 100, dtype=float).reshape(40, 100) / 4000 - 0.5
    labels = [f"w{i}" for i in range(40)]
    app = PanelApp()
    async with app.run_test(size=(60, 16)) as pilot:
        panel = app.query_one(StatePanel)
        assert "nothing yet" in _screen_text(app)
        assert panel.show({"h/0/fwd": values}, labels, "h", "0", "fwd")
        assert not panel.show({"h/0/fwd": values}, labels, "c", "0", "fwd")  # absent: unchanged
        panel.focus()
        await pilot.pause()
        text = _screen_text(app)
        assert "t 1–" in text and "of 40" in text and "units 1–" in text and "of 100" in text
        assert "w0 " in text and "w39" not in text  # a window, not a subsample
        await pilot.press("end")
        await pilot.pause()
        text = _screen_text(app)
        assert "w39" in text and "w0 " not in text and "t 40 w39" in text
        for _ in range(99):
            await pilot.press("right")
        await pilot.pause()
        assert panel.cursor == (39, 99)
        text = _screen_text(app)
        assert "units " in text and "–100 of 100" in text
        assert f"unit 100: h {values[39, 99]:+.3f}".replace("-", "−") in text
        assert app.moves[-1] == (39, 99, values[39, 99])
        await pilot.press("home", "pageup")
        assert panel.cursor[0] == 0
        await pilot.press("pagedown")
        assert panel.cursor[0] > 1  # a page is more than one row


async def test_new_map_keeps_cursor_inside_and_clear_shows_message() -> None:
    app = PanelApp()
    async with app.run_test(size=(60, 16)) as pilot:
        panel = app.query_one(StatePanel)
        panel.show_map(np.zeros((10, 10)), [str(i) for i in range(10)], "f")
        panel.focus()
        await pilot.press("end", "right", "right", "right")
        panel.show_map(np.ones((3, 2)), ["a", "b", "c"], "f")
        assert panel.cursor == (2, 1)
        await pilot.pause()
        assert "fixed 0–1" in _screen_text(app)  # a gate's legend
        panel.clear("no probe for this run")
        await pilot.pause()
        assert "no probe for this run" in _screen_text(app)


def test_scales_and_choices() -> None:
    assert colour_scale("f") == ("sequential", 0.0, 1.0)
    assert colour_scale("h") == ("diverging", None, None)
    assert colour_scale("g") == ("diverging", None, None)  # a tanh candidate, not a gate
    states = {"h/1/bwd": 0, "f/0/fwd": 0, "h/0/fwd": 0, "c/10/fwd": 0, "h/2/fwd": 0}
    assert state_choices(states) == (["h", "c", "f"], ["0", "1", "2", "10"], ["fwd", "bwd"])
