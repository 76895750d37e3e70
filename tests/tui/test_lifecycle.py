"""Quitting during training, a failing training, and import hygiene."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from seqlab.training import record
from seqlab.tui.app import SeqlabApp
from seqlab.tui.screens.quit_run import QuitRunScreen
from tests.tui.conftest import REPO, SAMPLE, wait_for


async def test_quit_during_training_can_stop_the_run(runs_dir: Path) -> None:
    """Quitting while a run trains asks; "stop it" ends the run, saved as stopped."""
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        app.session.update_model(cell="gru", hidden_size=8)
        app.session.update_train(epochs=500, patience=0)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: len(app.live.epochs) >= 1, timeout=60)
        run_dir = Path(app.live.run_dir)
        await pilot.press("escape", "q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitRunScreen))
        await pilot.press("s")
    state = record.read_state(run_dir)
    assert state is not None and state.status == "stopped"  # no orphan training
    summaries = list(runs_dir.glob("*/summary.json"))
    assert len(summaries) == 1
    assert json.loads(summaries[0].read_text())["status"] == "stopped"
    assert (run_dir / "model.pt").is_file()


async def test_training_failure_is_reported_and_app_stays_usable(runs_dir: Path) -> None:
    data = runs_dir.parent / "vanishing.csv"
    shutil.copy(SAMPLE, data)
    app = SeqlabApp(str(data), runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        data.unlink()  # the worker will not find the file
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.live.status not in ("starting", "running"), timeout=60)
        assert app.live.status == "failed" and app.live.reason
        assert any(n.severity == "error" for n in app._notifications)
        await pilot.press("2")  # still answering keys, data still loaded
        assert app.screen_stack[0].query_one("#views").active == "model"
        assert app.session.prepared is not None


def test_tui_imports_no_torch() -> None:
    code = "import sys, seqlab.tui.app; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_engine_imports_no_textual() -> None:
    mods = ["seqlab.config", "seqlab.errors", "seqlab.data", "seqlab.render",
            "seqlab.training.events", "seqlab.training.runs", "seqlab.tui.session",
            "seqlab.tui.runstate"]
    code = ("import importlib, sys\n"
            f"for m in {mods!r}:\n"
            "    importlib.import_module(m)\n"
            "    assert 'textual' not in sys.modules, m\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


async def test_quit_within_the_first_frames_waits_for_the_mount_and_ends_cleanly(
        tmp_path: Path) -> None:
    """q (or ctrl+c) arriving while the views mount their widgets: the lab quits once they
    have, with no traceback (a widget pruned in the middle of its mount raised one)."""
    asked: list[bool] = []

    class QuitEarly(SeqlabApp):
        def _catch_up(self, view) -> None:  # the first view is mounted, the rest are not
            super()._catch_up(view)
            if not asked:
                asked.append(self._mounting)
                self.exit()  # as q and ctrl+c do

    app = QuitEarly(runs_dir=str(tmp_path / "runs"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(asked))
    assert asked == [True] and app._exception is None
    assert app.views.runs.ready and app.text_view is not None  # the mount went to its end


async def test_the_lab_collects_cycles_itself_and_gives_collection_back_when_it_ends(
        runs_dir: Path) -> None:
    """While the lab runs, CPython's automatic collection is off (the pacer collects between
    keys); once it has ended, the process collects as before."""
    import gc

    assert gc.isenabled()
    app = SeqlabApp(str(SAMPLE), runs_dir="runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.data_ready)
        assert not gc.isenabled() and app._gc.running
        await pilot.press("q")
    assert gc.isenabled()


def test_the_quit_question_says_paused_for_a_paused_run() -> None:
    from seqlab.tui.screens.quit_run import QuitRunScreen

    assert QuitRunScreen(["a"]).question() == "The run is still training: a."
    assert QuitRunScreen(["a"], [True]).question() == "The run is paused: a."
    assert QuitRunScreen(["a", "b"], [True, True]).question() == "The runs are paused: a, b."
    assert QuitRunScreen(["a", "b"], [False, True]).question() == (
        "The runs are not finished: a (training), b (paused).")
