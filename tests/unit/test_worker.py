"""The training child process: JSON-lines events out, `stop` / `probe N` in."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from seqlab.training.events import EpochEnd, ProbeSnapshot, RunEnd, RunStarted, loads

READ_TIMEOUT_S = 120.0  # per line: a hung worker fails the test instead of hanging the suite


def lines_of(proc: subprocess.Popen[str], timeout: float = READ_TIMEOUT_S) -> Iterator[str]:
    """The child's stdout lines, each awaited at most ``timeout`` seconds (then it is killed)."""
    assert proc.stdout is not None
    q: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        try:
            for line in proc.stdout:  # type: ignore[union-attr]
                q.put(line)
        except ValueError:  # stdout closed by the test
            pass
        finally:
            q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    while True:
        try:
            line = q.get(timeout=timeout)
        except queue.Empty:
            proc.kill()
            pytest.fail(f"the worker wrote nothing for {timeout:g} s")
        if line is None:
            return
        yield line


def test_worker_streams_events_and_stops_on_request(sine_csv: Path, tmp_path: Path) -> None:
    cfg = RunConfig(
        data=DataConfig(path=str(sine_csv), target="sales", window=12),
        model=ModelConfig(cell="lstm", hidden_size=8),
        train=TrainConfig(epochs=500, batch_size=4, patience=0, runs_dir=str(tmp_path / "runs")),
    )
    path = tmp_path / "cfg.toml"
    path.write_text(cfg.to_toml())
    proc = subprocess.Popen(
        [sys.executable, "-m", "seqlab.training.worker", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdin and proc.stdout
    events = []
    for line in lines_of(proc):
        event = loads(line)
        events.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 1:
            proc.stdin.write("probe 3\n")
            proc.stdin.flush()
        if isinstance(event, ProbeSnapshot) and event.sample == 3:
            proc.stdin.write("stop\n")
            proc.stdin.flush()
        if isinstance(event, RunEnd):
            break
    proc.wait(timeout=60)
    assert isinstance(events[0], RunStarted)
    end = events[-1]
    assert isinstance(end, RunEnd) and end.status == "stopped", end
    assert end.epochs < 500
    assert (Path(end.run_dir) / "summary.json").is_file()
    assert proc.returncode == 0


def test_worker_reports_bad_data_as_a_failed_run(tmp_path: Path) -> None:
    cfg = RunConfig(data=DataConfig(path=str(tmp_path / "missing.csv")))
    path = tmp_path / "cfg.toml"
    path.write_text(cfg.to_toml())
    out = subprocess.run(
        [sys.executable, "-m", "seqlab.training.worker", str(path)],
        input="", capture_output=True, text=True, timeout=60,
    )
    end = loads(out.stdout.strip().splitlines()[-1])
    assert isinstance(end, RunEnd) and end.status == "failed" and "not found" in end.reason
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_worker_keeps_the_run_when_the_front_end_vanishes(sine_csv: Path, tmp_path: Path) -> None:
    """Terminal closed / SSH dropped: SIGHUP and a dead stdout still save a 'stopped' run."""
    import json
    import signal
    import time

    cfg = RunConfig(
        data=DataConfig(path=str(sine_csv), target="sales", window=12),
        model=ModelConfig(cell="lstm", hidden_size=8),
        train=TrainConfig(epochs=5000, batch_size=4, patience=0, runs_dir=str(tmp_path / "runs")),
    )
    path = tmp_path / "cfg.toml"
    path.write_text(cfg.to_toml())
    proc = subprocess.Popen(
        [sys.executable, "-m", "seqlab.training.worker", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert proc.stdout
    for line in lines_of(proc):
        if isinstance(loads(line), EpochEnd):
            break
    proc.stdout.close()  # the reader is gone
    proc.send_signal(signal.SIGHUP)
    proc.wait(timeout=60)
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1
    deadline = time.time() + 5
    while not (runs[0] / "summary.json").exists() and time.time() < deadline:
        time.sleep(0.1)
    summary = json.loads((runs[0] / "summary.json").read_text())
    assert summary["status"] == "stopped"
    assert (runs[0] / "model.pt").is_file()
