"""The lab's side of forecasting: the engine's defaults, every note readable, long-format
files, the warning when a model loses to a baseline, intervals in the prediction plot."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from seqlab.config import RunConfig
from seqlab.tui.app import SeqlabApp
from seqlab.tui.runstate import RunState
from seqlab.tui.session import Session, default_config
from tests.tui.conftest import make_fake_run, open_only_run, wait_for


def test_lab_defaults_are_the_engines() -> None:
    lab, engine = default_config("elsewhere"), RunConfig()
    lab.train.runs_dir = engine.train.runs_dir
    assert lab == engine
    s = Session()
    s.open(Path(__file__).resolve().parents[2] / "sample_data" / "airline_passengers.csv")
    d = s.cfg.data
    assert (d.window, d.difference, s.cfg.train.epochs, s.cfg.train.patience) == (
        engine.data.window, "auto", engine.train.epochs, engine.train.patience)
    assert s.prepared.difference  # auto decided it: the passengers trend upward


async def test_every_note_reachable_at_80x24(runs_dir: Path) -> None:
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        notes = app.query_one("#data-notes-text").render()
        text = str(notes)
        for note in app.session.prepared.notes:
            assert note in text  # all of them, not one line cut at the edge
        scroller = app.query_one("#data-notes")
        # more notes than fit: it scrolls (once laid out)
        await wait_for(pilot, lambda: scroller.max_scroll_y > 0)
        scroller.focus()
        await pilot.pause()
        await pilot.press("down", "down")
        await wait_for(pilot, lambda: scroller.scroll_y > 0)


async def test_long_format_offers_series_id(tmp_path: Path, runs_dir: Path) -> None:
    from textual.widgets import Select

    rows = ["date,store,sales"]
    for d in range(90):
        for s in range(3):
            rows.append(f"2021-{1 + d // 28:02d}-{1 + d % 28:02d},S{s},{100 * (s + 1) + d % 7}")
    p = tmp_path / "stores.csv"
    p.write_text("\n".join(rows) + "\n")
    app = SeqlabApp(str(p), runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.data_ready)
        assert app.session.cfg.data.series_id == "store"
        assert app.session.prepared is not None and app.session.prepared.series_names
        assert app.query_one("#series_id", Select).value == "store"
        app.query_one("#aggregate", Select).value = "sum"
        await pilot.pause()
        assert app.session.cfg.data.aggregate == "sum" and app.session.cfg.data.series_id is None
        assert not app.session.prepared.series_names


async def test_losing_model_is_said_with_the_remedy(runs_dir: Path) -> None:
    run = make_fake_run(runs_dir)
    summary = json.loads((run / "summary.json").read_text())
    summary["test"]["mae"] = 50.0  # worse than persistence (35)
    summary["difference"] = False
    (run / "summary.json").write_text(json.dumps(summary))
    lines = (run / "predictions.csv").read_text().splitlines()
    body = [ln + f",{float(ln.split(',')[4]) - 9:.6g},{float(ln.split(',')[4]) + 9:.6g}"
            for ln in lines[1:]]
    (run / "predictions.csv").write_text("\n".join([lines[0] + ",lo95,hi95", *body]) + "\n")
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        from seqlab.training.runs import load_run

        app.shown = RunState.from_record(load_run(run))
        await pilot.press("3")
        app.views.train.show(app.shown, urgent=True)
        await pilot.pause()
        status = str(app.query_one("#train-status").render())
        assert "test MAE 50 > persistence 35" in status and "difference to yes" in status
        await pilot.press("v")  # test predictions: the 95 % interval is drawn around them
        await pilot.pause()
        names = {s.name for s in app.query_one("#pred-plot").data["series"]}
        assert {"95% lo", "95% hi", "predicted", "actual"} <= names


def test_prediction_bands_reach_the_plot() -> None:
    from seqlab.training.events import Predictions

    st = RunState()
    n = 10
    st.apply(Predictions(epoch=1, split="test", labels=[str(i) for i in range(n)],
                         actual=np.ones(n), predicted=np.ones(n), baseline=np.ones(n),
                         bands={"lo95": np.zeros(n), "hi95": np.full(n, 2.0)}))
    assert set(st.predictions["test"].bands) == {"lo95", "hi95"}


async def test_backtest_table_screen(runs_dir: Path) -> None:
    from seqlab.tui.screens.backtest import BacktestScreen

    fold = {"fold": 1, "test_from": "1959-01", "model": {"mae": 10.0, "mase": 0.5},
            "persistence": {"mae": 20.0, "mase": 1.0},
            "seasonal_naive": {"mae": 15.0, "mase": 0.75},
            "coverage": {"80": 0.8, "95": 0.9}}
    result = {"folds": [fold], "mean": {k: fold[k] for k in
                                        ("model", "persistence", "seasonal_naive", "coverage")},
              "completed": 1, "n_folds": 1, "season": 12}
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        app.push_screen(BacktestScreen(result, "a-run"))
        await pilot.pause()
        assert isinstance(app.screen, BacktestScreen)
        svg = app.export_screenshot().replace("&#160;", " ")
        assert "a-run" in svg and "backtest: test metrics per fold" in svg
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BacktestScreen)
        # its box has the focus (arrows scroll it); b (the key that opened it) and q close it
        for key in ("b", "q"):
            app.push_screen(BacktestScreen(result, "a-run"))
            await pilot.pause()
            assert type(app.focused).__name__ == "VerticalScroll"
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, BacktestScreen), key


async def test_b_backtests_the_shown_run(real_run: Path, monkeypatch) -> None:
    """`b` on a finished run in the Train view runs `seqlab backtest` on its config in a child
    process and opens the per-fold table beside both baselines."""
    import io
    import re

    from rich.console import Console
    from textual.widgets import Static

    import seqlab.tui.app as app_module
    from seqlab.render._text import fmt_sig
    from seqlab.tui.screens.backtest import BacktestScreen

    monkeypatch.setattr(app_module, "BACKTEST_FOLDS", 2)  # the run itself is 3 tiny epochs
    app = SeqlabApp(runs_dir="runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_only_run(pilot)
        assert app.query_one("#views").active == "train"
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BacktestScreen), timeout=240)
        result = app.screen.result
        assert result["n_folds"] == result["completed"] == 2
        folds = result["folds"]
        assert [f["fold"] for f in folds] == [1, 2]
        # each fold tests on later rows than the one before
        assert folds[0]["test_from"] < folds[1]["test_from"]
        # the table as drawn: its Static's content at the width it has at 80x24
        shown_table = app.screen.query_one("VerticalScroll > Static", Static)
        width = shown_table.content_region.width
        assert 0 < width <= 80
        console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
        console.print(shown_table.content)
        text = console.export_text()
        lines = text.splitlines()
        assert "…" not in text  # no figure cut to fit
        rows = [(f, rf"(^|\s){f['fold']}\s+{re.escape(f['test_from'])}\s") for f in folds]
        for row, pattern in [*rows, (result["mean"], r"(^|\s)mean\s+\d")]:
            figures = [row[k]["mae"] for k in ("model", "persistence", "seasonal_naive")]
            assert all(np.isfinite(v) and v > 0 for v in figures), row
            if row is result["mean"]:  # the mean row is the mean of the folds
                for k in ("model", "persistence", "seasonal_naive"):
                    assert row[k]["mae"] == np.mean([f[k]["mae"] for f in folds])
            shown = [ln for ln in lines if re.search(pattern, ln)]
            assert len(shown) == 1, (pattern, text)
            for v in figures:  # the model beside both baselines, as the table shows them
                assert fmt_sig(v, 4) in shown[0], (v, shown[0])
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BacktestScreen)
        assert not app._backtesting
