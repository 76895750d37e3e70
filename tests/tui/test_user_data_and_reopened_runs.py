"""The lab with the user's own data and runs reopened from disk: the restored model's metrics,
number fields, missing values, markup-like text in data, text runs in the Runs view, focus."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from seqlab.training import events
from seqlab.tui.app import SeqlabApp
from seqlab.tui.runstate import RunState
from tests.tui.conftest import FAKE_RUN, make_fake_run, wait_for


def _render(renderable) -> str:
    console = Console(width=80, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def _epoch(e: int, mae: float, best: bool) -> events.EpochEnd:
    return events.EpochEnd(epoch=e, epochs=20, train_loss=0.1, val_loss=0.2,
                           val={"mae": mae, "rmse": mae, "mape": 1.0}, best=best, seconds=1.0,
                           samples_per_s=100.0, eta_s=1.0)


def test_metrics_show_restored_model_after_run_end() -> None:
    """After early stopping restored epoch 1, 'model val' is the summary's, not epoch 3's."""
    st = RunState()
    for e, mae, best in ((1, 5.0, True), (2, 7.0, False), (3, 9.0, False)):
        st.apply(_epoch(e, mae, best))
    assert st.model_val["mae"] == 9.0  # while training: the last epoch
    st.apply(events.RunEnd(status="finished", reason="early stop", run_dir="", epochs=3,
                           best_epoch=1, seconds=3.0,
                           summary={"val": {"mae": 5.0, "rmse": 5.0, "mape": 1.0},
                                    "test": {"mae": 6.0, "rmse": 6.0, "mape": 1.0}}))
    assert st.model_val["mae"] == 5.0
    assert st.test_metrics["mae"] == 6.0


async def test_train_view_metrics_from_summary_when_reopened(runs_dir: Path) -> None:
    make_fake_run(runs_dir)  # last epoch val mae ≈ 6.6, summary (best epoch 9) val mae 8.1
    app = SeqlabApp(runs_dir="runs")
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.data_ready and app.session.prepared is not None)
        app.open_run(str(Path("runs") / FAKE_RUN))
        await pilot.pause()
        st = app.shown
        assert st.latest_val["mae"] != 8.1
        text = _render(app.views.train._metrics(st))
        lines = text.splitlines()
        head = next(i for i, line in enumerate(lines) if line.split()[:1] == ["val"])
        row = lines[head + 1]  # the model's row leads the val group
        assert row.split()[0] == "model" and "8.1" in row


def _write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


async def test_missing_values_are_the_users_choice(runs_dir: Path) -> None:
    """NaNs under 'error': the engine's message, the file kept, the policy never switched;
    and the chosen policy is not carried to the next file."""
    from textual.widgets import Select

    rows = [f"{i},{'' if i in (10, 20) else 100 + i}" for i in range(120)]
    holes = _write_csv(runs_dir.parent / "holes.csv", "t,y", rows)
    clean = _write_csv(runs_dir.parent / "clean.csv", "t,y",
                       [f"{i},{100 + i}" for i in range(120)])
    app = SeqlabApp(str(holes), runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.data_ready and app.session.table is not None)
        assert app.session.cfg.data.missing == "error"
        assert app.session.prepared is None
        assert Path(app.session.cfg.data.path).name == "holes.csv"
        notes = [n.message for n in app._notifications]
        assert any("missing value" in m and "interpolate" in m for m in notes)
        app.query_one("#missing", Select).value = "interpolate"
        await pilot.pause()
        assert app.session.prepared is not None
        assert app.session.cfg.data.missing == "interpolate"
        app.data_ready = False
        app.load_file(str(clean))
        await wait_for(pilot, lambda: app.data_ready)
        assert Path(app.session.cfg.data.path).name == "clean.csv"
        assert app.session.cfg.data.missing == "error"
        assert app.session.prepared is not None


def _plain(widget) -> str:
    """The text a Static shows (markup already interpreted)."""
    return str(widget.render())


async def test_square_brackets_in_data_are_shown_verbatim(runs_dir: Path) -> None:
    from textual.widgets import DataTable, Select, SelectionList

    csv = _write_csv(runs_dir.parent / "brackets.csv", "t,temp[C],[bold]x",
                     [f"{i},{20 + i % 7},{i * 0.5 + (i * 7) % 5}" for i in range(120)])
    app = SeqlabApp(str(csv), runs_dir=str(runs_dir))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.data_ready and app.session.prepared is not None)
        target = app.query_one("#target", Select)
        prompts = [str(p) for p, _v in target._options]
        assert "temp[C]" in prompts and "[bold]x" in prompts
        feats = app.query_one("#features", SelectionList)
        assert {str(feats.get_option_at_index(i).prompt) for i in range(feats.option_count)} \
            == {"temp[C]", "[bold]x"}
        preview = app.query_one("#preview", DataTable)
        labels = [str(c.label) for c in preview.columns.values()]
        assert any(lab.startswith("temp[C]") for lab in labels)
        assert any(lab.startswith("[bold]x") for lab in labels)
        app.query_one("#target", Select).value = "[bold]x"
        await pilot.pause()
        assert app.session.cfg.data.target == "[bold]x"
        app.query_one("#difference", Select).value = "yes"
        await pilot.pause()
        notes = _plain(app.query_one("#data-notes-text"))
        assert "d[t] = y[t] - y[t-1]" in notes and "'[bold]x'" in notes


def _make_text_run(runs_dir: Path, name: str = "20260102-090000-lstm-text") -> Path:
    import json

    d = runs_dir / name
    d.mkdir(parents=True)
    (d / "config.toml").write_text('[text]\npath = ""\n\n[model]\ncell = "lstm"\n'
                                   "hidden_size = 64\nnum_layers = 1\n", encoding="utf-8")
    (d / "summary.json").write_text(json.dumps(
        {"status": "finished", "kind": "text", "epochs": 5, "val_perplexity": 12.34,
         "unigram_perplexity": 56.7}))
    return d


async def test_runs_view_text_runs_and_focus(runs_dir: Path) -> None:
    from textual.widgets import DataTable

    make_fake_run(runs_dir)
    text_run = _make_text_run(runs_dir)
    app = SeqlabApp(runs_dir="runs")
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.query_one("#runs-table", DataTable).row_count == 2)
        await wait_for(pilot, lambda: app.text_view is not None and app.text_view.is_mounted)
        table = app.query_one("#runs-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(2)]
        text_row = next(r for r in rows if "typed text" in r)
        assert "ppl 12.34" in text_row and "56.7" in text_row and "LSTM 1×64" in text_row
        series_row = next(r for r in rows if r is not text_row)
        assert "mae 8.1" in series_row and "30" in series_row
        await pilot.press("5")
        await wait_for(pilot, lambda: app.focused is table)
        assert table.get_row_at(table.cursor_row) == table.get_row(str(Path("runs") / text_run.name))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.query_one("#views").active == "text")
        assert Path(app.text_view.model_run).name == text_run.name
        assert app.shown is app.live  # the series Train view was not given a text run


async def test_finished_run_reprobes_the_chosen_sample(runs_dir: Path) -> None:
    """After a run, `]` re-probes the next validation sample with the run's best weights (in the
    probe-service child process); a run without a model says the next training will watch it."""
    from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
    from seqlab.training.trainer import Trainer
    from seqlab.tui.session import SAMPLE_DIR

    cfg = RunConfig(
        data=DataConfig(path=str(SAMPLE_DIR / "airline_passengers.csv"), window=12,
                        difference=True),
        model=ModelConfig(cell="gru", hidden_size=4),
        train=TrainConfig(epochs=1, runs_dir=str(runs_dir)),
    )
    end = Trainer(cfg).run()
    make_fake_run(runs_dir)  # a run with no model.pt
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.data_ready and app.session.prepared is not None)
        app.open_run(end.run_dir)
        await wait_for(pilot, lambda: app.shown.probe is not None)
        assert app.shown.probe.sample == 0
        await pilot.press("4", "right_square_bracket")
        await wait_for(pilot, lambda: app.shown.probe.sample == 1, timeout=60)
        assert app.views.hidden._probe.sample == 1
        from seqlab.data import prepare

        run_prep = prepare(cfg.data)  # the run's own windows (its window, not the lab's)
        assert app.shown.probe.labels == run_prep.input_labels(run_prep.val, 1)
        app.open_run(str(runs_dir / FAKE_RUN))
        await pilot.pause()
        app.clear_notifications()
        await pilot.press("4", "right_square_bracket")
        await pilot.pause()
        assert any("next training" in n.message for n in app._notifications), [
            n.message for n in app._notifications]
        await app.action_quit()
    assert app.probe_service is None or not app.probe_service.running


async def test_text_tab_gets_the_focus(runs_dir: Path) -> None:
    app = SeqlabApp(runs_dir="runs", load_default=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.text_view is not None and app.text_view.is_mounted)
        await pilot.press("6")
        await wait_for(pilot, lambda: app.query_one("#views").active == "text")
        await wait_for(pilot, lambda: app.focused is not None
                       and app.text_view in app.focused.ancestors)


async def test_focused_field_is_clearly_visible(runs_dir: Path) -> None:
    """The focused compact Input/Select gets a different, solid background (256 colours too)."""
    from rich.color import ColorSystem
    from textual.widgets import Input, Select
    from textual.widgets._select import SelectCurrent

    def background(widget) -> set[int]:
        return {seg.style.bgcolor.downgrade(ColorSystem.EIGHT_BIT).number
                for seg in widget.render_line(0) if seg.style and seg.style.bgcolor}

    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.data_ready and app.session.prepared is not None)
        window = app.query_one("#window", Input)
        current = app.query_one("#target", Select).query_one(SelectCurrent)
        idle_input, idle_select = background(window), background(current)
        window.focus()
        await pilot.pause()
        assert background(window).isdisjoint(idle_input)
        assert window.region.height == 1  # colour only: the 80×24 layout is unchanged
        app.query_one("#target", Select).focus()
        await pilot.pause()
        assert background(current).isdisjoint(idle_select)


async def test_an_interval_too_few_windows_can_place_is_said_so_not_given_a_coverage(
        runs_dir: Path) -> None:
    """14 validation windows place an 80 % interval but not a 95 % one (it needs 19)."""
    st = RunState()
    st.apply(_epoch(1, 5.0, True))
    intervals = {"80": {"calibration_windows": 14, "halfwidth": [3.3], "coverage_test": 0.73},
                 "95": {"calibration_windows": 14, "halfwidth": [None], "coverage_test": None}}
    st.apply(events.RunEnd(status="finished", reason="done", run_dir="", epochs=1, best_epoch=1,
                           seconds=1.0,
                           summary={"val": {"mae": 5.0, "rmse": 5.0, "mape": 1.0},
                                    "test": {"mae": 6.0, "rmse": 6.0, "mape": 1.0},
                                    "intervals": intervals}))
    app = SeqlabApp(runs_dir="runs")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.views.train.ready)
        text = _render(app.views.train._metrics(st))
    assert "80% interval: test coverage 73%" in text
    assert "95% interval: 14 validation windows are too few to place it" in text
    assert "95% interval: test coverage" not in text
