"""Pilot tests of the lab: the main flow with a real training process, bad input, quitting."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from textual.widgets import DataTable, Input, Select

from seqlab.tui.app import SeqlabApp
from seqlab.tui.views.forms import Field
from seqlab.tui.widgets.plots import PlotView
from seqlab.tui.widgets.statepanel import StatePanel, colour_scale
from tests.tui.conftest import make_fake_run, open_only_run, wait_for


def _field(app: SeqlabApp, wid: str) -> Field:
    return next(a for a in app.query_one(f"#{wid}").ancestors if isinstance(a, Field))


async def _type(pilot, app: SeqlabApp, wid: str, text: str, *, enter: bool = True) -> None:
    """Type text into a cleared field, then (by default) press enter to apply it."""
    inp = app.query_one(f"#{wid}", Input)
    inp.focus()
    await pilot.pause()
    inp.value = ""
    await pilot.press(*list(text))
    if enter:
        await pilot.press("enter")
    await pilot.pause()


async def test_main_flow(runs_dir: Path) -> None:
    """open sample → change model → train → curves → heatmap → stop → runs list has it."""
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        assert Path(app.session.cfg.data.path).name == "airline_passengers.csv"
        assert app.session.shapes()["train"][1:] == [24, 1]  # the engine's default window

        await pilot.press("2")
        assert app.query_one("#views").active == "model"
        app.query_one("#cell", Select).value = "gru"
        await _type(pilot, app, "hidden_size", "8")
        await _type(pilot, app, "epochs", "400")
        await _type(pilot, app, "patience", "0")
        m = app.session.cfg.model
        assert (m.cell, m.hidden_size, app.session.cfg.train.epochs) == ("gru", 8, 400)
        assert "GRU (8)" in str(app.query_one("#model-flow").render())

        await pilot.press("escape", "ctrl+t")
        await wait_for(pilot, lambda: len(app.live.epochs) >= 2, timeout=90)
        series = app.query_one("#loss-plot", PlotView).data["series"]
        assert {s.name for s in series} >= {"train", "val"}
        assert all(len(s.x) >= 2 for s in series if s.name in ("train", "val"))

        await pilot.press("4")  # the Hidden view draws its map when it is shown
        await wait_for(pilot, lambda: app.query_one("#heatmap", StatePanel).values is not None)
        hm = app.query_one("#heatmap", StatePanel)
        prep = app.session.prepared
        assert hm.values.shape == (24, 8)
        assert hm.labels == prep.input_labels(prep.val, 0)

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not app.live.active, timeout=30)
        assert app.live.status == "stopped"
        await wait_for(pilot, lambda: app.query_one("#runs-table", DataTable).row_count == 1)
        run_dir = Path(app.live.run_dir)
        assert run_dir.parent == runs_dir.resolve() or run_dir.parent == runs_dir
        assert "stopped" in (run_dir / "summary.json").read_text()
        table = app.query_one("#runs-table", DataTable)
        assert "stopped" in [str(c) for c in table.get_row_at(0)]


async def test_bad_file_keeps_data(runs_dir: Path) -> None:
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        table, path = app.session.table, app.session.cfg.data.path
        bad = runs_dir.parent / "broken.csv"
        bad.write_text("just words\nno numbers here\n")
        for p in ("/no/such/file.csv", str(bad)):
            app.data_ready = False
            app.load_file(p)
            await wait_for(pilot, lambda: app.data_ready)
        notes = list(app._notifications)
        assert len(notes) == 2 and all(n.severity == "error" for n in notes)
        assert "not found" in notes[0].message
        assert app.session.table is table and app.session.cfg.data.path == path
        assert app.session.prepared is not None


async def test_bad_setting_refused_at_field(runs_dir: Path) -> None:
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        await _type(pilot, app, "window", "500")  # longer than the series: refused as a whole
        assert _field(app, "window").has_class("-invalid")
        assert app.session.cfg.data.window == 24  # not 5 or 50 from the keystrokes
        assert app.session.shapes()["train"][1] == 24
        assert any("window = 24" in str(n.message) for n in app._notifications)
        await pilot.press("tab")  # leaving the field puts back the value in use
        await pilot.pause()
        assert app.query_one("#window", Input).value == "24"
        assert not _field(app, "window").has_class("-invalid")
        await _type(pilot, app, "split", "0.9,0.2,0.1", enter=False)
        assert "add up to 1" in str(_field(app, "split").query_one(".field-error").render())
        app.clear_notifications()
        await pilot.press("tab")  # leaving the field notifies and restores
        await pilot.pause()
        assert any(n.severity == "warning" and "add up to 1" in n.message
                   for n in app._notifications)
        assert app.query_one("#split", Input).value == "0.7,0.15,0.15"
        await _type(pilot, app, "window", "12")
        assert not _field(app, "window").has_class("-invalid")
        assert app.session.shapes()["train"][1] == 12
        await pilot.press("escape", "2")
        await _type(pilot, app, "hidden_size", "0")
        assert "hidden size" in str(_field(app, "hidden_size").query_one(".field-error").render())
        assert app.session.cfg.model.hidden_size == 32


async def test_number_fields_apply_whole_values(runs_dir: Path) -> None:
    """Keystrokes are checked, not applied: 32 into lr is refused whole, -5 is typeable."""
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        await pilot.press("2")
        lr = app.session.cfg.train.lr
        await _type(pilot, app, "lr", "32", enter=False)
        assert app.session.cfg.train.lr == lr  # "3" was never applied
        assert "learning rate" in str(_field(app, "lr").query_one(".field-error").render())
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.cfg.train.lr == lr
        assert any("learning rate" in n.message for n in app._notifications)
        await pilot.press("tab")
        await pilot.pause()
        assert app.query_one("#lr", Input).value == f"{lr:g}"
        app.clear_notifications()
        await _type(pilot, app, "hidden_size", "-5", enter=False)
        assert app.query_one("#hidden_size", Input).value == "-5"
        await pilot.press("tab")
        await pilot.pause()
        assert app.session.cfg.model.hidden_size == 32
        assert app.query_one("#hidden_size", Input).value == "32"
        assert any("hidden size" in n.message and "-5" in n.message
                   for n in app._notifications)
        await _type(pilot, app, "hidden_size", "48")
        assert app.session.cfg.model.hidden_size == 48


async def test_open_run_from_disk(runs_dir: Path) -> None:
    make_fake_run(runs_dir)
    app = SeqlabApp(runs_dir="runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_only_run(pilot)
        assert app.query_one("#views").active == "train"
        assert len(app.shown.epochs) == 12 and set(app.shown.predictions) == {"val", "test"}
        await pilot.press("4", "k")
        hv = app.query_one("#heatmap", StatePanel)
        assert hv.values is not None and hv.kind == "c"  # c after h
        await pilot.press("k")
        assert hv.kind == "i"  # a gate: fixed 0–1 scale
        assert colour_scale(hv.kind) == ("sequential", 0.0, 1.0)


async def test_open_a_run_the_trainer_wrote(real_run: Path) -> None:
    """The lab reads what the real trainer writes: every view agrees with the run's files."""
    summary = json.loads((real_run / "summary.json").read_text())
    metrics = [json.loads(x) for x in (real_run / "metrics.jsonl").read_text().splitlines()]
    with open(real_run / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    probe = json.loads((real_run / "probe.json").read_text())
    app = SeqlabApp(runs_dir="runs")
    async with app.run_test(size=(80, 24)) as pilot:
        st = await open_only_run(pilot)
        assert app.query_one("#views").active == "train"
        assert Path(st.run_dir).name == real_run.name
        assert st.status == summary["status"] == "finished"
        assert st.epochs == [m["epoch"] for m in metrics] == [1, 2, 3]
        assert st.val_loss == [m["val_loss"] for m in metrics]
        assert st.best_epoch == summary["best_epoch"]
        assert st.baseline_test["mae"] == summary["baseline_test"]["mae"]
        assert st.test_metrics["rmse"] == summary["test"]["rmse"]
        assert st.shapes == summary["shapes"]
        for split in ("val", "test"):
            first = [r for r in rows if r["split"] == split and r["step"] == "1"]
            shown = st.predictions[split]
            assert shown.labels == [r["label"] for r in first] and len(first) > 0
            assert shown.actual.tolist() == [float(r["actual"]) for r in first]
            assert shown.baseline.tolist() == [float(r["baseline"]) for r in first]
        assert st.probe is not None and st.probe.epoch == probe["epoch"]
        assert set(st.probe.states) == set(probe["states"]) >= {"h/0/fwd", "c/0/fwd", "f/0/fwd"}
        await pilot.press("4")
        await pilot.pause()
        assert app.query_one("#heatmap", StatePanel).values is not None


async def test_help_and_palette(runs_dir: Path) -> None:
    app = SeqlabApp(runs_dir=str(runs_dir), load_default=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for t in ("Open file", "Train", "Stop training", "Help", "Toggle log scale",
                  "View: Hidden", "Next state or gate", "Refresh runs"):
            assert t in titles


async def test_open_dialog_sample_and_path_completion(runs_dir: Path) -> None:
    from seqlab.tui.screens.open_file import OpenFileScreen, PathSuggester
    from seqlab.tui.session import SAMPLE_DIR

    app = SeqlabApp(runs_dir=str(runs_dir), load_default=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, OpenFileScreen)
        names = [str(o.prompt) for o in app.screen.query_one("#samples").options]
        assert "sunspots_yearly.csv" in names
        await pilot.press(*["down"] * names.index("sunspots_yearly.csv"), "enter")
        await wait_for(pilot, lambda: app.session.prepared is not None)
        assert Path(app.session.cfg.data.path).name == "sunspots_yearly.csv"
    suggestion = await PathSuggester().get_suggestion(str(SAMPLE_DIR / "airline_p"))
    assert suggestion == str(SAMPLE_DIR / "airline_passengers.csv")


async def test_target_and_features_change_shapes(runs_dir: Path) -> None:
    from textual.widgets import SelectionList

    csv = runs_dir.parent / "macro.csv"
    rows = ["quarter,gdp,rate,unemp"]
    for i in range(120):
        rows.append(f"{1990 + i // 4}-{(i % 4) * 3 + 1:02d}-01,{100 + i},{2 + (i % 7) / 10},"
                    f"{5 + (i % 11) / 10}")
    csv.write_text("\n".join(rows) + "\n")
    app = SeqlabApp(str(csv), runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        assert app.session.shapes()["train"][2] == 3
        app.query_one("#target", Select).value = "rate"
        await pilot.pause()
        assert app.session.cfg.data.target == "rate"
        feats = app.query_one("#features", SelectionList)
        feats.deselect("unemp")
        await pilot.pause()
        assert app.session.shapes()["train"][2] == 2
        window = app.session.cfg.data.window
        assert f"(batch, {window}, 2)" in str(app.query_one("#model-flow").render())


async def test_train_from_a_field_with_a_refused_value_does_not_start(runs_dir: Path) -> None:
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        await _type(pilot, app, "window", "500", enter=False)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.live.status == "idle" and not app.live.run_dir
        assert _field(app, "window").has_class("-invalid")
        assert app.session.cfg.data.window == 24
