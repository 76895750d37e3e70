"""Helpers for the TUI tests: waiting on the app, and a fixed run directory on disk."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from seqlab.training import events

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data" / "airline_passengers.csv"
FAKE_RUN = "20260101-120000-lstm-airline_passengers"


async def wait_for(pilot, cond: Callable[[], bool], timeout: float = 30.0, step: float = 0.05):
    """Pause the pilot until cond() holds (fails the test after timeout seconds). A widget
    that is not mounted yet (the views mount theirs after the first frame) counts as not yet."""
    deadline = time.monotonic() + timeout
    while not _holds(cond):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(step)
    await pilot.pause()


async def show_runs(pilot, rows: int):
    """The Runs view from the keyboard once the lab lists ``rows`` runs, its table focused."""
    from textual.widgets import DataTable

    app = pilot.app
    await wait_for(pilot, lambda: app.data_ready)  # views mount after the first frame
    table = app.query_one("#runs-table", DataTable)
    await wait_for(pilot, lambda: table.row_count == rows)
    await pilot.press("5")
    table.focus()
    return table


async def open_only_run(pilot):
    """Open the one listed run as a user does (5, enter) and wait until the lab shows it."""
    await show_runs(pilot, 1)
    await pilot.press("enter")
    await wait_for(pilot, lambda: pilot.app.shown.source == "disk")
    return pilot.app.shown


def _holds(cond: Callable[[], bool]) -> bool:
    from textual.css.query import NoMatches

    try:
        return bool(cond())
    except NoMatches:
        return False


def make_fake_run(runs_dir: Path, name: str = FAKE_RUN) -> Path:
    """A finished LSTM run written the way the trainer writes one (fixed numbers)."""
    d = runs_dir / name
    d.mkdir(parents=True, exist_ok=True)
    cfg = RunConfig(
        data=DataConfig(path="sample_data/airline_passengers.csv", target="passengers",
                        window=12, difference=True),
        model=ModelConfig(cell="lstm", hidden_size=16),
        train=TrainConfig(epochs=20),
    )
    (d / "config.toml").write_text(cfg.to_toml(), encoding="utf-8")
    rows = []
    for e in range(1, 13):
        tl = 0.5 * 0.8**e + 0.02
        vl = 0.6 * 0.85**e + 0.05 + (0.01 * (e - 9) if e > 9 else 0)
        rows.append({"epoch": e, "epochs": 20, "train_loss": tl, "val_loss": vl,
                     "val": {"mae": 40 * vl, "rmse": 50 * vl, "mape": 10 * vl}})
    (d / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    t = np.arange(22)
    lines = ["label,split,step,actual,predicted,baseline"]
    for split, off in (("val", 0), ("test", 22)):
        for i in t:
            k = i + off
            year, month = 1957 + (k + 5) // 12, (k + 5) % 12 + 1
            actual = 350 + 80 * np.sin(k / 2) + 2 * k
            lines.append(f"{year}-{month:02d},{split},1,{actual:.6g},"
                         f"{actual * 0.97 + 5:.6g},{actual - 20:.6g}")
    (d / "predictions.csv").write_text("\n".join(lines) + "\n")
    summary = {"status": "finished", "reason": "early stop after 12 epochs", "kind": "series",
               "epochs": 12, "best_epoch": 9, "params": 1233, "seconds": 3.5,
               "val": {"mae": 8.1, "rmse": 10.2, "mape": 2.1},
               "test": {"mae": 12.5, "rmse": 15.0, "mape": 2.9},
               "baseline_val": {"mae": 30.0, "rmse": 38.0, "mape": 7.5},
               "baseline_test": {"mae": 35.0, "rmse": 44.0, "mape": 8.0},
               "snaive_val": {"mae": 20.0, "rmse": 25.0, "mape": 5.0},
               "snaive_test": {"mae": 40.0, "rmse": 52.0, "mape": 9.0},
               "shapes": {"train": [88, 12, 1], "val": [21, 12, 1], "test": [22, 12, 1]}}
    (d / "summary.json").write_text(json.dumps(summary))
    rng = np.random.default_rng(0)
    T, H = 12, 16
    states = {}
    for kind in ("h", "c", "i", "f", "g", "o"):
        raw = rng.standard_normal((T, H)).astype(np.float32)
        states[f"{kind}/0/fwd"] = (np.tanh(raw) if kind in "hgc" else 1 / (1 + np.exp(-raw))
                                   ).astype(np.float32)
    grads = {"0/fwd": (0.5 * 0.7 ** np.arange(T)[::-1]).astype(np.float32)}
    labels = [f"{1956 + (m + 5) // 12}-{(m + 5) % 12 + 1:02d}" for m in range(T)]
    probe = events.ProbeSnapshot(epoch=12, split="val", sample=0, labels=labels, states=states,
                                 grads=grads, loss=0.05, max_abs_error=1e-7)
    (d / "probe.json").write_text(events.dumps(probe))
    return d


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run directory written by the real trainer, as `seqlab train` writes it (tiny run).

    It runs in a child process, like every training the lab starts, so this test process
    stays free of torch. A change in the run files the trainer writes reaches the TUI tests.
    """
    runs = tmp_path_factory.mktemp("real-runs")
    r = subprocess.run(
        [sys.executable, "-m", "seqlab", "train", str(SAMPLE), "--difference", "--model", "lstm",
         "--hidden", "4", "--window", "12", "--epochs", "3", "--patience", "0", "--threads", "1",
         "--runs-dir", str(runs), "--json"],
        capture_output=True, text=True, timeout=280, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    if r.returncode != 0:
        pytest.fail(f"seqlab train failed ({r.returncode}): {r.stderr[-2000:]}")
    return Path(json.loads(r.stdout.strip().splitlines()[-1])["run_dir"])


@pytest.fixture
def real_run(trained_run: Path, runs_dir: Path) -> Path:
    """The trainer's run copied into this test's runs/ folder (tests may not share edits)."""
    return Path(shutil.copytree(trained_run, runs_dir / trained_run.name))


@pytest.fixture
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """cwd = a fresh folder holding runs/ (so the UI shows the stable path 'runs')."""
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "runs"
    d.mkdir()
    return d


def run_sync(coro):
    return asyncio.get_event_loop().run_until_complete(coro)
