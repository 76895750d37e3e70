"""The one run-state fold, series and text: events in, the picture the views draw out."""

from __future__ import annotations

import math

import numpy as np

from seqlab.training.events import EpochEnd, ProbeSnapshot, RunEnd, RunStarted, StepEnd
from seqlab.tui.runstate import RunState


def _started(kind: str = "series") -> RunStarted:
    shapes = {"train": [40, 16], "val": [6, 16]} if kind == "text" else {"train": [88, 12, 1]}
    base = {"perplexity": 30.0} if kind == "text" else {"mae": 3.0}
    return RunStarted("runs/x", "cpu", 1000, 5, 4, shapes, {}, base, {}, kind=kind)


def _epoch(e: int, val: float, best: bool) -> EpochEnd:
    return EpochEnd(e, 5, val + 0.1, val, {"mae": val}, best, float(e), 100.0, 5.0 - e)


def test_text_runs_fold_their_window_and_unigram_baseline() -> None:
    st = RunState.replay([_started("text"), _epoch(1, 2.0, True)])
    assert st.kind == "text" and st.window == 16 and st.n_train == 40 and st.n_val == 6
    assert st.unigram == 30.0
    assert st.tokens_per_s == 100.0 * 16
    assert math.isclose(st.val_perplexity, math.exp(2.0))


def test_series_runs_keep_their_metrics() -> None:
    st = RunState.replay([_started(), StepEnd(1, 2, 4, 2, 0.5, 90.0), _epoch(1, 0.4, True),
                          _epoch(2, 0.5, False)])
    assert st.kind == "series" and st.epochs == [1, 2] and st.best_epoch == 1
    assert st.step_x == [0.5] and st.latest_val == {"mae": 0.5}
    end = RunEnd("finished", "", "runs/x", 2, 1, 2.0, {"test": {"mae": 1.0}})
    st.apply(end)
    assert st.status == "finished" and st.test_metrics == {"mae": 1.0} and not st.active


def test_probe_snapshots_are_kept_whole() -> None:
    snap = ProbeSnapshot(1, "val", 3, ["a"], {"h/0/fwd": np.zeros((1, 2), np.float32)},
                         {"0/fwd": np.zeros(1, np.float32)}, 0.1, 0.0)
    st = RunState.replay([_started(), snap])
    assert st.probe is snap


def test_unknown_events_change_nothing() -> None:
    st = RunState.replay([_started()])
    version = st.version
    st.apply(object())
    assert st.version == version
