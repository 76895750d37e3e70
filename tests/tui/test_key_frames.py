"""A view key draws its view in its own handler, not at a later screen tick.

Left to Textual, the switch reached the screen through a chain of idle messages, and a frame of
the old view came first while a run trained (benchmarks/tui_latency.py has the figures). These
tests call the action directly and look at the compositor straight after it, without awaiting
anything, so only a handler that lays the screen out itself passes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from seqlab.tui.app import SeqlabApp
from tests.tui.conftest import open_only_run, wait_for


async def test_a_view_key_lays_out_and_draws_its_view_in_the_handler(real_run: Path,
                                                                     runs_dir: Path) -> None:
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        shown = await open_only_run(pilot)
        await wait_for(pilot, lambda: app.views.train.ready and app.views.hidden.ready)
        screen = app.screen_stack[0]
        compositor = screen._compositor
        for view, widget in (("data", app.views.data), ("train", app.views.train),
                             ("hidden", app.views.hidden), ("runs", app.views.runs)):
            app.action_view(view)  # no await: nothing else may run in between
            assert widget in compositor.visible_widgets, view
            others = [w for w in (app.views.data, app.views.train, app.views.hidden,
                                  app.views.runs) if w is not widget]
            assert not any(w in compositor.visible_widgets for w in others), view
            await pilot.pause()
        # the Train view was brought up to date before it was drawn: its plots hold the run
        app.action_view("data")
        await pilot.pause()
        app.action_view("train")
        assert app.views.train._drawn is not None and app.views.train._drawn[0] == id(shown)


def test_the_screen_ticks_at_120_hz_unless_the_user_sets_textual_fps() -> None:
    code = "import seqlab.tui.app, textual.screen as s; print(round(1 / s.UPDATE_PERIOD))"
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=root, timeout=60)
    assert out.stdout.strip() == "120", out.stderr[-500:]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, "TEXTUAL_FPS": "30"}, cwd=root, timeout=60)
    assert out.stdout.strip() == "30", out.stderr[-500:]

