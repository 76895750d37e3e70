"""The run record: events.jsonl, state.json, checkpoints, the control channel, resume."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from seqlab.training import events as ev
from seqlab.training.control import ControlClient, ControlError, ControlServer, check_channel
from seqlab.training.record import (
    EventTail,
    read_events,
    read_state,
    start_detached,
    write_state,
)


def _cfg(csv: Path, runs: Path, **train: Any) -> RunConfig:
    base = {"epochs": 4, "batch_size": 16, "patience": 0, "runs_dir": str(runs), "seed": 3}
    base.update(train)
    return RunConfig(
        data=DataConfig(path=str(csv), target="sales", window=12),
        model=ModelConfig(cell="lstm", hidden_size=8, num_layers=2, dropout=0.2),
        train=TrainConfig(**base),
    )


def _wait(predicate: Any, timeout: float = 90.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# ---------------------------------------------------------------------------- EventTail
def _epoch(k: int) -> ev.EpochEnd:
    return ev.EpochEnd(epoch=k, epochs=9, train_loss=1.0 / k, val_loss=2.0 / k, val={"mae": 1.0},
                       best=True, seconds=float(k), samples_per_s=10.0, eta_s=1.0)


def test_tail_follows_a_growing_file_and_skips_a_corrupt_line(tmp_path: Path) -> None:
    tail = EventTail(tmp_path)
    assert tail.read_new() == []  # no file yet
    path = tmp_path / "events.jsonl"
    one, two, three = (ev.dumps(_epoch(k)) for k in (1, 2, 3))
    path.write_text(one + "\n" + two[:20])  # the second line is still being written
    got = tail.read_new()
    assert [e.epoch for e in got] == [1]
    with open(path, "a") as fh:
        fh.write(two[20:] + "\n" + '{"type": "EpochEnd", "epo' + "\n" + "\x00garbage\n" + three + "\n")
    got = tail.read_new()
    assert [e.epoch for e in got] == [2, 3]
    assert tail.skipped == 2
    assert tail.notes[0].startswith("line 3 of events.jsonl skipped")
    assert tail.notes[1].startswith("line 4 of events.jsonl skipped")
    assert tail.read_new() == []


def test_read_events_notes_a_truncated_last_line(tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").write_text(ev.dumps(_epoch(1)) + "\n" + ev.dumps(_epoch(2))[:30])
    events, notes = read_events(tmp_path)
    assert [e.epoch for e in events] == [1]
    assert len(notes) == 1 and "line 2" in notes[0] and "truncated" in notes[0]


def test_events_decode_ignores_fields_a_newer_writer_added() -> None:
    obj = json.loads(ev.dumps(_epoch(1)))
    obj["ok"] = True
    obj["from_the_future"] = 1
    assert ev.from_json(obj) == _epoch(1)


# ---------------------------------------------------------------------------- state.json
def test_a_live_state_whose_process_is_gone_is_crashed(tmp_path: Path) -> None:
    import subprocess
    import sys

    from seqlab.training.record import host_name, proc_start_time

    me = os.getpid()
    write_state(tmp_path, pid=me, proc_start=proc_start_time(me), host=host_name(),
                started=time.time(), status="running", epoch=1, epochs=5)
    st = read_state(tmp_path)
    assert st is not None and st.status == "running" and st.live
    # the pid was reused by another process: its start time differs
    write_state(tmp_path, proc_start=(proc_start_time(me) or 0) + 1)
    assert read_state(tmp_path).status == "crashed"  # type: ignore[union-attr]
    # a process that has exited
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    write_state(tmp_path, pid=child.pid, proc_start=None)
    st = read_state(tmp_path)
    assert st is not None and st.status == "crashed" and not st.live
    assert st.recorded_status == "running"
    # another host: cannot be checked from here
    write_state(tmp_path, host=host_name() + "-elsewhere")
    st = read_state(tmp_path)
    assert st is not None and st.status == "running" and st.remote
    # final statuses are shown as written
    write_state(tmp_path, host=host_name(), status="stopped")
    assert read_state(tmp_path).status == "stopped"  # type: ignore[union-attr]
    (tmp_path / "state.json").write_text("{not json")
    assert read_state(tmp_path) is None


def test_in_process_run_records_every_event_state_and_checkpoints(
        sine_csv: Path, tmp_path: Path) -> None:
    from seqlab.training.trainer import Trainer, load_checkpoint

    seen: list[Any] = []
    run_dir = tmp_path / "run"
    trainer = Trainer(_cfg(sine_csv, tmp_path / "runs", epochs=3), callback=seen.append,
                      run_dir=run_dir)
    end = trainer.run()
    assert end.status == "finished"
    logged, notes = read_events(run_dir)
    assert notes == []
    assert [ev.dumps(e) for e in logged] == [ev.dumps(e) for e in seen]  # the file is the stream
    assert isinstance(logged[0], ev.RunStarted) and isinstance(logged[-1], ev.RunEnd)
    st = read_state(run_dir)
    assert st is not None and st.status == "finished" and st.epoch == 3 and st.epochs == 3
    assert st.pid == os.getpid() and st.kind == "series" and st.device == "cpu"
    best = min(e.val_loss for e in logged if isinstance(e, ev.EpochEnd))
    assert st.best_val_loss == pytest.approx(best)
    assert not (run_dir / "control").exists()  # removed with the run
    model, _, _ = load_checkpoint(run_dir / "model.pt")
    assert sum(p.numel() for p in model.parameters()) == end.summary["params"]
    assert (run_dir / "last.pt").is_file()


def test_the_best_checkpoint_is_written_when_validation_improves(
        sine_csv: Path, tmp_path: Path) -> None:
    """model.pt exists as soon as an epoch improved, before the run ends."""
    from seqlab.training.trainer import Trainer

    run_dir = tmp_path / "run"
    found: list[bool] = []

    def on_event(event: Any) -> None:
        if isinstance(event, ev.EpochEnd) and event.epoch == 1:
            found.append((run_dir / "model.pt").is_file())

    Trainer(_cfg(sine_csv, tmp_path / "runs", epochs=2), callback=on_event, run_dir=run_dir).run()
    assert found == [True]


# ---------------------------------------------------------------------------- resume
def test_resume_after_a_stop_matches_an_uninterrupted_run(sine_csv: Path, tmp_path: Path) -> None:
    from seqlab.training.trainer import Trainer

    cfg = _cfg(sine_csv, tmp_path / "runs", epochs=4)
    full = Trainer(cfg, run_dir=tmp_path / "full").run()
    assert full.status == "finished"

    class Stopping(Trainer):
        batches = 0

        def _batch(self, idx: Any) -> Any:
            Stopping.batches += 1
            if Stopping.batches == stop_at:
                self.cancel.set()  # mid-epoch 3
            return super()._batch(idx)

    steps = math.ceil(full.summary["shapes"]["train"][0] / 16)
    stop_at = 2 * steps + 3
    first = Stopping(_cfg(sine_csv, tmp_path / "runs", epochs=4), run_dir=tmp_path / "cut").run()
    assert first.status == "stopped" and first.epochs == 2
    assert read_state(tmp_path / "cut").status == "stopped"  # type: ignore[union-attr]

    again = Trainer(_cfg(sine_csv, tmp_path / "runs", epochs=4), run_dir=tmp_path / "cut")
    again.resume = True
    end = again.run()
    assert end.status == "finished" and end.epochs == 4
    assert end.summary["val"] == full.summary["val"]
    assert end.summary["test"] == full.summary["test"]
    assert end.best_epoch == full.best_epoch
    metrics = [json.loads(line) for line in (tmp_path / "cut" / "metrics.jsonl").read_text()
               .splitlines()]
    full_metrics = [json.loads(line) for line in (tmp_path / "full" / "metrics.jsonl")
                    .read_text().splitlines()]
    assert [m["val_loss"] for m in metrics] == [m["val_loss"] for m in full_metrics]
    logged, _ = read_events(tmp_path / "cut")
    starts = [e for e in logged if isinstance(e, ev.RunStarted)]
    assert [s.resumed_epoch for s in starts] == [0, 2]
    assert [e.epoch for e in logged if isinstance(e, ev.EpochEnd)] == [1, 2, 3, 4]


def test_resume_without_last_checkpoint_says_why(sine_csv: Path, tmp_path: Path) -> None:
    from seqlab.errors import SeqlabError
    from seqlab.training.trainer import Trainer

    (tmp_path / "empty").mkdir()
    t = Trainer(_cfg(sine_csv, tmp_path / "runs", epochs=1), run_dir=tmp_path / "empty")
    t.resume = True
    with pytest.raises(SeqlabError, match="no last.pt"):
        t.run()


# ---------------------------------------------------------------------------- control channel
def test_control_channel_is_owner_only_and_refuses_others(tmp_path: Path) -> None:
    got: list[dict[str, Any]] = []
    server = ControlServer(tmp_path, lambda c: (got.append(c), {"ok": True, "n": len(got)})[1])
    server.start()
    try:
        path = tmp_path / "control"
        assert (os.stat(path).st_mode & 0o777) == 0o600
        client = ControlClient.for_run(tmp_path)
        assert client.probe(4) == {"ok": True, "n": 1}
        assert got == [{"cmd": "probe", "sample": 4}]
        # a channel others may use is refused before anything is sent
        os.chmod(path, 0o666)
        with pytest.raises(ControlError, match="permissions"):
            ControlClient.for_run(tmp_path)
        with pytest.raises(ControlError, match="permissions"):
            client.stop()
        os.chmod(path, 0o600)
        # a channel of another user (faked: we cannot chown without being root here)
        with pytest.raises(ControlError, match="belongs to uid"):
            check_channel(path, uid=os.getuid() + 1)
        # and the server refuses a peer of another uid (faked the other way round)
        server.allowed_uid = os.getuid() + 1
        reply = client.pause()
        assert reply["ok"] is False and "refused" in reply["error"]
        assert len(got) == 1
        server.allowed_uid = os.getuid()
        # bad commands are answered, the channel stays up
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(10)
        sock.connect(str(path))
        sock.sendall(b"not json\n")
        assert json.loads(sock.makefile().readline())["ok"] is False
        sock.close()
    finally:
        server.close()
    assert not (tmp_path / "control").exists()
    with pytest.raises(ControlError, match="not live"):
        ControlClient.for_run(tmp_path)


def test_detached_run_survives_sighup_pauses_probes_and_kill_9_shows_crashed(
        sine_csv: Path, tmp_path: Path) -> None:
    from seqlab.training.trainer import load_checkpoint

    cfg = _cfg(sine_csv, tmp_path / "runs", epochs=5000, batch_size=16)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    cfg_path = run_dir / "config.toml"
    cfg_path.write_text(cfg.to_toml())
    pid = start_detached(cfg_path, run_dir)
    try:
        assert os.getsid(pid) == pid  # a session of its own
        st = read_state(run_dir)
        assert st is not None and st.pid == pid and st.status == "running"
        tail = EventTail(run_dir)
        seen: list[Any] = []

        def epochs_at_least(n: int) -> bool:
            seen.extend(tail.read_new())
            return any(isinstance(e, ev.EpochEnd) and e.epoch >= n for e in seen)

        _wait(lambda: epochs_at_least(1), what="epoch 1")
        os.kill(pid, signal.SIGHUP)  # a closed terminal
        _wait(lambda: epochs_at_least(2), what="epoch 2 after SIGHUP")
        client = _wait(lambda: _client(run_dir), what="control channel")
        assert client.pause()["ok"]
        _wait(lambda: read_state(run_dir).status == "paused", what="paused")  # type: ignore[union-attr]
        seen.extend(tail.read_new())
        time.sleep(1.0)
        assert [e for e in tail.read_new() if isinstance(e, ev.EpochEnd)] == []
        assert client.probe(3)["ok"]
        assert client.resume()["ok"]
        _wait(lambda: any(isinstance(e, ev.ProbeSnapshot) and e.sample == 3
                          for e in (seen.extend(tail.read_new()) or seen)), what="probe of 3")
        assert read_state(run_dir).status == "running"  # type: ignore[union-attr]
        assert client.request("probe", sample="x")["ok"] is False
    finally:
        os.kill(pid, signal.SIGKILL)
    st = _wait(lambda: (s := read_state(run_dir)) is not None and s.status == "crashed" and s,
               what="crashed")
    assert st.recorded_status == "running" and not st.live
    model, _, _ = load_checkpoint(run_dir / "model.pt")
    assert model is not None
    events, _ = read_events(run_dir)  # readable up to the kill
    assert isinstance(events[0], ev.RunStarted)


def _client(run_dir: Path) -> ControlClient | None:
    try:
        return ControlClient.for_run(run_dir)
    except ControlError:
        return None


def test_detached_run_stops_over_the_channel_with_all_files(sine_csv: Path, tmp_path: Path) -> None:
    cfg = _cfg(sine_csv, tmp_path / "runs", epochs=5000, batch_size=16)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.toml").write_text(cfg.to_toml())
    pid = start_detached(run_dir / "config.toml", run_dir)
    try:
        tail = EventTail(run_dir)
        _wait(lambda: any(isinstance(e, ev.EpochEnd) for e in tail.read_new()), what="epoch 1")
        assert _wait(lambda: _client(run_dir), what="channel").stop() == {"ok": True}
        st = _wait(lambda: (s := read_state(run_dir)) and s.status == "stopped" and s,
                   what="stopped")
        assert st.epoch >= 1
        for name in ("summary.json", "model.pt", "last.pt", "metrics.jsonl", "probe.json"):
            assert (run_dir / name).is_file(), name
        _wait(lambda: not (run_dir / "control").exists(), what="channel removed")
    finally:
        with_suppress_kill(pid)


def with_suppress_kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------------------- services
def test_probe_service_speaks_the_grammar_through_the_client(sine_csv: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from seqlab.training.trainer import Trainer

    Trainer(_cfg(sine_csv, tmp_path / "runs", epochs=1), run_dir=tmp_path / "run").run()
    proc = subprocess.Popen([sys.executable, "-m", "seqlab.training.probe_service",
                             str(tmp_path / "run")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        client = ControlClient.for_process(proc)
        info = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        assert info["ok"] and info["type"] == "Info"
        reply = client.request("probe", timeout=60, sample=2)
        assert reply["ok"] and ev.from_json(reply).sample == 2  # type: ignore[union-attr]
        bad = client.request("pause", timeout=30)
        assert bad["ok"] is False and "unknown command" in bad["error"]
        assert client.request("stop", timeout=30) == {"ok": True}
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


# ---------------------------------------------------------------------------- GPU figures
class _FakeCuda:
    def __init__(self) -> None:
        self.alloc = 1000

    def memory_allocated(self, dev: Any) -> int:
        return self.alloc

    def max_memory_allocated(self, dev: Any) -> int:
        return 5000

    def get_device_properties(self, dev: Any) -> Any:
        return type("P", (), {"total_memory": 80 * 2**30})()


class _FakeNvml:
    calls = 0

    @staticmethod
    def nvmlInit() -> None:
        pass

    @staticmethod
    def nvmlDeviceGetHandleByIndex(i: int) -> str:
        return f"gpu{i}"

    @classmethod
    def nvmlDeviceGetUtilizationRates(cls, handle: str) -> Any:
        cls.calls += 1
        return type("U", (), {"gpu": 87})()

    @staticmethod
    def nvmlDeviceGetPowerUsage(handle: str) -> int:
        return 251_500  # milliwatts


def test_device_stats_from_fake_cuda_and_nvml() -> None:
    from seqlab.training.gpu import DeviceStats

    now = [0.0]
    stats = DeviceStats(0, _FakeCuda(), _FakeNvml, clock=lambda: now[0])
    first = stats.sample()
    assert first == {"mem_allocated": 1000.0, "mem_peak": 5000.0, "mem_total": 80.0 * 2**30,
                     "util": 87.0, "power_w": 251.5}
    stats.sample()
    assert _FakeNvml.calls == 1  # NVML asked at most once a second
    now[0] = 2.0
    stats.sample()
    assert _FakeNvml.calls == 2
    assert set(first) <= set(ev.DEVICE_STATS_KEYS)
    # without NVML (the extra not installed) only torch's figures
    assert set(DeviceStats(0, _FakeCuda(), None).sample()) == {"mem_allocated", "mem_peak",
                                                               "mem_total"}

    class Broken(_FakeNvml):
        @staticmethod
        def nvmlInit() -> None:
            raise RuntimeError("no driver")

    assert "util" not in DeviceStats(0, _FakeCuda(), Broken).sample()


def test_cpu_runs_carry_no_device_stats(sine_csv: Path, tmp_path: Path) -> None:
    from seqlab.training.trainer import Trainer

    seen: list[Any] = []
    Trainer(_cfg(sine_csv, tmp_path, epochs=1), callback=seen.append, write_files=False).run()
    epochs = [e for e in seen if isinstance(e, ev.EpochEnd)]
    assert epochs and all(e.device_stats == {} for e in epochs)


def test_trainer_sends_device_stats_in_its_events(sine_csv: Path, tmp_path: Path) -> None:
    """With a (fake) device source attached, StepEnd and EpochEnd carry its figures."""
    from seqlab.training.gpu import DeviceStats
    from seqlab.training.trainer import Trainer

    seen: list[Any] = []
    t = Trainer(_cfg(sine_csv, tmp_path, epochs=1), callback=seen.append, write_files=False)
    t.device_stats = DeviceStats(0, _FakeCuda(), _FakeNvml)
    t.run()
    epoch = next(e for e in seen if isinstance(e, ev.EpochEnd))
    assert epoch.device_stats["mem_peak"] == 5000.0 and epoch.device_stats["power_w"] == 251.5
    round_trip = ev.loads(ev.dumps(epoch))
    assert round_trip.device_stats == epoch.device_stats



def test_probe_snapshots_are_thinned_in_the_log_but_the_last_and_new_samples_kept(
        tmp_path: Path) -> None:
    import numpy as np

    from seqlab.training.record import RunRecorder

    def snap(epoch: int, sample: int) -> ev.ProbeSnapshot:
        return ev.ProbeSnapshot(epoch=epoch, split="val", sample=sample, labels=["a"],
                                states={"h/0/fwd": np.zeros((1, 2), np.float32)}, grads={},
                                loss=0.0, max_abs_error=0.0)

    rec = RunRecorder(tmp_path, kind="series", epochs=250)
    rec.record(ev.RunStarted(run_dir=str(tmp_path), device="cpu", params=1, epochs=250,
                             steps_per_epoch=1, shapes={}, config={}))
    for e in range(1, 11):
        rec.record(snap(e, 0))
    rec.record(snap(11, 5))  # the watched sample changed: logged at once
    rec.record(snap(12, 5))
    rec.record(ev.RunEnd(status="stopped", reason="", run_dir="", epochs=12, best_epoch=1,
                         seconds=1.0, summary={}))
    rec.close()
    logged, _ = read_events(tmp_path)
    probes = [(e.epoch, e.sample) for e in logged if isinstance(e, ev.ProbeSnapshot)]
    assert probes == [(1, 0), (4, 0), (7, 0), (10, 0), (11, 5), (12, 5)]  # stride ceil(250/100)
    assert isinstance(logged[-1], ev.RunEnd)
    assert read_state(tmp_path).status == "stopped"  # type: ignore[union-attr]


def test_text_run_resumes_to_the_same_result(tmp_path: Path) -> None:
    from seqlab.config import TextConfig, TextRunConfig
    from seqlab.training.text_trainer import TextTrainer

    text = " ".join(f"the cat {w} sat on the mat and the dog {w} ran." for w in
                    ("red", "blue", "old", "small", "big", "grey", "young", "lazy") * 6)

    def cfg() -> TextRunConfig:
        return TextRunConfig(
            text=TextConfig(text=text, tokenizer="word", window=6, embedding=8),
            model=ModelConfig(cell="gru", hidden_size=8, num_layers=2, dropout=0.3),
            train=TrainConfig(epochs=3, lr=1e-2, patience=0, batch_size=8, seed=7,
                              runs_dir=str(tmp_path / "runs")),
        )

    full = TextTrainer(cfg(), run_dir=tmp_path / "full").run()

    class Stopping(TextTrainer):
        n = 0

        def _batch(self, idx: Any) -> Any:
            Stopping.n += 1
            if Stopping.n == full_steps + 2:
                self.cancel.set()  # early in epoch 2
            return super()._batch(idx)

    full_steps = _steps(tmp_path / "full")
    cut = Stopping(cfg(), run_dir=tmp_path / "cut").run()
    assert cut.status == "stopped" and cut.epochs == 1
    again = TextTrainer(cfg(), run_dir=tmp_path / "cut")
    again.resume = True
    end = again.run()
    assert end.status == "finished" and end.epochs == 3
    assert end.summary["val_perplexity"] == full.summary["val_perplexity"]


def _steps(run_dir: Path) -> int:
    events, _ = read_events(run_dir)
    return next(e for e in events if isinstance(e, ev.RunStarted)).steps_per_epoch


def test_a_failing_event_write_does_not_end_the_run(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import errno

    from seqlab.training.record import RunRecorder

    class Full:
        closed = False

        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self) -> None:
            pass

        def close(self) -> None:
            self.closed = True

    rec = RunRecorder(tmp_path, kind="series", epochs=3)
    rec._fh = Full()  # type: ignore[assignment]
    rec.record(_epoch(1))
    rec.record(_epoch(2))
    assert rec.error is not None and "No space left" in rec.error
    assert capsys.readouterr().err.count("No space left") == 1  # said once
    assert read_state(tmp_path).epoch == 2  # type: ignore[union-attr]
    rec.close()


def test_eta_of_a_resumed_run_counts_only_its_own_epochs(tmp_path: Path) -> None:
    from seqlab.training.record import host_name

    now = time.time()
    write_state(tmp_path, pid=os.getpid(), proc_start=None, host=host_name(), started=now - 10,
                status="running", epoch=12, epochs=20, resumed_epoch=10)
    st = read_state(tmp_path)
    assert st is not None and st.eta_s == pytest.approx(5.0 * 8, rel=0.05)  # 2 epochs in 10 s
