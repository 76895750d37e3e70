"""The trainer: events, early stopping, reproducibility, divergence, cancellation, run files."""

from __future__ import annotations

import csv
import json
import math
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from seqlab.data import prepare
from seqlab.training.events import EpochEnd, ProbeSnapshot, RunEnd, RunStarted, StepEnd, loads
from seqlab.training.runs import list_runs, load_run
from seqlab.training.trainer import Trainer, load_checkpoint, resolve_device


def make_cfg(path: Path, tmp_path: Path, **train: object) -> RunConfig:
    t = TrainConfig(epochs=4, batch_size=16, patience=0, runs_dir=str(tmp_path / "runs"))
    for k, v in train.items():
        setattr(t, k, v)
    return RunConfig(
        data=DataConfig(path=str(path), target="sales", window=12),
        model=ModelConfig(cell="gru", hidden_size=8),
        train=t,
    )


def collect(cfg: RunConfig, **kw: object) -> tuple[RunEnd, list[object], Trainer]:
    events: list[object] = []
    trainer = Trainer(cfg, callback=events.append, **kw)  # type: ignore[arg-type]
    end = trainer.run()
    return end, events, trainer


def test_events_in_order_and_run_files(sine_csv: Path, tmp_path: Path) -> None:
    end, events, trainer = collect(make_cfg(sine_csv, tmp_path))
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunEnd)
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in epochs] == [1, 2, 3, 4]
    assert all(math.isfinite(e.val["mae"]) for e in epochs)
    assert end.status == "finished" and end.epochs == 4
    run = Path(end.run_dir)
    for name in ("config.toml", "metrics.jsonl", "model.pt", "predictions.csv", "summary.json",
                 "probe.json"):
        assert (run / name).is_file(), name
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 4
    summary = json.loads((run / "summary.json").read_text())
    for key in ("val", "test", "baseline_val", "baseline_test"):
        assert set(summary[key]) >= {"mae", "rmse", "mape"}
    with open(run / "predictions.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["split"] for r in rows} == {"train", "val", "test"}
    prep = trainer.prepared
    assert sum(r["split"] == "test" for r in rows) == prep.test.X.shape[0]
    # the checkpoint rebuilds the model (weights_only load) and predicts what the run reported
    model, cfg, meta = load_checkpoint(run / "model.pt")
    assert meta["features"] == ["temp", "sales"]
    with torch.no_grad():
        pred = model(torch.from_numpy(np.ascontiguousarray(prep.test.X))).numpy()
    original = prep.to_original(prep.test, pred)
    test_rows = [r for r in rows if r["split"] == "test"]
    np.testing.assert_allclose([float(r["predicted"]) for r in test_rows], original[:, 0],
                               rtol=1e-4)
    assert list_runs(tmp_path / "runs")[0].run_dir == str(run)
    record = load_run(run)
    assert len(record.metrics) == 4 and record.probe_line
    assert isinstance(loads(record.probe_line), ProbeSnapshot)


def test_same_seed_same_numbers_and_other_seed_differs(sine_csv: Path, tmp_path: Path) -> None:
    a = collect(make_cfg(sine_csv, tmp_path, epochs=3))[2].history
    b = collect(make_cfg(sine_csv, tmp_path, epochs=3))[2].history
    c = collect(make_cfg(sine_csv, tmp_path, epochs=3, seed=1))[2].history
    assert [r["val_loss"] for r in a] == [r["val_loss"] for r in b]
    assert [r["val_loss"] for r in a] != [r["val_loss"] for r in c]


def test_early_stopping_restores_the_best_weights(sine_csv: Path, tmp_path: Path) -> None:
    # a high learning rate makes validation loss bounce, so patience triggers
    cfg = make_cfg(sine_csv, tmp_path, epochs=40, patience=2, lr=0.05)
    end, events, trainer = collect(cfg)
    hist = trainer.history
    assert end.epochs < 40 and "early stop" in end.reason
    best = min(range(len(hist)), key=lambda i: hist[i]["val_loss"])
    assert end.best_epoch == best + 1 and end.best_epoch < end.epochs
    # the model left behind is the best epoch's, not the last one's
    val_loss, _, _ = trainer._evaluate(trainer.prepared.val)
    assert val_loss == pytest.approx(hist[best]["val_loss"], rel=1e-6)
    assert val_loss < hist[-1]["val_loss"]


def test_nan_loss_is_diverged_and_keeps_best_weights(sine_csv: Path, tmp_path: Path) -> None:
    cfg = make_cfg(sine_csv, tmp_path, epochs=6)
    holder: dict[str, Trainer] = {}

    def poison(event: object) -> None:
        if isinstance(event, EpochEnd) and event.epoch == 2:
            with torch.no_grad():
                for p in holder["t"].model.parameters():
                    p.fill_(float("nan"))

    trainer = Trainer(cfg, callback=poison)
    holder["t"] = trainer
    end = trainer.run()
    assert end.status == "diverged"
    assert "nan" in end.reason and "--lr" in end.reason
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())
    assert end.best_epoch in (1, 2)
    assert json.loads((Path(end.run_dir) / "summary.json").read_text())["status"] == "diverged"


def test_cancel_between_batches_saves_a_stopped_run(sine_csv: Path, tmp_path: Path) -> None:
    cancel = threading.Event()
    cfg = make_cfg(sine_csv, tmp_path, epochs=50, batch_size=4)
    seen: list[object] = []

    def stop_after_first_epoch(event: object) -> None:
        seen.append(event)
        if isinstance(event, EpochEnd):
            cancel.set()

    end = Trainer(cfg, callback=stop_after_first_epoch, cancel=cancel).run()
    assert end.status == "stopped" and end.epochs == 1
    steps_after = [e for e in seen[seen.index(next(e for e in seen if isinstance(e, EpochEnd))):]
                   if isinstance(e, StepEnd)]
    assert steps_after == []
    summary = json.loads((Path(end.run_dir) / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["test"]["mae"] > 0


def test_probe_snapshot_matches_the_fused_model(sine_csv: Path, tmp_path: Path) -> None:
    cfg = make_cfg(sine_csv, tmp_path, epochs=1)
    cfg.model = ModelConfig(cell="lstm", hidden_size=6, num_layers=2, bidirectional=True)
    _, events, trainer = collect(cfg)
    snaps = [e for e in events if isinstance(e, ProbeSnapshot)]
    assert snaps, "no probe snapshot"
    snap = snaps[0]
    assert snap.max_abs_error < 1e-5
    assert set(snap.states) >= {"h/0/fwd", "c/1/bwd", "f/0/fwd", "i/1/fwd", "g/0/bwd", "o/1/bwd"}
    assert snap.states["h/1/fwd"].shape == (12, 6)
    assert snap.grads["0/fwd"].shape == (12,)
    assert snap.labels == trainer.prepared.input_labels(trainer.prepared.val, 0)


def test_last_snapshot_is_the_restored_best_epoch(sine_csv: Path, tmp_path: Path) -> None:
    """After the run the front ends show the weights kept (the best epoch), not the last."""
    cfg = make_cfg(sine_csv, tmp_path, epochs=6, lr=0.05)
    cfg.data.difference = "no"  # levels: this setting overfits them before its last epoch
    end, events, _ = collect(cfg)
    snaps = [e for e in events if isinstance(e, ProbeSnapshot)]
    assert end.best_epoch < end.epochs, "this setting should overfit before its last epoch"
    assert snaps[-1].epoch == end.best_epoch and events[-2] is snaps[-1]
    stored = loads((Path(end.run_dir) / "probe.json").read_text())
    assert stored.epoch == end.best_epoch


def test_probe_every_zero_emits_no_snapshot(sine_csv: Path, tmp_path: Path) -> None:
    _, events, _ = collect(make_cfg(sine_csv, tmp_path, epochs=1, probe_every=0))
    assert not any(isinstance(e, ProbeSnapshot) for e in events)


def test_device_auto_prefers_cuda_then_mps_then_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both branches are exercised on every host by faking what torch reports."""
    from seqlab.errors import ConfigError

    mps = getattr(torch.backends, "mps", None)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto").type == "cuda"
    assert resolve_device("cuda").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    if mps is not None:
        monkeypatch.setattr(mps, "is_available", lambda: True)
        assert resolve_device("auto").type == "mps"
        monkeypatch.setattr(mps, "is_available", lambda: False)
    assert resolve_device("auto").type == "cpu"
    with pytest.raises(ConfigError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(ConfigError, match="MPS is not available"):
        resolve_device("mps")
    assert resolve_device("cpu").type == "cpu"


def test_device_auto_on_this_host() -> None:
    want = "cuda" if torch.cuda.is_available() else (
        "mps" if getattr(torch.backends, "mps", None) is not None
        and torch.backends.mps.is_available() else "cpu")
    assert resolve_device("auto").type == want


def test_uses_prepared_windows_without_copying(sine_csv: Path, tmp_path: Path) -> None:
    cfg = make_cfg(sine_csv, tmp_path, epochs=1)
    prep = prepare(cfg.data)
    trainer = Trainer(cfg, prepared=prep, write_files=False)
    trainer.run()
    x = trainer._x["train"]
    # a strided view of the one scaled array, not a copy: every split's windows share its
    # storage, and that storage holds the series once (rows x features), not N x T x F
    storage = x.untyped_storage()
    assert storage.nbytes() == prep.scaled_x.nbytes < x.numel() * x.element_size()
    for name in ("val", "test"):
        assert trainer._x[name].untyped_storage().data_ptr() == storage.data_ptr()
    assert not x.is_contiguous()
    np.testing.assert_array_equal(x.numpy(), prep.train.X)


def test_probe_service_reprobes_any_validation_sample_of_a_finished_run(
    sine_csv: Path, tmp_path: Path
) -> None:
    import io

    from seqlab.training.probe_service import serve

    cfg = make_cfg(sine_csv, tmp_path, epochs=2)
    cfg.model = ModelConfig(cell="lstm", hidden_size=6)
    end, _, trainer = collect(cfg)
    commands = (
        json.dumps({"cmd": "probe", "sample": 3}) + "\n" + json.dumps({"cmd": "probe"}) + "\n"
        + json.dumps({"cmd": "probe", "sample": 10**6}) + "\n" + "{}\n"
    )
    out = io.StringIO()
    assert serve(end.run_dir, io.StringIO(commands), out) == 0
    lines = out.getvalue().splitlines()
    assert json.loads(lines[0])["n_val"] == trainer.prepared.val.X.shape[0]
    snap3, snap0, last = (loads(line) for line in lines[1:4])
    assert snap3.sample == 3 and snap0.sample == 0 and snap3.epoch == end.best_epoch
    assert last.sample == trainer.prepared.val.X.shape[0] - 1  # clamped
    assert snap3.labels == trainer.prepared.input_labels(trainer.prepared.val, 3)
    assert snap3.max_abs_error < 1e-5
    # the stored snapshot of the run (best weights, sample 0) is what the service gives for 0
    stored = loads((Path(end.run_dir) / "probe.json").read_text())
    np.testing.assert_allclose(stored.states["h/0/fwd"], snap0.states["h/0/fwd"], atol=1e-6)
    assert json.loads(lines[4])["type"] == "Error"
