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
