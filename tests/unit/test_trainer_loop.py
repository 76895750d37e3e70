"""The training loop's promises, each checked on a tiny run with an exact expected outcome.

Cancellation is checked between batches (a stop asked for during the k-th batch ends the run
after that batch, inside its epoch); early stopping counts epochs without a strict improvement
of the validation loss and stops when the count reaches ``patience``, restoring the best epoch's
weights; a non-finite *validation* loss ends the run as ``diverged`` with the best weights kept.
Validation losses are scripted (``_validate`` is wrapped) so the stop epoch is known in advance.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from seqlab.training.events import EpochEnd, RunEnd, RunStarted, StepEnd
from seqlab.training.trainer import Trainer

N_ROWS = 60  # 42 training rows; window 3, horizon 1 -> 39 training windows


def ramp_csv(tmp_path: Path, n: int = N_ROWS) -> Path:
    p = tmp_path / "ramp.csv"
    p.write_text("t,y\n" + "".join(f"{i},{100 + 10 * i + (i % 3)}\n" for i in range(n)))
    return p


def make_cfg(tmp_path: Path, **train: object) -> RunConfig:
    # one batch per epoch unless a test asks for more; one torch thread: tiny ops run fastest
    t = TrainConfig(epochs=3, batch_size=64, patience=0, probe_every=0, threads=1,
                    runs_dir=str(tmp_path / "runs"))
    for k, v in train.items():
        setattr(t, k, v)
    return RunConfig(data=DataConfig(path=str(ramp_csv(tmp_path)), window=3, difference="no"),
                     model=ModelConfig(cell="lstm", hidden_size=3), train=t)


def params(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class ScriptedTrainer(Trainer):
    """A real series run whose validation loss (only) follows a script, one value per epoch.

    The state after each epoch's training is recorded, so tests can tell which weights survive.
    """

    def __init__(self, cfg: RunConfig, losses: list[float], **kw: object) -> None:
        super().__init__(cfg, **kw)  # type: ignore[arg-type]
        self.script = losses
        self.states: dict[int, dict[str, torch.Tensor]] = {}

    def _validate(self, epoch: int) -> tuple[float, dict[str, float]]:
        _, metrics = super()._validate(epoch)
        assert self.model is not None
        self.states[epoch] = params(self.model)
        return self.script[epoch - 1], metrics


# ------------------------------------------------------------------------------ cancellation
@pytest.mark.parametrize("k", [1, 3, 7])
def test_stop_during_the_kth_batch_ends_within_the_first_epoch(tmp_path: Path, k: int) -> None:
    cfg = make_cfg(tmp_path, epochs=5, batch_size=2)  # 39 windows -> 20 batches per epoch
    cancel = threading.Event()
    events: list[object] = []
    trainer = Trainer(cfg, callback=events.append, cancel=cancel)
    calls = {"n": 0}
    real_batch = trainer._batch

    def batch(idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        calls["n"] += 1
        if calls["n"] == k:
            cancel.set()  # the user presses stop while batch k trains
        return real_batch(idx)

    trainer._batch = batch  # type: ignore[method-assign]
    end = trainer.run()
    assert end.status == "stopped"
    assert calls["n"] == k  # batch k finishes, batch k + 1 never starts
    assert end.epochs == 0  # the interrupted epoch did not complete
    assert "during epoch 1" in end.reason
    assert not any(isinstance(e, EpochEnd) for e in events)
    assert isinstance(events[-1], RunEnd)
    assert all(e.epoch == 1 and e.step <= k for e in events if isinstance(e, StepEnd))
    summary = json.loads((Path(end.run_dir) / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["epochs"] == 0
    assert not (Path(end.run_dir) / "model.pt").exists()  # no epoch finished: nothing to keep


def test_stop_during_the_second_epoch_keeps_the_first(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path, epochs=5, batch_size=2)
    cancel = threading.Event()
    trainer = ScriptedTrainer(cfg, [1.0, 0.5, 0.4, 0.3, 0.2], cancel=cancel)
    calls = {"n": 0}
    real_batch = trainer._batch
    per_epoch = math.ceil(39 / 2)

    def batch(idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        calls["n"] += 1
        if calls["n"] == per_epoch + 5:
            cancel.set()
        return real_batch(idx)

    trainer._batch = batch  # type: ignore[method-assign]
    end = trainer.run()
    assert end.status == "stopped" and "during epoch 2" in end.reason
    assert calls["n"] == per_epoch + 5
    assert end.epochs == 1 and end.best_epoch == 1
    assert len(trainer.history) == 1
    for k, v in trainer.model.state_dict().items():  # type: ignore[union-attr]
        assert torch.equal(v, trainer.states[1][k]), k  # epoch 1's weights, not mid-epoch 2's
    assert (Path(end.run_dir) / "model.pt").is_file()


def test_stop_before_the_first_batch_trains_nothing(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    before: dict[str, torch.Tensor] = {}

    def on_event(event: object) -> None:
        if isinstance(event, RunStarted):  # sent after the model is built, before training
            before.update(params(trainer.model))  # type: ignore[arg-type]

    trainer = Trainer(make_cfg(tmp_path), callback=on_event, cancel=cancel, write_files=False)
    end = trainer.run()
    assert end.status == "stopped" and end.epochs == 0 and trainer.history == []
    assert before and all(torch.equal(v, before[k])
                          for k, v in trainer.model.state_dict().items())  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- early stopping
@pytest.mark.parametrize(
    ("losses", "patience", "stop_epoch", "best_epoch"),
    [
        ([1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1], 2, 4, 2),  # 2 bad epochs after epoch 2
        ([1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1], 3, 5, 2),
        ([1.0, 0.9, 0.95, 0.8, 0.85, 0.86, 0.87, 0.88], 2, 6, 4),  # improvement resets count
        ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], 2, 3, 1),  # equal is not an improvement
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 1, 2, 1),
    ],
)
def test_early_stopping_stops_at_the_exact_epoch(
    tmp_path: Path, losses: list[float], patience: int, stop_epoch: int, best_epoch: int
) -> None:
    cfg = make_cfg(tmp_path, epochs=len(losses), patience=patience)
    events: list[object] = []
    trainer = ScriptedTrainer(cfg, losses, callback=events.append)
    end = trainer.run()
    assert end.status == "finished"
    assert end.epochs == stop_epoch and len(trainer.history) == stop_epoch
    assert end.best_epoch == best_epoch
    assert f"no validation improvement for {patience} epoch" in end.reason
    assert f"best epoch {best_epoch} restored" in end.reason
    assert [e.best for e in events if isinstance(e, EpochEnd)] == [
        h["best"] for h in trainer.history
    ]
    assert [h["val_loss"] for h in trainer.history] == losses[:stop_epoch]
    for k, v in trainer.model.state_dict().items():  # type: ignore[union-attr]
        assert torch.equal(v, trainer.states[best_epoch][k]), k
    summary = json.loads((Path(end.run_dir) / "summary.json").read_text())
    assert summary["epochs"] == stop_epoch and summary["best_epoch"] == best_epoch


def test_patience_zero_never_stops_early(tmp_path: Path) -> None:
    losses = [1.0, 2.0, 3.0, 4.0, 5.0]
    end = ScriptedTrainer(make_cfg(tmp_path, epochs=5, patience=0), losses,
                          write_files=False).run()
    assert end.status == "finished" and end.epochs == 5 and end.best_epoch == 1
    assert "early stop" not in end.reason and "trained 5 epochs" in end.reason


def test_the_last_epoch_of_a_full_run_is_not_an_early_stop(tmp_path: Path) -> None:
    losses = [1.0, 0.5, 0.6, 0.7]
    end = ScriptedTrainer(make_cfg(tmp_path, epochs=4, patience=3), losses,
                          write_files=False).run()
    assert end.epochs == 4 and end.best_epoch == 2 and "early stop" not in end.reason


# ---------------------------------------------------------------------------------- divergence
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_validation_loss_is_diverged_and_keeps_the_best(
    tmp_path: Path, bad: float
) -> None:
    cfg = make_cfg(tmp_path, epochs=6, patience=0)
    trainer = ScriptedTrainer(cfg, [1.0, 0.5, 0.7, bad, 0.1, 0.1])
    end = trainer.run()
    assert end.status == "diverged"
    assert "validation loss became" in end.reason and str(bad) in end.reason
    assert "epoch 4" in end.reason and "best epoch 2 restored" in end.reason
    assert end.best_epoch == 2
    assert len(trainer.history) == 3  # the diverged epoch is not recorded as a good one
    for k, v in trainer.model.state_dict().items():  # type: ignore[union-attr]
        assert torch.equal(v, trainer.states[2][k]), k
    run = Path(end.run_dir)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "diverged" and summary["best_epoch"] == 2
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3
    assert (run / "model.pt").is_file()


def test_nan_validation_loss_in_the_first_epoch_keeps_no_weights(tmp_path: Path) -> None:
    trainer = ScriptedTrainer(make_cfg(tmp_path, epochs=3), [math.nan, 1.0, 1.0],
                              write_files=False)
    end = trainer.run()
    assert end.status == "diverged" and end.best_epoch == 0
    assert "restored" not in end.reason


# ------------------------------------------------- the untrained start of a differenced model
class StartScripted(Trainer):
    """A differenced run whose validation loss follows a script that includes epoch 0, the
    untrained model (the persistence forecast), which early stopping weighs like any epoch."""

    def __init__(self, cfg: RunConfig, losses: dict[int, float], **kw: object) -> None:
        super().__init__(cfg, **kw)  # type: ignore[arg-type]
        self.script = losses
        self.asked: list[int] = []

    def _validate(self, epoch: int) -> tuple[float, dict[str, float]]:
        _, metrics = super()._validate(epoch)
        self.asked.append(epoch)
        return self.script[epoch], metrics


def diff_cfg(tmp_path: Path, difference: str = "yes", **train: object) -> RunConfig:
    cfg = make_cfg(tmp_path, **train)
    cfg.data.difference = difference  # type: ignore[assignment]
    return cfg


def persistence_gap(trainer: Trainer) -> float:
    """Largest distance between the model's test forecasts and the persistence forecast."""
    prep = trainer.prepared
    assert prep is not None
    test = prep.test
    return float(np.max(np.abs(prep.to_original(test, trainer._predict(test))
                               - prep.baseline(test))))


def test_a_differenced_run_that_never_beats_its_start_keeps_persistence(
        tmp_path: Path) -> None:
    cfg = diff_cfg(tmp_path, epochs=4, patience=0)
    trainer = StartScripted(cfg, {0: 1.0, 1: 2.0, 2: 1.5, 3: 1.2, 4: 1.0})
    end = trainer.run()
    assert trainer.asked == [0, 1, 2, 3, 4]
    assert end.status == "finished" and end.epochs == 4 and end.best_epoch == 0
    assert end.reason == ("trained 4 epochs; no epoch beat the starting point (the persistence "
                          "forecast) on validation, so it is kept")  # 1.0 again is no better
    assert persistence_gap(trainer) < 1e-9  # the restored weights forecast 'no change'
    assert not any(h["best"] for h in trainer.history)
    summary = json.loads((Path(end.run_dir) / "summary.json").read_text())
    assert summary["best_epoch"] == 0 and summary["start_val_loss"] == 1.0


def test_patience_counts_from_the_start_of_a_differenced_run(tmp_path: Path) -> None:
    cfg = diff_cfg(tmp_path, epochs=6, patience=2)
    end = StartScripted(cfg, {0: 1.0, 1: 1.1, 2: 1.2, 3: 0.1, 4: 0.1, 5: 0.1, 6: 0.1},
                        write_files=False).run()
    assert end.epochs == 2 and end.best_epoch == 0 and "early stop" in end.reason


def test_a_differenced_run_that_beats_its_start_restores_that_epoch(tmp_path: Path) -> None:
    cfg = diff_cfg(tmp_path, epochs=3, patience=0)
    trainer = StartScripted(cfg, {0: 1.0, 1: 0.9, 2: 1.1, 3: 0.95}, write_files=False)
    end = trainer.run()
    assert end.best_epoch == 1 and end.reason.endswith("best epoch 1 restored")
    assert persistence_gap(trainer) > 0  # trained weights: a correction to persistence


def test_the_start_of_a_level_model_is_not_a_candidate(tmp_path: Path) -> None:
    trainer = StartScripted(make_cfg(tmp_path, epochs=2), {1: 5.0, 2: 6.0}, write_files=False)
    end = trainer.run()
    assert trainer.asked == [1, 2] and end.best_epoch == 1
    assert "start_val_loss" not in end.summary


def test_the_start_s_validation_loss_is_the_persistence_forecast_s(tmp_path: Path) -> None:
    """Unscripted: before training the loss is the mean square of the scaled changes, the error
    of forecasting 'no change', worked out from the prepared validation targets."""
    trainer = Trainer(diff_cfg(tmp_path, epochs=1, lr=1e-9), write_files=False)
    end = trainer.run()
    prep = trainer.prepared
    assert prep is not None
    by_hand = float(np.mean(prep.val.y.astype(np.float64) ** 2))
    assert end.summary["start_val_loss"] == pytest.approx(by_hand, rel=1e-6)


def test_a_resumed_run_keeps_persistence_as_its_best(tmp_path: Path) -> None:
    run = tmp_path / "run"
    first = StartScripted(diff_cfg(tmp_path, epochs=2), {0: 1.0, 1: 2.0, 2: 3.0},
                          run_dir=run).run()
    assert first.best_epoch == 0
    again = StartScripted(diff_cfg(tmp_path, epochs=4), {3: 2.5, 4: 1.5}, run_dir=run)
    again.resume = True
    end = again.run()
    assert again.asked == [3, 4]  # a resumed run does not weigh its start again
    assert end.best_epoch == 0 and "so it is kept" in end.reason
    assert persistence_gap(again) < 1e-9


# ------------------------------------------------------- pace, seconds and losses on a fake clock
class FakeClock:
    """Stands in for ``time`` in the trainer: it moves only when a test moves it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def perf_counter(self) -> float:
        return self.now


class PauseLasting(threading.Event):
    """A cancel event whose wait is the time a user leaves the run paused: each wait of the
    pause loop moves the clock on ``seconds``, then the user resumes (nothing is cancelled)."""

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        super().__init__()
        self.clock = clock
        self.seconds = seconds
        self.trainer: Trainer | None = None

    def wait(self, timeout: float | None = None) -> bool:
        assert self.trainer is not None
        self.clock.now += self.seconds
        self.trainer.paused.clear()
        return self.is_set()


class ConstantLosses(Trainer):
    """Each batch takes ``batch_s`` seconds of the fake clock and has a scripted loss (the
    weights never move: the loss has no gradient). ``pause_after`` pauses after that batch."""

    def __init__(self, cfg: RunConfig, clock: FakeClock, losses: list[float],
                 batch_s: float = 1.0, pause_after: int = 0, **kw: object) -> None:
        super().__init__(cfg, **kw)  # type: ignore[arg-type]
        self.clock, self.losses, self.batch_s, self.pause_after = clock, losses, batch_s, pause_after
        self.batches = 0

    def _batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.batches += 1
        self.clock.now += self.batch_s
        if self.batches == self.pause_after:
            self.paused.set()
        return super()._batch(idx)

    def _loss(self, out: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        return out.sum() * 0.0 + self.losses[self.batches - 1]


def test_pace_seconds_and_losses_leave_out_the_paused_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """39 training windows in batches of 20 and 19, one second of training a batch, and a pause
    of 100 s between the two batches of epoch 1. Samples per second count training time only
    (the pause is not pace); ``seconds`` is the wall time since the run started (with it)."""
    from seqlab.training import trainer as trainer_module

    clock = FakeClock()
    monkeypatch.setattr(trainer_module, "time", clock)
    cancel = PauseLasting(clock, 100.0)
    events: list[object] = []
    cfg = make_cfg(tmp_path, epochs=3, batch_size=20)
    tr = ConstantLosses(cfg, clock, [1.0, 3.0, 2.0, 2.0, 5.0, 1.0], pause_after=1,
                        cancel=cancel, callback=events.append, write_files=False)
    cancel.trainer = tr
    end = tr.run()
    assert end.status == "finished" and end.reason == "trained 3 epochs; best epoch 1 restored"

    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.run_dir == "" and started.device == "cpu" and started.resumed_epoch == 0
    assert started.config["train"]["epochs"] == 3 and started.config["data"]["window"] == 3

    steps = [e for e in events if isinstance(e, StepEnd)]
    assert [(s.epoch, s.step, s.steps_per_epoch, s.global_step) for s in steps] == [
        (1, 1, 2, 1), (1, 2, 2, 2), (2, 1, 2, 3), (2, 2, 2, 4), (3, 1, 2, 5), (3, 2, 2, 6)]
    assert [s.loss for s in steps] == [1.0, 3.0, 2.0, 2.0, 5.0, 1.0]
    assert all(s.device_stats == {} for s in steps)  # no accelerator to report on the CPU
    # samples so far / training seconds so far: 20/1, 39/2, 59/3, 78/4, 98/5, 117/6
    assert [s.samples_per_s for s in steps] == [20.0, 19.5, 59 / 3, 19.5, 98 / 5, 19.5]

    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [(e.epoch, e.epochs) for e in ends] == [(1, 3), (2, 3), (3, 3)]
    # per-sample mean of the batch losses: (20*1 + 19*3)/39, (20*2 + 19*2)/39, (20*5 + 19*1)/39
    assert [e.train_loss for e in ends] == pytest.approx([77 / 39, 2.0, 119 / 39], rel=1e-12)
    assert [h["train_loss"] for h in tr.history] == [e.train_loss for e in ends]
    # wall seconds: 2 of training + 100 paused by the end of epoch 1, then 2 a epoch
    assert [e.seconds for e in ends] == [102.0, 104.0, 106.0]
    assert [h["seconds"] for h in tr.history] == [102.0, 104.0, 106.0]
    assert [e.samples_per_s for e in ends] == [19.5, 19.5, 19.5]
    # 2 training seconds a epoch, times the epochs still to go
    assert [e.eta_s for e in ends] == [4.0, 2.0, 0.0]
    assert all(e.device_stats == {} for e in ends)
    for e, h in zip(ends, tr.history, strict=True):
        assert e.val_loss == h["val_loss"] and math.isfinite(e.val_loss)
        assert e.val == h["val"] and "mae" in e.val
    assert end.seconds == 106.0 and end.summary["seconds"] == 106.0


def test_step_events_are_sent_at_most_ten_a_second(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 1/16 s: a StepEnd goes out when 0.1 s or more has passed since the last one
    sent, so every other step of the 8 steps of the epoch (the first one always)."""
    from seqlab.training import trainer as trainer_module

    clock = FakeClock()
    monkeypatch.setattr(trainer_module, "time", clock)
    events: list[object] = []
    cfg = make_cfg(tmp_path, epochs=1, batch_size=5)  # 39 windows -> 8 batches
    ConstantLosses(cfg, clock, [1.0] * 8, batch_s=0.0625, callback=events.append,
                   write_files=False).run()
    assert [e.step for e in events if isinstance(e, StepEnd)] == [1, 3, 5, 7]
    epoch_end = next(e for e in events if isinstance(e, EpochEnd))
    assert epoch_end.samples_per_s == 78.0  # 39 windows in half a second


def test_a_resumed_run_counts_the_seconds_and_epochs_it_already_had(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seqlab.training import trainer as trainer_module

    run = tmp_path / "run"
    clock = FakeClock()
    monkeypatch.setattr(trainer_module, "time", clock)
    first_events: list[object] = []
    first = ConstantLosses(make_cfg(tmp_path, epochs=1, batch_size=20), clock, [1.0, 1.0],
                           run_dir=run, callback=first_events.append).run()
    assert first.seconds == 2.0
    assert next(e for e in first_events if isinstance(e, RunStarted)).resumed_epoch == 0

    clock.now = 5000.0  # another process, another clock
    events: list[object] = []
    again = ConstantLosses(make_cfg(tmp_path, epochs=2, batch_size=20), clock, [1.0, 1.0],
                           run_dir=run, callback=events.append)
    again.resume = True
    end = again.run()
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.resumed_epoch == 1 and started.run_dir == str(run)
    epoch_ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in epoch_ends] == [2]
    # 2 s before the resume and 2 s after it
    assert epoch_ends[0].seconds == 4.0 and again.history[-1]["seconds"] == 4.0
    assert end.seconds == 4.0 and end.summary["seconds"] == 4.0
    assert json.loads((run / "summary.json").read_text())["seconds"] == 4.0

    # resuming a run that already has all its epochs trains none and reports the ones it has
    done = ConstantLosses(make_cfg(tmp_path, epochs=2, batch_size=20), clock, [], run_dir=run)
    done.resume = True
    end = done.run()
    assert end.status == "finished" and end.epochs == 2 and done.batches == 0
    assert end.reason == "trained 2 epochs; best epoch 1 restored"


# ---------------------------------------------------------------- the files and fields of a run
def test_a_run_writes_its_files_and_says_what_it_is(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path, epochs=2)
    cfg.data.difference = "yes"  # type: ignore[assignment]  # epoch 0 is a checkpoint too
    events: list[object] = []
    tr = Trainer(cfg, callback=events.append, run_dir=tmp_path / "run")
    end = tr.run()
    run = Path(end.run_dir)
    assert run == tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == [
        "config.toml", "events.jsonl", "last.pt", "metrics.jsonl", "model.pt",
        "predictions.csv", "state.json", "summary.json"]
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.run_dir == str(run) and started.device == "cpu"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["reason"] == end.reason
    assert summary["kind"] == "series" and summary["device"] == "cpu"
    assert summary["params"] == sum(p.numel() for p in tr.model.parameters())  # type: ignore[union-attr]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert all(set(r) == {"epoch", "train_loss", "val_loss", "val", "best", "seconds"}
               for r in rows)
    assert all(math.isfinite(r["train_loss"]) and "mae" in r["val"] for r in rows)


def test_the_run_records_the_data_file_s_hash_and_runs_from_prepared_data(
        tmp_path: Path) -> None:
    import hashlib

    cfg = make_cfg(tmp_path, epochs=1)
    Trainer(cfg, write_files=False).run()
    data = Path(cfg.data.path)
    assert cfg.data.sha256 == hashlib.sha256(data.read_bytes()).hexdigest()
    # prepared data whose file has gone since: nothing to hash, the run trains on
    from seqlab.data import prepare

    (tmp_path / "b").mkdir()
    cfg2 = make_cfg(tmp_path / "b", epochs=1)
    prep = prepare(cfg2.data)
    Path(cfg2.data.path).unlink()
    end = Trainer(cfg2, prepared=prep, write_files=False).run()
    assert end.status == "finished" and cfg2.data.sha256 is None


# --------------------------------------------------------------- stop with a reason, clip, start
def test_a_cancel_that_says_why_gives_its_reason(tmp_path: Path) -> None:
    class Pruned(threading.Event):
        reason = "pruned: behind the median trial at epoch 1"

    cancel = Pruned()
    cancel.set()
    end = Trainer(make_cfg(tmp_path), cancel=cancel, write_files=False).run()
    assert end.status == "stopped" and end.reason == "pruned: behind the median trial at epoch 1"


def test_a_stop_in_the_first_epoch_of_a_differenced_run_keeps_persistence_on_disk(
        tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path, epochs=3, batch_size=2)
    cfg.data.difference = "yes"  # type: ignore[assignment]
    cancel = threading.Event()
    tr = Trainer(cfg, cancel=cancel, run_dir=tmp_path / "run")
    real_batch = tr._batch

    def batch(idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cancel.set()
        return real_batch(idx)

    tr._batch = batch  # type: ignore[method-assign]
    end = tr.run()
    assert end.status == "stopped" and end.epochs == 0 and end.best_epoch == 0
    assert end.reason == ("stopped by the user during epoch 1; no epoch beat the starting point "
                          "(the persistence forecast) on validation, so it is kept")
    saved = torch.load(tmp_path / "run" / "model.pt", weights_only=False)["state_dict"]
    for k, v in tr.model.state_dict().items():  # type: ignore[union-attr]
        assert torch.equal(saved[k], v), k  # the starting weights, restored and on disk


@pytest.mark.parametrize("clip", [0.0, 1e-3])
def test_clip_bounds_the_gradient_norm_and_zero_turns_it_off(tmp_path: Path, clip: float) -> None:
    norms: list[float] = []

    def before_step(opt: torch.optim.Optimizer, args: object, kwargs: object) -> None:
        grads = [p.grad for g in opt.param_groups for p in g["params"] if p.grad is not None]
        norms.append(float(torch.linalg.vector_norm(torch.stack(
            [torch.linalg.vector_norm(g) for g in grads]))))

    from torch.optim.optimizer import register_optimizer_step_pre_hook

    handle = register_optimizer_step_pre_hook(before_step)
    try:
        Trainer(make_cfg(tmp_path, epochs=2, batch_size=8, clip=clip), write_files=False).run()
    finally:
        handle.remove()
    assert len(norms) == 10  # 5 batches a epoch
    if clip:
        assert max(norms) <= clip * (1 + 1e-5)
    else:
        assert min(norms) > 1e-3  # unclipped gradients: larger than the bound checked above


# ---------------------------------------------------------------------------- a failing run
class FailsAt(ScriptedTrainer):
    def __init__(self, cfg: RunConfig, losses: list[float], fail_batch: int,
                 exc: Exception, **kw: object) -> None:
        super().__init__(cfg, losses, **kw)
        self.fail_batch, self.exc, self.batches = fail_batch, exc, 0

    def _batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.batches += 1
        if self.batches == self.fail_batch:
            raise self.exc
        return super()._batch(idx)


def test_an_error_in_the_second_epoch_fails_the_run_and_keeps_the_first(tmp_path: Path) -> None:
    from seqlab.training.events import ProbeSnapshot

    cfg = make_cfg(tmp_path, epochs=3, batch_size=20, probe_every=1)
    events: list[object] = []
    tr = FailsAt(cfg, [1.0, 0.5, 0.4], fail_batch=3, exc=RuntimeError("boom"),
                 callback=events.append, run_dir=tmp_path / "run")
    end = tr.run()
    assert end.status == "failed" and end.reason == "RuntimeError: boom"  # no 'restored' tail
    for k, v in tr.model.state_dict().items():  # type: ignore[union-attr]
        assert torch.equal(v, tr.states[1][k]), k
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["reason"] == "RuntimeError: boom"
    assert not (tmp_path / "run" / "predictions.csv").exists()  # no forecasts of a failed run
    saved = torch.load(tmp_path / "run" / "model.pt", weights_only=False)["state_dict"]
    assert all(torch.equal(saved[k], v) for k, v in tr.states[1].items())  # saved at epoch 1
    assert [e.epoch for e in events if isinstance(e, ProbeSnapshot)] == [1]  # none at the end
    # epoch 2 was cut short: one epoch completed, counted as a stop at the same place counts it
    assert end.epochs == 1 and summary["epochs"] == 1 and end.best_epoch == 1


def test_an_error_in_the_first_epoch_keeps_no_weights(tmp_path: Path) -> None:
    tr = FailsAt(make_cfg(tmp_path, epochs=2, batch_size=20), [1.0, 1.0], fail_batch=2,
                 exc=RuntimeError("boom"), run_dir=tmp_path / "run")
    end = tr.run()
    assert end.status == "failed" and end.reason == "RuntimeError: boom"
    assert not (tmp_path / "run" / "model.pt").exists()
    assert end.epochs == 0  # the first epoch never completed


def test_a_disk_error_while_training_fails_the_run_saying_what_and_where(tmp_path: Path) -> None:
    import errno

    exc = OSError(errno.ENOSPC, "No space left on device", "/runs/x/last.pt")
    end = FailsAt(make_cfg(tmp_path, epochs=2, batch_size=20), [1.0, 1.0], fail_batch=3,
                  exc=exc, write_files=False).run()
    assert end.status == "failed"
    assert end.reason == ("could not write /runs/x/last.pt: No space left on device; free some "
                          "space and re-run (what was written before is kept)")
    assert end.summary["status"] == "failed" and end.summary["reason"] == end.reason


@pytest.mark.parametrize("blocked", ["predictions.csv", "summary.json"])
def test_a_file_of_the_run_s_end_that_cannot_be_written_fails_the_run(
        tmp_path: Path, blocked: str) -> None:
    run = tmp_path / "run"
    (run / blocked).mkdir(parents=True)  # a directory where the file should go
    end = Trainer(make_cfg(tmp_path, epochs=1), run_dir=run).run()
    assert end.status == "failed"
    assert end.reason.startswith(f"could not write {run / blocked}") or (
        end.reason.startswith("could not write") and blocked in end.reason)
    assert end.summary["status"] == "failed" and end.summary["reason"] == end.reason
    if blocked == "predictions.csv":  # summary.json itself was written, and says so
        summary = json.loads((run / "summary.json").read_text())
        assert summary["status"] == "failed" and summary["reason"] == end.reason


# ------------------------------------------------------------------ predictions, by hand
def ramp_y(i: int) -> float:
    return 100 + 10 * i + (i % 3)  # ramp_csv's value at t = i


def test_prediction_events_and_rows_carry_the_persistence_baseline(tmp_path: Path) -> None:
    """On the ramp y(t) = 100 + 10 t + t % 3 the persistence forecast of row t is y(t - 1)."""
    import csv

    from seqlab.training.events import Predictions

    events: list[object] = []
    end = Trainer(make_cfg(tmp_path, epochs=2), callback=events.append,
                  run_dir=tmp_path / "run").run()
    preds = [e for e in events if isinstance(e, Predictions)]
    assert [(p.split, p.epoch) for p in preds] == [("val", 1), ("val", 2), ("test", 2)]
    with (tmp_path / "run" / "predictions.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {r["split"] for r in rows} == {"train", "val", "test"}
    for r in rows:
        t = int(r["label"])
        assert float(r["actual"]) == ramp_y(t) and float(r["baseline"]) == ramp_y(t - 1)
    test_rows = [r for r in rows if r["split"] == "test"]
    test = preds[-1]
    assert test.labels == [r["label"] for r in test_rows]
    assert list(test.actual) == [ramp_y(int(t)) for t in test.labels]
    assert list(test.baseline) == [ramp_y(int(t) - 1) for t in test.labels]
    np.testing.assert_allclose(test.predicted, [float(r["predicted"]) for r in test_rows],
                               rtol=1e-5)  # the csv keeps 6 significant digits
    assert end.epochs == 2


def test_predictions_of_a_split_longer_than_a_prediction_batch_cover_every_window(
        tmp_path: Path) -> None:
    """Predictions are made in batches of at least 256 windows: an 800-row ramp has more than
    two such batches of training windows, and each must be the model's output for that window."""
    cfg = make_cfg(tmp_path, epochs=1, batch_size=256)
    cfg.data.path = str(ramp_csv(tmp_path, n=800))
    tr = Trainer(cfg, write_files=False)
    tr.run()
    prep = tr.prepared
    assert prep is not None and prep.train.X.shape[0] > 2 * 256
    model = tr.model
    assert model is not None
    model.eval()
    for split in (prep.train, prep.val, prep.test):
        with torch.no_grad():
            direct = model(tr._x[split.name]).numpy()
        np.testing.assert_allclose(tr._predict(split), direct, rtol=1e-5, atol=1e-6)


def test_a_run_that_diverges_in_its_first_epoch_sends_no_probe(tmp_path: Path) -> None:
    from seqlab.training.events import ProbeSnapshot

    events: list[object] = []
    end = ScriptedTrainer(make_cfg(tmp_path, epochs=3, probe_every=1), [math.nan, 1.0, 1.0],
                          callback=events.append, write_files=False).run()
    assert end.status == "diverged" and end.best_epoch == 0
    assert not any(isinstance(e, ProbeSnapshot) for e in events)


def test_a_single_training_window_trains_every_epoch(tmp_path: Path) -> None:
    """7 rows, window 3: the fewest that give every split a window; one of them trains."""
    cfg = make_cfg(tmp_path, epochs=2)
    cfg.data.path = str(ramp_csv(tmp_path, n=7))
    tr = Trainer(cfg, write_files=False)
    end = tr.run()
    assert tr.prepared is not None and tr.prepared.train.X.shape[0] == 1
    assert end.status == "finished" and end.epochs == 2 and len(tr.history) == 2


def test_predictions_csv_names_the_series_of_each_row(tmp_path: Path) -> None:
    """Long format, two series: a(t) = 100 + 10 t + t % 3 and b(t) = 500 + 2 t. Each row's
    series column must name the series its actual value and persistence baseline come from."""
    import csv

    def value(series: str, t: int) -> float:
        return ramp_y(t) if series == "a" else 500 + 2 * t

    import datetime as dt

    day = {(dt.date(2020, 1, 1) + dt.timedelta(days=t)).isoformat(): t for t in range(40)}
    p = tmp_path / "long.csv"
    p.write_text("date,id,y\n" + "".join(f"{d},{s},{value(s, t)}\n"
                                         for d, t in day.items() for s in ("a", "b")))
    cfg = make_cfg(tmp_path, epochs=1)
    cfg.data.path = str(p)
    cfg.data.series_id = "id"
    cfg.data.target = "y"
    end = Trainer(cfg, run_dir=tmp_path / "run").run()
    assert end.status == "finished", end.reason
    with (tmp_path / "run" / "predictions.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {r["series"] for r in rows} == {"a", "b"}
    for r in rows:
        t = day[r["label"][:10]]
        assert float(r["actual"]) == value(r["series"], t)
        assert float(r["baseline"]) == value(r["series"], t - 1)


def test_a_run_that_failed_while_training_keeps_that_reason_when_an_end_file_fails(
        tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "summary.json").mkdir(parents=True)
    end = FailsAt(make_cfg(tmp_path, epochs=2, batch_size=20), [1.0, 1.0], fail_batch=3,
                  exc=RuntimeError("boom"), run_dir=run).run()
    assert end.status == "failed" and end.reason == "RuntimeError: boom"  # the first cause
    assert end.summary["reason"] == "RuntimeError: boom"


def test_a_run_that_diverges_before_any_finite_loss_keeps_no_weights(tmp_path: Path) -> None:
    """Diverged in epoch 1 of a model of levels: no epoch had weights worth keeping, so no
    model.pt (its weights would forecast NaN), and the run says so; the run still ends with its
    status and summary."""
    end = ScriptedTrainer(make_cfg(tmp_path, epochs=3), [math.nan, 1.0, 1.0]).run()
    run = Path(end.run_dir)
    assert end.status == "diverged" and end.best_epoch == 0
    assert "no weights were kept" in end.reason
    assert not (run / "model.pt").exists()
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "diverged" and "no weights were kept" in summary["reason"]
    # diverging after a finite epoch keeps that epoch's weights, as before
    later = ScriptedTrainer(make_cfg(tmp_path, epochs=3), [1.0, math.nan, 1.0])
    end = later.run()
    assert end.status == "diverged" and end.best_epoch == 1
    assert "no weights were kept" not in end.reason
    assert (Path(end.run_dir) / "model.pt").is_file()
