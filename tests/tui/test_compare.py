"""Pinning runs in the Runs view and comparing them; the sweeps list. Keyboard only, 80x24."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import DataTable, Static

from seqlab.tui.app import SeqlabApp
from seqlab.tui.views.compare import CompareScreen, SweepsScreen
from tests.tui.conftest import make_fake_run, show_runs, wait_for


def _second_run(runs_dir: Path) -> Path:
    d = make_fake_run(runs_dir, "20260101-130000-gru-airline_passengers")
    text = (d / "config.toml").read_text().replace('cell = "lstm"', 'cell = "gru"')
    (d / "config.toml").write_text(text)
    return d


def _text(widget: Static) -> str:
    from io import StringIO

    from rich.console import Console

    buf = StringIO()
    Console(file=buf, width=78, color_system=None).print(widget.content)
    return buf.getvalue()


async def test_pin_two_runs_and_compare(runs_dir: Path) -> None:
    make_fake_run(runs_dir)
    _second_run(runs_dir)
    app = SeqlabApp(runs_dir="runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await show_runs(pilot, 2)
        await pilot.press("c")  # nothing pinned yet: a notification, no screen
        assert not isinstance(app.screen, CompareScreen)
        await pilot.press("p", "down", "p", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        main = app.screen.query_one("#compare-main", Static)
        text = _text(main)
        assert "● A" in text and "▲ B" in text  # legend glyphs, readable without colour
        assert "model.cell" in text and "train.lr" not in text  # only what differs
        assert "persistence" in text
        assert "‖∂loss/∂h_t‖" in text
        await pilot.press("m")
        await wait_for(pilot, lambda: "h_t" in _text(app.screen.query_one("#compare-main")))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CompareScreen))


async def test_sweeps_list_shows_members_and_pins_them(runs_dir: Path) -> None:
    sweep = runs_dir / "sweep-airline_passengers-abcd1234"
    make_fake_run(sweep, "t0000-lstm-1x16")
    _second_run(sweep).rename(sweep / "t0001-gru-1x16")
    spec = {"mode": "grid", "params": [{"name": "model", "choices": ["lstm", "gru"]}],
            "points": [{"model": "lstm"}, {"model": "gru"}], "trials": 0}
    (sweep / "sweep.json").write_text(json.dumps(spec))
    app = SeqlabApp(runs_dir="runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        app.query_one("#runs-table", DataTable).focus()
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, SweepsScreen))
        dt = app.screen.query_one("#sweeps-table", DataTable)
        await wait_for(pilot, lambda: dt.row_count == 3)  # the sweep's row and two members
        await pilot.press("down", "p", "down", "p", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        assert "model.cell" in _text(app.screen.query_one("#compare-main", Static))
