"""Faults in the middle of a command-line run: each signal, a runs dir made read-only, a full
disk. The run ends with one line (or a clean stop), a final status and the files it had."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from seqlab import cli
from seqlab.training import events as ev
from seqlab.training import fileio, record, runs
from seqlab.training.record import read_state
from seqlab.training.trainer import BaseTrainer, load_checkpoint

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--epochs", "4", "--hidden", "3", "--window", "4", "--patience", "0"]


def _csv(tmp: Path) -> Path:
    import math

    path = tmp / "s.csv"
    path.write_text("v\n" + "".join(f"{50 + 10 * math.sin(i / 4)!r}\n" for i in range(80)))
    return path


def _after_epoch_1(monkeypatch: pytest.MonkeyPatch, fault: Any) -> None:
    """Call ``fault()`` once, right after epoch 1 has been recorded."""
    real = BaseTrainer._emit

    def emit(self: BaseTrainer, event: Any) -> None:
        real(self, event)
        if isinstance(event, ev.EpochEnd) and event.epoch == 1:
            fault()

    monkeypatch.setattr(BaseTrainer, "_emit", emit)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_mid_run_stops_it_with_its_weights(
        sig: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _after_epoch_1(monkeypatch, lambda: os.kill(os.getpid(), getattr(signal, sig)))
    code, out, err = _run(["train", str(_csv(tmp_path)), *TINY, "--runs-dir",
                           str(tmp_path / "runs"), "--json"], capsys)
    assert code == 0 and "Traceback" not in err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "stopped" and 1 <= result["epochs"] < 4
    run = Path(result["run_dir"])
    assert read_state(run).status == "stopped"
    for name in ("config.toml", "metrics.jsonl", "summary.json", "model.pt", "predictions.csv"):
        assert (run / name).is_file(), name
    load_checkpoint(run / "model.pt")


def test_kill_9_mid_run_shows_as_crashed(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    runs_dir = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "seqlab", "train", str(_csv(tmp_path)),
                             "--epochs", "100000", "--hidden", "3", "--window", "4",
                             "--runs-dir", str(runs_dir)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = list(runs_dir.glob("*/metrics.jsonl")) if runs_dir.is_dir() else []
            if found:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("no epoch within 120 s")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    (info,) = runs.list_runs(runs_dir)
    assert info.status == "crashed"
    assert (Path(info.run_dir) / "model.pt").is_file()  # the best weights so far survive


FAULTS = {
    # a runs dir made read-only: nothing new can be created in it (no temporary file for an
    # atomic write); files already open or existing can still be written in place
    "read-only-runs-dir": (errno.EACCES, "Permission denied", False),
    # a full disk: no new blocks, neither for new files nor for appends
    "disk-full": (errno.ENOSPC, "No space left on device", True),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_write_fault_mid_run_fails_the_run_in_one_line_keeping_its_files(
        fault: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code_, why, appends_fail = FAULTS[fault]
    broken = {"on": False}
    real_atomic = fileio.atomic_write_bytes
    real_record = record.RunRecorder.record

    def atomic(path: Any, data: bytes) -> None:
        if broken["on"]:
            raise OSError(code_, why, str(path))
        real_atomic(path, data)

    class FullFile:  # the events file on a full disk: every write is refused
        def __init__(self, fh: Any, path: Path) -> None:
            self.fh, self.path = fh, path

        def write(self, text: str) -> int:
            raise OSError(code_, why, str(self.path))

        flush = write

        @property
        def closed(self) -> bool:
            return self.fh.closed

        def close(self) -> None:
            self.fh.close()

    def append(self: record.RunRecorder, event: Any) -> None:
        if broken["on"] and appends_fail and not isinstance(self._fh, FullFile):
            self._fh = FullFile(self._fh, self.run_dir / record.EVENTS_FILE)
        real_record(self, event)

    monkeypatch.setattr(fileio, "atomic_write_bytes", atomic)  # every run file goes through it
    monkeypatch.setattr(record.RunRecorder, "record", append)
    _after_epoch_1(monkeypatch, lambda: broken.update(on=True))
    code, out, err = _run(["train", str(_csv(tmp_path)), *TINY, "--runs-dir",
                           str(tmp_path / "runs")], capsys)
    assert code == 2 and "Traceback" not in out + err
    lines = err.strip().splitlines()
    # the run record says once that it cannot keep up; then the run's end says what failed
    assert len(lines) <= 2 and all(ln.startswith("seqlab: ") for ln in lines), err
    assert lines[-1].startswith("seqlab: error: the run failed: could not write "), err
    (run,) = (tmp_path / "runs").iterdir()
    assert str(run) in lines[-1] and why in lines[-1]
    # what was written before the fault is kept: the config, epoch 1, the best weights so far
    assert (run / "config.toml").is_file()
    metrics = (run / "metrics.jsonl").read_text().splitlines()
    assert len(metrics) == 1 and json.loads(metrics[0])["epoch"] == 1
    load_checkpoint(run / "model.pt")
    state = read_state(run)
    assert state is not None and state.status == "failed" and why in state.raw["reason"]
    assert not list(run.glob(".*.tmp"))  # no half-written temporary file left behind
