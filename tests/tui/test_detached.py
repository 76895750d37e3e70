"""Runs outlive the lab: started detached, followed through events.jsonl, steered through the
control channel. Real (tiny) runs on CPU; nothing here is skipped without a GPU."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from seqlab.training import record
from seqlab.training.control import ControlClient
from seqlab.training.events import EpochEnd, RunStarted, StepEnd
from seqlab.tui.app import SeqlabApp
from seqlab.tui.runstate import RunState
from tests.tui.conftest import REPO, SAMPLE, wait_for

RUN_FILES = ("config.toml", "events.jsonl", "state.json", "model.pt", "summary.json",
             "metrics.jsonl", "predictions.csv")


def tiny_config(runs_dir: Path, epochs: int) -> RunConfig:
    return RunConfig(
        data=DataConfig(path=str(SAMPLE), target="passengers", window=12, difference=True),
        model=ModelConfig(cell="gru", hidden_size=8),
        train=TrainConfig(epochs=epochs, patience=0, runs_dir=str(runs_dir), threads=1,
                          batch_size=16),
    )


def start_run(runs_dir: Path, epochs: int) -> Path:
    """A run started the way `seqlab train --detach` starts one (no lab involved)."""
    run_dir = runs_dir / "detached-run"
    run_dir.mkdir(parents=True)
    cfg_path = run_dir / "config.toml"
    cfg_path.write_text(tiny_config(runs_dir, epochs).to_toml(), encoding="utf-8")
    record.start_detached(cfg_path, run_dir)
    return run_dir


def wait_state(run_dir: Path, cond, timeout: float = 90.0) -> record.RunStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = record.read_state(run_dir)
        if st is not None and cond(st):
            return st
        time.sleep(0.2)
    raise AssertionError(f"{run_dir.name}: state not reached in {timeout}s "
                         f"({record.read_state(run_dir)})")


def stop_and_wait(run_dir: Path) -> None:
    st = record.read_state(run_dir)
    if st is not None and st.live:
        ControlClient.for_run(run_dir).stop()
        wait_state(run_dir, lambda s: not s.live, timeout=60)


def _same_fold(a: RunState, b: RunState) -> None:
    for name in ("kind", "run_dir", "status", "epochs_total", "steps_per_epoch", "params",
                 "device", "shapes", "baseline_val", "baseline_test", "test_metrics", "epochs",
                 "step_x", "best_epoch", "summary", "epoch"):
        assert getattr(a, name) == getattr(b, name), name
    for name in ("train_loss", "val_loss", "step_loss"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert json.dumps(a.val_metrics, default=str) == json.dumps(b.val_metrics, default=str)
    assert a.predictions.keys() == b.predictions.keys()
    for split in a.predictions:
        np.testing.assert_array_equal(a.predictions[split].predicted,
                                      b.predictions[split].predicted)
    assert (a.probe.epoch, a.probe.sample) == (b.probe.epoch, b.probe.sample)
    for key in a.probe.states:
        np.testing.assert_array_equal(a.probe.states[key], b.probe.states[key])


async def test_a_run_started_in_the_lab_outlives_it_and_its_log_folds_like_the_live_stream(
        runs_dir: Path) -> None:
    app = SeqlabApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session.prepared is not None)
        app.session.update_model(cell="gru", hidden_size=8)
        app.session.update_train(epochs=4, patience=0)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.live.status == "finished", timeout=120)
        live = app.live
        replayed = RunState.replay(record.read_events(live.run_dir)[0])
        _same_fold(live, replayed)  # every event reached the fold, none twice

        app.session.update_train(epochs=60)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: len(app.live.epochs) >= 1, timeout=120)
        run_dir = Path(app.live.run_dir)
        # held paused over the lab's exit: a run of 60 small epochs could otherwise end before a
        # slow lab has quit, and then nothing would show that it outlived the lab
        ControlClient.for_run(run_dir).pause()
        wait_state(run_dir, lambda s: s.status == "paused")
        await pilot.press("escape", "q")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "QuitRunScreen")
        await pilot.press("enter")  # the default: keep it running
    try:
        st = record.read_state(run_dir)
        assert st is not None and st.live and st.status == "paused" and st.epoch < 60, st
        ControlClient.for_run(run_dir).resume()  # from another client, the lab gone
        st = wait_state(run_dir, lambda s: not s.live, timeout=300)  # trains on to the end
        assert st.status == "finished" and st.epoch == 60, st
        for name in RUN_FILES:
            assert (run_dir / name).is_file(), name
        assert RunState.replay(record.read_events(run_dir)[0]).epochs == list(range(1, 61))
    finally:
        stop_and_wait(run_dir)


async def test_two_labs_follow_one_run_and_a_late_one_sees_the_epochs_so_far(
        runs_dir: Path) -> None:
    run_dir = start_run(runs_dir, epochs=400)
    try:
        first = SeqlabApp(runs_dir=str(runs_dir), load_default=False, attach=str(run_dir))
        async with first.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: len(first.live.epochs) >= 2, timeout=120)
            seen = len(first.live.epochs)
            second = SeqlabApp(runs_dir=str(runs_dir), load_default=False)
            async with second.run_test(size=(80, 24)) as pilot2:
                # the Runs view lists the live run first; Enter follows it
                await pilot2.press("5")
                live = second.views.runs.query_one("#live-table")
                await wait_for(pilot2, lambda: live.row_count == 1)
                cells = [str(c) for c in live.get_row_at(0)]
                assert cells[0] == "detached-run" and cells[1].endswith("/400")
                assert cells[5] == "cpu" and cells[6].isdigit()
                await pilot2.press("enter")
                await wait_for(pilot2, lambda: len(second.live.epochs) >= seen, timeout=30)
                assert second.live.epochs[:seen] == first.live.epochs[:seen]
                assert second.live.val_loss[:seen] == first.live.val_loss[:seen]
                assert second.live.status == "running"
                n = len(second.live.epochs)
                await wait_for(pilot2, lambda: len(second.live.epochs) > n + 1, timeout=60)
                await wait_for(pilot, lambda: len(first.live.epochs) >= n + 2, timeout=30)
                # the Train view draws the followed run, as if it had been started there
                loss = second.views.train.query_one("#loss-plot").data
                assert len(loss["series"][1].x) >= n
                # [ and ] steer the watched sample of the live run, from either lab
                await pilot2.press("4", "right_square_bracket")
                await wait_for(pilot2, lambda: second.live.probe is not None
                               and second.live.probe.sample == 1, timeout=60)
                await wait_for(pilot, lambda: first.live.probe.sample == 1, timeout=30)
                await second._leave()
            await first._leave()
        st = record.read_state(run_dir)
        assert st is not None and st.status == "running"  # following never stopped it
    finally:
        stop_and_wait(run_dir)


LAB = r"""
import asyncio, sys
from pathlib import Path
from seqlab.tui.app import SeqlabApp

runs = Path(sys.argv[1])

async def main():
    app = SeqlabApp(runs_dir=str(runs))
    async with app.run_test(size=(80, 24)) as pilot:
        while app.session.prepared is None:
            await pilot.pause(0.1)
        app.session.update_model(cell="gru", hidden_size=8)
        app.session.update_train(epochs=400, patience=0)
        await pilot.press("ctrl+t")
        while not app.live.epochs:
            await pilot.pause(0.1)
        print(app.live.run_dir, flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


def test_a_hang_up_of_the_lab_leaves_the_run_training(runs_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # the lab as a terminal starts it, with hang-up at its default action: a suite run under
    # nohup ignores SIGHUP, and a child inherits that, so the hang-up would never reach the lab
    lab = subprocess.Popen([sys.executable, "-c", LAB, str(runs_dir)], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, cwd=runs_dir.parent, env=env,
                           preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
    run_dir = None
    try:
        line = lab.stdout.readline()  # type: ignore[union-attr]
        assert line.strip(), "the lab did not start a run"
        run_dir = Path(line.strip())
        lab.send_signal(signal.SIGHUP)
        lab.wait(timeout=30)
        st = record.read_state(run_dir)
        assert st is not None and st.status == "running", st
        epoch = st.epoch
        st = wait_state(run_dir, lambda s: s.epoch > epoch)
        assert st.status == "running"
    finally:
        if lab.poll() is None:
            lab.kill()
            lab.wait()
        if run_dir is not None:
            stop_and_wait(run_dir)


async def test_the_train_view_shows_the_gpu_only_when_the_run_reports_one(
        runs_dir: Path) -> None:
    app = SeqlabApp(runs_dir=str(runs_dir), load_default=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        st = app.live
        st.apply(RunStarted("runs/x", "cuda:0", 100, 5, 4, {}, {}, {}, {}))
        st.apply(StepEnd(1, 1, 4, 1, 0.5, 1234.0))
        app.views.train.show(st, urgent=True)
        await pilot.pause()
        status = str(app.views.train.query_one("#train-status").render())
        assert "1,234 samples/s" in status and "GPU" not in status
        stats = {"mem_allocated": 300 * 2**20, "mem_peak": 700 * 2**20, "util": 64.0,
                 "power_w": 88.0}
        st.apply(EpochEnd(1, 5, 0.4, 0.5, {}, True, 1.0, 1300.0, 4.0, device_stats=stats))
        app.views.train.show(st, urgent=True)
        await pilot.pause()
        status = str(app.views.train.query_one("#train-status").render())
        assert "1,300 samples/s · GPU 300/700 MiB · util 64% · 88 W" in status
        assert not math.isnan(st.gpu.mem_peak or math.nan)
