"""The one run-state fold, series and text: events in, the picture the views draw out."""

from __future__ import annotations

import math

import numpy as np

from seqlab.training.events import EpochEnd, ProbeSnapshot, RunEnd, RunStarted, StepEnd
from seqlab.tui.runstate import RunState


def _started(kind: str = "series", resumed: int = 0) -> RunStarted:
    shapes = {"train": [40, 16], "val": [6, 16]} if kind == "text" else {"train": [88, 12, 1]}
    base = {"perplexity": 30.0} if kind == "text" else {"mae": 3.0}
    return RunStarted("runs/x", "cpu", 1000, 5, 4, shapes, {}, base, {}, kind=kind,
                      resumed_epoch=resumed)


def _epoch(e: int, val: float, best: bool, stats: dict | None = None) -> EpochEnd:
    return EpochEnd(e, 5, val + 0.1, val, {"mae": val}, best, float(e), 100.0, 5.0 - e,
                    device_stats=stats or {})


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


def test_a_resumed_run_drops_what_was_logged_after_its_checkpoint() -> None:
    log = [_started(), *[_epoch(e, 1.0 / e, True) for e in (1, 2, 3)],
           StepEnd(4, 1, 4, 13, 0.2, 90.0),  # crashed in epoch 4; last.pt holds epoch 2
           _started(resumed=2), _epoch(3, 0.2, True)]
    st = RunState.replay(log)
    assert st.epochs == [1, 2, 3] and st.val_loss == [1.0, 0.5, 0.2]
    assert st.step_x == [] and st.best_epoch == 3 and st.status == "running"


def test_device_figures_show_only_when_the_run_reports_them() -> None:
    cpu = RunState.replay([_started(), _epoch(1, 0.4, True)])
    assert not cpu.gpu.any and cpu.gpu.describe() == ""
    stats = {"mem_allocated": 1.5 * 2**30, "mem_peak": 2.25 * 2**30, "util": 87.0,
             "power_w": 210.4}
    gpu = RunState.replay([_started(), _epoch(1, 0.4, True, stats)])
    assert gpu.gpu.describe() == "GPU 1.5/2.2 GiB · util 87% · 210 W"
    small = RunState.replay([_started(), StepEnd(1, 1, 4, 1, 0.5, 90.0,
                                                 device_stats={"mem_allocated": 50 * 2**20,
                                                               "mem_peak": 80 * 2**20})])
    assert small.gpu.describe() == "GPU 50/80 MiB"


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


def test_a_replay_that_builds_only_the_newest_arrays_folds_as_the_whole_log(
        trained_run) -> None:
    """Attaching replays the log without building the arrays the fold throws away (every
    epoch's predictions, every probe snapshot but the last): the fold is the same, and a
    chunk holding only such lines does not end the replay early."""
    from seqlab.training import record
    from seqlab.training.events import Predictions

    whole, notes = record.read_events(trained_run)
    assert notes == []
    assert sum(isinstance(e, Predictions) for e in whole) > 3  # superseded ones exist
    expect = RunState.replay(whole)

    tail = record.EventTail(trained_run)
    latest: dict = {}
    got = RunState()
    empty_chunks = 0
    while True:
        offset = tail.offset
        batch = tail.read_new(300, latest)  # small chunks: some hold only kept-back lines
        if tail.offset == offset:
            break
        empty_chunks += not batch
        for event in batch:
            got.apply(event)
    assert empty_chunks > 0
    assert got.predictions == {} and got.probe is None  # the curves come first
    late = tail.build_latest(latest)
    splits = [e.split for e in late if isinstance(e, Predictions)]
    assert len(splits) == len(set(splits)) == len(expect.predictions)
    assert sum(isinstance(e, ProbeSnapshot) for e in late) == 1
    for event in late:
        got.apply(event)
    for name in ("epochs", "train_loss", "val_loss", "val_metrics", "step_x", "best_epoch",
                 "status", "epoch", "summary"):
        assert getattr(got, name) == getattr(expect, name), name
    assert got.predictions.keys() == expect.predictions.keys()
    for split, pred in expect.predictions.items():
        np.testing.assert_array_equal(got.predictions[split].predicted, pred.predicted)
        assert got.predictions[split].labels == pred.labels
    assert (got.probe.epoch, got.probe.sample) == (expect.probe.epoch, expect.probe.sample)
    for key, value in expect.probe.states.items():
        np.testing.assert_array_equal(got.probe.states[key], value)
    assert tail.skipped == 0


def test_a_corrupt_kept_back_line_is_skipped_with_a_note(tmp_path) -> None:
    from seqlab.training import record

    (tmp_path / "events.jsonl").write_text(
        '{"type":"Predictions","split":"val","epoch":1}\n'  # parses, but is no Predictions
        '{"type":"ProbeSnapshot","epo\n')  # does not parse
    tail = record.EventTail(tmp_path)
    latest: dict = {}
    assert tail.read_new(None, latest) == []
    assert tail.build_latest(latest) == []
    assert tail.skipped == 2
    assert [n.split(" skipped")[0] for n in tail.notes] == ["line 2 of events.jsonl",
                                                           "line 1 of events.jsonl"]
