"""Core computations checked against values worked out by hand (kills mutants that the other
unit tests let through; see docs/mutation.md)."""

from __future__ import annotations

import csv
import json
import math
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from seqlab.data import prepare
from seqlab.data.csvio import Table, read_table
from seqlab.data.longformat import LongFormat, arrange
from seqlab.data.prepare import (
    Prepared,
    Split,
    _bounds,
    _interpolate_within_splits,
    _split_edges,
    _trend_note,
)
from seqlab.data.scaling import Scaler
from seqlab.data.stationarity import adf_test, critical_value_5pct
from seqlab.data.timecol import mixed_formats, parse_text_time
from seqlab.data.windows import (
    anchors,
    input_windows,
    min_rows_needed,
    split_rows,
    target_windows,
    window_counts,
)
from seqlab.errors import DataError
from seqlab.models import build_model, probe
from seqlab.training.events import Predictions, ProbeSnapshot, StepEnd, loads
from seqlab.training.metrics import (
    conformal_halfwidths,
    coverage,
    level_key,
    mape_reliable,
    metrics_by_step,
    perplexity,
    regression_metrics,
    seasonal_naive_scale,
    verdict,
)
from seqlab.training.trainer import Trainer


def test_seasonal_naive_scale_pools_every_segment_at_the_season_lag() -> None:
    # segment 1, lag 2: |4-1|, |7-2|, |11-4| = 3, 5, 7; segment 2: |13-10| = 3 -> mean 18/4
    scale, m = seasonal_naive_scale([np.array([1.0, 2, 4, 7, 11]), np.array([10.0, 10, 13])], 2)
    assert m == 2
    assert scale == pytest.approx(4.5)


def test_seasonal_naive_scale_falls_back_to_lag_one_and_skips_missing() -> None:
    # no segment longer than the season 4: persistence, |3-1| = 2
    assert seasonal_naive_scale([np.array([1.0, 3.0])], 4) == (pytest.approx(2.0), 1)
    # one segment long enough keeps the season for all; the short one adds nothing
    scale, m = seasonal_naive_scale([np.array([0.0, 0, 5]), np.array([9.0, 1])], 2)
    assert (scale, m) == (pytest.approx(5.0), 2)
    # a NaN difference is left out: |4-nan|, |nan-1| dropped, |5-4| = 1 kept
    scale, m = seasonal_naive_scale([np.array([1.0, math.nan, 4.0, 5.0])], 1)
    assert (scale, m) == (pytest.approx(1.0), 1)
    # a segment exactly one season long has no seasonal difference: lag 1, |3-1| = 2
    assert seasonal_naive_scale([np.array([1.0, 3.0])], 2) == (pytest.approx(2.0), 1)
    # nothing to difference: NaN, and the lag still says which one was meant
    scale, m = seasonal_naive_scale([np.array([5.0])], 1)
    assert math.isnan(scale) and m == 1


# --- metrics ---------------------------------------------------------------------------------


def test_conformal_halfwidth_is_the_ceil_n_plus_1_level_th_smallest_residual() -> None:
    # 9 calibration windows, residuals 1..9 (step 1) and 10..90 (step 2), in shuffled order
    order = [4, 8, 1, 9, 2, 7, 3, 6, 5]
    actual = np.array([[float(r), 10.0 * r] for r in order])
    predicted = np.zeros_like(actual)
    q = conformal_halfwidths(actual, predicted)
    # 80 %: ceil(10 * 0.8) = 8th smallest; 95 %: ceil(10 * 0.95) = 10 > 9 windows -> infinite
    assert sorted(q) == ["80", "95"]
    np.testing.assert_array_equal(q["80"], [8.0, 80.0])
    np.testing.assert_array_equal(q["95"], [math.inf, math.inf])
    # negative residuals count by their size; 19 windows reach 95 %: ceil(20 * 0.95) = 19th
    res = -np.arange(1.0, 20.0)
    q19 = conformal_halfwidths(res, np.zeros(19))
    assert q19["95"].tolist() == [19.0] and q19["80"].tolist() == [16.0]
    # no calibration windows: infinite for every step
    q0 = conformal_halfwidths(np.empty((0, 3)), np.empty((0, 3)))
    np.testing.assert_array_equal(q0["80"], [math.inf] * 3)
    assert level_key(0.8) == "80" and level_key(0.95) == "95" and level_key(0.5) == "50"


def test_coverage_counts_targets_inside_the_band_edges_included() -> None:
    actual = np.zeros((3, 2))
    predicted = np.array([[0.5, 2.0], [1.0, 0.0], [3.0, 0.1]])
    # |error| <= 1 per step: [T, F], [T (on the edge), T], [F, T] -> 4 of 6
    assert coverage(actual, predicted, np.array([1.0, 1.0])) == pytest.approx(4 / 6)
    # a per-step width: step 2 widened to 2 takes in the 2.0 -> 5 of 6
    assert coverage(actual, predicted, np.array([1.0, 2.0])) == pytest.approx(5 / 6)
    assert coverage(np.array([1.0, 2.0]), np.array([1.0, 5.0]), np.array([1.0])) == 0.5
    assert math.isnan(coverage(np.empty((0, 2)), np.empty((0, 2)), np.array([1.0, 1.0])))


def test_mape_reliable_compares_the_smallest_target_with_a_tenth_of_the_mean() -> None:
    assert mape_reliable(np.array([1.0, 19.0]))  # mean 10, smallest 1 = 10 % of it: still fine
    assert mape_reliable(np.array([-1.0, 19.0]))  # sizes, not signs
    assert not mape_reliable(np.array([0.9, 19.1]))  # smallest 0.9 < 1.0
    assert not mape_reliable(np.array([0.0, 0.0]))  # all zero: no percentage means anything
    assert mape_reliable(np.array([math.nan, 1.0, 19.0]))  # missing values left out
    assert mape_reliable(np.array([math.nan]))  # nothing to judge
    assert mape_reliable(np.array([[1.0], [19.0]]))  # any shape


def test_regression_metrics_edge_cases_by_hand() -> None:
    m = regression_metrics(np.array([0.0, 2.0]), np.array([0.0, 1.0]), scale=0.25)
    # errors 0, -1: MAE 0.5, RMSE sqrt(0.5); MAPE over the non-zero target only: 1/2 = 50 %
    # sMAPE skips the 0/0 pair: 2 * 1 / (2 + 1) = 66.7 %; MASE 0.5 / 0.25
    assert m["mae"] == pytest.approx(0.5) and m["rmse"] == pytest.approx(math.sqrt(0.5))
    assert m["mape"] == pytest.approx(50.0) and m["mape_skipped"] == 1.0
    assert m["smape"] == pytest.approx(200.0 / 3.0) and m["mase"] == pytest.approx(2.0)
    assert m["mape_reliable"] == 0.0  # a zero target
    z = regression_metrics(np.array([0.0, 0.0]), np.array([1.0, 0.0]))
    # the one pair that is not 0/0: 2 * 1 / (0 + 1) = 200 %
    assert math.isnan(z["mape"]) and z["mape_skipped"] == 2.0 and z["smape"] == pytest.approx(200.0)
    assert "mase" not in z
    both = regression_metrics(np.array([0.0]), np.array([0.0]), scale=1.0)
    assert math.isnan(both["smape"]) and both["mae"] == 0.0 and both["mase"] == 0.0
    for bad in (0.0, -1.0, math.inf, math.nan):
        assert math.isnan(regression_metrics(np.array([1.0]), np.array([2.0]), bad)["mase"])
    empty = regression_metrics(np.empty(0), np.empty(0), scale=1.0)
    assert empty["mape_skipped"] == 0.0 and empty["mape_reliable"] == 1.0
    assert all(math.isnan(empty[k]) for k in ("mae", "rmse", "mape", "smape", "mase"))
    assert "mase" not in regression_metrics(np.empty(0), np.empty(0))
    with pytest.raises(ValueError, match="shape mismatch"):
        regression_metrics(np.zeros(3), np.zeros(2))
    assert regression_metrics(np.array([[1.0, 2.0]]), np.array([[2.0, 4.0]]))["mae"] == 1.5


def test_metrics_by_step_splits_the_horizon() -> None:
    actual = np.array([[1.0, 10.0], [3.0, 30.0]])
    predicted = np.array([[2.0, 10.0], [3.0, 20.0]])
    steps = metrics_by_step(actual, predicted, scale=2.0)
    assert len(steps) == 2
    assert steps[0]["mae"] == pytest.approx(0.5) and steps[0]["mase"] == pytest.approx(0.25)
    assert steps[1]["mae"] == pytest.approx(5.0) and steps[1]["rmse"] == pytest.approx(math.sqrt(50))
    one = metrics_by_step(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    assert len(one) == 1 and one[0]["mae"] == pytest.approx(1.0) and "mase" not in one[0]


def test_perplexity_is_exp_of_the_mean_nll_and_inf_on_overflow() -> None:
    assert perplexity(math.log(7.0)) == pytest.approx(7.0)
    assert perplexity(1e6) == math.inf


def test_verdict_names_every_naive_forecast_that_beats_the_model() -> None:
    levels = {"test": {"mae": 3.0}, "baseline_test": {"mae": 2.0}, "snaive_test": {"mae": 1.5},
              "difference": False}
    assert verdict(levels) == (
        "the model's test MAE 3 is worse than persistence (2) and seasonal naive (1.5): the "
        "model forecasts levels: try --difference yes (model the changes), then a longer "
        "--window.")
    assert verdict(levels, lab=True) == (
        "the model's test MAE 3 is worse than persistence (2) and seasonal naive (1.5): the "
        "model forecasts levels: set 'difference' to yes in the Data view (model the changes), "
        "then try a longer window.")
    # short: the first loser only, one line
    assert verdict(levels, short=True) == "⚠ test MAE 3 > persistence 2: try --difference yes"
    assert verdict(levels, lab=True, short=True) == (
        "⚠ test MAE 3 > persistence 2: set difference to yes (Data view)")
    changes = {**levels, "difference": True}
    assert verdict(changes) == (
        "the model's test MAE 3 is worse than persistence (2) and seasonal naive (1.5): try a "
        "longer --window (a whole season or two), more --epochs or --patience, or another "
        "--seed; a naive forecast this good may simply be hard to beat.")
    lab = verdict(changes, lab=True)
    assert lab is not None and lab.endswith(
        ": try a longer window (a season or two) in the Data view, or more epochs or patience "
        "in the Model view; a naive forecast this good may simply be hard to beat.")
    assert verdict(changes, short=True) == (
        "⚠ test MAE 3 > persistence 2: try a longer window, more epochs or patience")


def test_verdict_only_when_a_naive_forecast_is_strictly_better() -> None:
    # only the seasonal naive forecast is better; no persistence figure at all
    only_snaive = {"test": {"mae": 3.0}, "snaive_test": {"mae": 2.5}}
    assert verdict(only_snaive, short=True) == (
        "⚠ test MAE 3 > seasonal naive 2.5: try --difference yes")
    # a tie is not worse
    assert verdict({"test": {"mae": 2.0}, "baseline_test": {"mae": 2.0},
                    "snaive_test": {"mae": 2.0}}) is None
    # nothing to compare: no test metrics, or figures that are not numbers
    assert verdict({"baseline_test": {"mae": 1.0}}) is None
    assert verdict({"test": {"mae": "n/a"}, "baseline_test": {"mae": 1.0}}) is None
    assert verdict({"test": {"mae": 3.0}, "baseline_test": {"rmse": 1.0},
                    "snaive_test": [1.0]}) is None


# --- probing ---------------------------------------------------------------------------------


def _seq_model(cell: str, rnn: nn.Module | None = None, horizon: int = 2) -> nn.Module:
    torch.manual_seed(11)
    m = build_model(3, horizon, ModelConfig(cell=cell, hidden_size=5))
    if rnn is not None:
        m.rnn = rnn
    return m


@pytest.mark.parametrize(("cell", "rnn"), [
    ("rnn", lambda: nn.RNN(3, 5, batch_first=True, nonlinearity="relu")),
    ("rnn", lambda: nn.RNN(3, 5, batch_first=True, bias=False)),
    ("lstm", lambda: nn.LSTM(3, 5, batch_first=True, bias=False)),
    ("gru", lambda: nn.GRU(3, 5, batch_first=True, bias=False, bidirectional=True)),
], ids=["relu", "rnn-nobias", "lstm-nobias", "gru-nobias-bi"])
def test_probe_unroll_matches_relu_and_bias_free_modules(cell: str, rnn) -> None:
    torch.manual_seed(5)
    module = rnn()
    m = _seq_model(cell, module)
    if module.bidirectional:
        m.head = nn.Linear(10, 2)
        m.num_directions = 2
    x, y = torch.randn(3, 7, 3), torch.randn(3, 2)
    r = probe(m, x, y)
    with torch.no_grad():
        seq, _ = module(x)
    hd = 5
    np.testing.assert_allclose(r.states["h/0/fwd"], seq[..., :hd].numpy(), atol=1e-5, rtol=0)
    if module.bidirectional:
        np.testing.assert_allclose(r.states["h/0/bwd"], seq[..., hd:].numpy(), atol=1e-5, rtol=0)
    assert r.max_abs_error < 1e-5
    if getattr(module, "nonlinearity", "") == "relu":  # relu states are unbounded above
        assert r.states["h/0/fwd"].min() >= 0.0 and r.states["h/0/fwd"].max() > 1.0


def test_probe_input_grads_are_the_jacobian_norm_per_input_step() -> None:
    m = _seq_model("gru", horizon=3)
    torch.manual_seed(2)
    x, y = torch.randn(2, 6, 3), torch.randn(2, 3)
    r = probe(m, x, y)
    m.eval()
    for s in range(2):
        # d forecast (H) / d inputs (T, F) of sample s alone, by torch's own Jacobian
        jac = torch.autograd.functional.jacobian(lambda xs: m(xs[None])[0], x[s])  # (H, T, F)
        expected = jac.pow(2).sum(dim=(0, 2)).sqrt().numpy()  # (T,)
        np.testing.assert_allclose(r.input_grads[s], expected, rtol=1e-4, atol=1e-6)
    assert r.input_grads.shape == (2, 6)


def test_probe_runs_on_one_thread_and_restores_the_count() -> None:
    m = _seq_model("lstm")
    seen: list[int] = []

    def loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        seen.append(torch.get_num_threads())
        return F.mse_loss(a, b)

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        probe(m, torch.randn(2, 4, 3), torch.randn(2, 2), loss)
        assert seen == [1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_probe_refuses_what_it_cannot_unroll() -> None:
    from seqlab.models.probing import cell_kind

    assert [cell_kind(nn.RNN(2, 3)), cell_kind(nn.LSTM(2, 3)), cell_kind(nn.GRU(2, 3))] == [
        "rnn", "lstm", "gru"]
    with pytest.raises(TypeError, match="cannot probe Linear"):
        cell_kind(nn.Linear(2, 3))
    m = _seq_model("lstm", nn.LSTM(3, 5, batch_first=True, proj_size=2))
    with pytest.raises(TypeError, match="^cannot probe an LSTM with proj_size$"):
        probe(m, torch.randn(1, 4, 3), torch.randn(1, 2))


# --- trainer: control channel and pause ------------------------------------------------------


def _ramp_cfg(tmp_path: Path, **train: object) -> RunConfig:
    p = tmp_path / "ramp.csv"
    p.write_text("t,y\n" + "".join(f"{i},{100 + 10 * i + (i % 3)}\n" for i in range(60)))
    t = TrainConfig(epochs=2, batch_size=64, patience=0, probe_every=0, threads=1,
                    runs_dir=str(tmp_path / "runs"))
    for k, v in train.items():
        setattr(t, k, v)
    return RunConfig(data=DataConfig(path=str(p), window=3, difference="no"),
                     model=ModelConfig(cell="lstm", hidden_size=3), train=t)


class _Recorder:
    def __init__(self) -> None:
        self.statuses: list[str] = []
        self.state = {"status": "running", "epoch": 2, "loss": math.nan}

    def write_state(self, **fields: object) -> None:
        self.statuses.append(str(fields["status"]))


def test_control_commands_stop_pause_resume_probe_status(tmp_path: Path) -> None:
    tr = Trainer(_ramp_cfg(tmp_path), write_files=False)
    assert tr.handle_command({"cmd": "pause"}) == {"ok": True} and tr.paused.is_set()
    assert tr.handle_command({"cmd": "resume"}) == {"ok": True} and not tr.paused.is_set()
    tr.paused.set()
    # stop also lifts a pause, so a paused run can end
    assert tr.handle_command({"cmd": "stop"}) == {"ok": True}
    assert tr.cancel.is_set() and not tr.paused.is_set()
    for sample in (0, 3):
        assert tr.handle_command({"cmd": "probe", "sample": sample}) == {"ok": True,
                                                                         "sample": sample}
        assert tr.watch_sample == sample
    refusal = {"ok": False, "error": 'probe needs "sample": a whole number >= 0'}
    for bad in ({"cmd": "probe"}, {"cmd": "probe", "sample": -1},
                {"cmd": "probe", "sample": True}, {"cmd": "probe", "sample": "2"},
                {"cmd": "probe", "sample": 1.0}):
        assert tr.handle_command(bad) == refusal
    assert tr.watch_sample == 3
    assert tr.handle_command({"cmd": "status"}) == {"ok": True, "state": {}}
    tr.recorder = _Recorder()
    # the state as JSON allows: NaN becomes null
    assert tr.handle_command({"cmd": "status"}) == {
        "ok": True, "state": {"status": "running", "epoch": 2, "loss": None}}
    assert tr.handle_command({"cmd": "go"}) == {
        "ok": False, "error": "unknown command 'go': use stop, pause, resume, probe or status"}
    assert tr.handle_command({})["error"].startswith("unknown command None")


def _wait_in_thread(tr: Trainer) -> list[float]:
    out: list[float] = []
    th = threading.Thread(target=lambda: out.append(tr._wait_while_paused()), daemon=True)
    th.start()
    th.join(timeout=20)
    assert not th.is_alive(), "the pause never ended"
    return out


def test_a_pause_blocks_until_resumed_and_says_so_in_the_state(tmp_path: Path) -> None:
    tr = Trainer(_ramp_cfg(tmp_path), write_files=False)
    tr.recorder = rec = _Recorder()
    tr.paused.set()
    threading.Timer(0.2, tr.paused.clear).start()
    waited = _wait_in_thread(tr)
    assert not tr.paused.is_set()  # it returned only once resumed
    assert len(waited) == 1 and waited[0] > 0.0
    assert rec.statuses == ["paused", "running"]


def test_a_stop_ends_a_pause_and_the_state_is_not_set_back_to_running(tmp_path: Path) -> None:
    tr = Trainer(_ramp_cfg(tmp_path), write_files=False)
    tr.recorder = rec = _Recorder()
    tr.paused.set()
    threading.Timer(0.2, lambda: tr.handle_command({"cmd": "stop"})).start()
    _wait_in_thread(tr)
    assert rec.statuses == ["paused"]
    # already stopped while paused: returns at once, still not "running"
    tr.paused.set()
    rec.statuses.clear()
    _wait_in_thread(tr)
    assert rec.statuses == ["paused"] and tr.paused.is_set()
    # no recorder (a run without files): nothing to write, and no error
    tr.recorder = None
    tr.cancel.clear()
    tr.paused.clear()
    assert len(_wait_in_thread(tr)) == 1


def test_a_pause_between_batches_trains_on_after_resume(tmp_path: Path) -> None:
    # pause at the first batch (batch size 8: several batches an epoch); resume from a timer
    events: list[object] = []
    tr: Trainer

    def on_event(event: object) -> None:
        events.append(event)
        if isinstance(event, StepEnd) and event.global_step == 1:
            tr.handle_command({"cmd": "pause"})
            threading.Timer(0.3, lambda: tr.handle_command({"cmd": "resume"})).start()

    tr = Trainer(_ramp_cfg(tmp_path, epochs=1, batch_size=8), callback=on_event,
                 write_files=False)
    end = tr.run()
    assert end.status == "finished" and end.epochs == 1 and len(tr.history) == 1


def test_a_stop_while_paused_ends_the_run_inside_that_epoch(tmp_path: Path) -> None:
    tr: Trainer

    def on_event(event: object) -> None:
        if isinstance(event, StepEnd) and event.global_step == 1:
            tr.handle_command({"cmd": "pause"})
            threading.Timer(0.3, lambda: tr.handle_command({"cmd": "stop"})).start()

    tr = Trainer(_ramp_cfg(tmp_path, epochs=3, batch_size=8), callback=on_event,
                 write_files=False)
    end = tr.run()
    assert end.status == "stopped" and end.epochs == 0 and tr.history == []
    assert end.reason == "stopped by the user during epoch 1"
    assert end.run_dir == "" and end.summary["run_dir"] == ""  # a run without files


# --- prepare helpers -------------------------------------------------------------------------


def test_bounds_are_runs_of_equal_series_ids() -> None:
    assert _bounds(np.array([0, 0, 1, 1, 1, 2])) == [(0, 2), (2, 5), (5, 6)]
    assert _bounds(np.array([4])) == [(0, 1)]
    assert _bounds(None) == [] and _bounds(np.array([], dtype=np.int64)) == []


def test_split_edges_count_from_the_first_to_the_last_filled_row() -> None:
    cfg = DataConfig(split=(0.6, 0.2, 0.2))
    # 12 rows, the first and last missing: 10 usable rows -> 6 train, 2 val from row 1
    missing = np.zeros(12, dtype=bool)
    missing[[0, 11]] = True
    assert _split_edges(cfg, missing, None) == [7, 9]
    # two leading gaps move both edges by two
    missing2 = np.zeros(12, dtype=bool)
    missing2[[0, 1]] = True
    assert _split_edges(cfg, missing2, None) == [8, 10]
    # a backtest fold: 2 val and 3 test rows at the end of the 10 usable ones
    assert _split_edges(cfg, missing, (2, 3)) == [6, 8]
    # nothing filled: the whole length
    assert _split_edges(cfg, np.ones(10, dtype=bool), None) == [6, 8]


@pytest.mark.parametrize(("edge", "carried"), [(3, False), (4, True), (5, True), (7, True),
                                               (9, True), (10, False)])
def test_a_gap_is_carried_forward_when_a_split_edge_is_within_two_rows(edge: int,
                                                                       carried: bool) -> None:
    # the gap is rows [5, 7): a split starting at rows 4..9 (two rows of slack each side) might
    # make the interpolation read a later split's value
    v = np.array([0.0, 1, 2, 3, 4, math.nan, math.nan, 10, 11, 12, 13, 14])
    n = _interpolate_within_splits(v, [edge])
    if carried:
        assert n == 1 and v[5:7].tolist() == [4.0, 4.0]
    else:
        assert n == 0 and v[5:7].tolist() == [6.0, 8.0]  # 4 -> 10 over three steps


def test_gaps_at_the_ends_are_left_for_dropping() -> None:
    v = np.array([math.nan, 1.0, math.nan, 3.0, math.nan])
    assert _interpolate_within_splits(v, [100]) == 0
    assert np.isnan(v[0]) and v[2] == 2.0 and np.isnan(v[4])


def test_trend_note_when_later_targets_leave_the_training_range() -> None:
    level = np.array([0.0, 9.0, 3.0, 6.0, 20.0, 29.0])
    note = _trend_note(False, level, slice(0, 4), "y")
    # training range 0..9 (span 9); both later values outside; 29 - 9 = 20 beyond = 222 %
    assert note == ("warning: 100% of 'y' after the training rows lies outside the training "
                    "range 0..9 (up to 222% of it beyond); a model fit on that range "
                    "extrapolates badly: for a trending series try --difference yes")
    below = _trend_note(False, np.array([10.0, 19.0, 1.0, 12.0]), np.array([0, 1]), "y")
    assert below is not None and "50% of 'y'" in below and "(up to 100% of it beyond)" in below
    assert _trend_note(True, level, slice(0, 4), "y") is None  # changes: no level to leave
    assert _trend_note(False, level, slice(0, 1), "y") is None  # one training row
    assert _trend_note(False, level, slice(0, 6), "y") is None  # nothing after training


def test_trend_note_thresholds() -> None:
    train = [0.0, 10.0]
    # 1 beyond a span of 10 is just 10 %: not a trend
    assert _trend_note(False, np.array([*train, 11.0]), slice(0, 2), "y") is None
    assert _trend_note(False, np.array([*train, 11.5]), slice(0, 2), "y") is not None
    # a quarter of the later rows outside is enough; a fifth is not
    assert _trend_note(False, np.array([*train, 30.0, 5, 5, 5]), slice(0, 2), "y") is not None
    assert _trend_note(False, np.array([*train, 30.0, 5, 5, 5, 5]), slice(0, 2), "y") is None
    # a constant training range says nothing
    assert _trend_note(False, np.array([3.0, 3.0, 30.0]), slice(0, 2), "y") is None


def _split(name: str, anchor: list[float], starts: list[int], horizon: int,
           snaive: np.ndarray | None = None) -> Split:
    n = len(anchor)
    return Split(name=name, X=np.zeros((n, 2, 1), dtype=np.float32),
                 y=np.zeros((n, horizon), dtype=np.float32), y_true=np.zeros((n, horizon)),
                 anchor=np.array(anchor), starts=np.array(starts, dtype=np.int64), snaive=snaive)


def _prepared(splits: list[Split], horizon: int, **kw: object) -> Prepared:
    return Prepared(train=splits[0], val=splits[1], test=splits[2], feature_names=["y"],
                    target_name="y", time_column="t",
                    time_labels=[f"r{i}" for i in range(10)], window=2, horizon=horizon,
                    n_features=1, scaled_x=np.zeros((10, 1), dtype=np.float32), notes=[], **kw)


def test_to_original_unscales_then_adds_the_changes_to_each_anchor() -> None:
    val = _split("val", [10.0, 20.0], [3, 4], 2)
    scaler = Scaler("standard", np.array([0.5]), np.array([2.0]))
    prep = _prepared([_split("train", [], [], 2), val, _split("test", [], [], 2)], 2,
                     difference=True, y_scaler=scaler)
    z = np.array([[1.0, 2.0], [3.0, 4.0]])
    # unscaled: z * 2 + 0.5 = [[2.5, 4.5], [6.5, 8.5]]; re-integrated from 10 and 20
    np.testing.assert_allclose(prep.to_original(val, z), [[12.5, 17.0], [26.5, 35.0]])
    # rows picks the anchors of the given windows
    np.testing.assert_allclose(prep.to_original(val, z[:1], rows=np.array([1])), [[22.5, 27.0]])
    level = _prepared([_split("train", [], [], 2), val, _split("test", [], [], 2)], 2,
                      y_scaler=scaler)
    np.testing.assert_allclose(level.to_original(val, z), [[2.5, 4.5], [6.5, 8.5]])
    plain = _prepared([_split("train", [], [], 2), val, _split("test", [], [], 2)], 2)
    np.testing.assert_allclose(plain.to_original(val, z.ravel()), z)


def test_naive_forecasts_labels_and_shapes_of_a_prepared_set() -> None:
    sn = np.array([[7.0, 8.0]])
    tr = _split("train", [1.0, 2.0], [0, 1], 2)
    va = _split("val", [5.0], [3], 2, snaive=sn)
    te = _split("test", [6.0], [6], 2)
    prep = _prepared([tr, va, te], 2)
    np.testing.assert_array_equal(prep.baseline(tr), [[1.0, 1.0], [2.0, 2.0]])
    assert prep.seasonal_naive(va) is sn
    np.testing.assert_array_equal(prep.seasonal_naive(te), [[6.0, 6.0]])  # none: persistence
    assert prep.input_labels(tr, 1) == ["r1", "r2"]  # window 2 from row 1
    assert prep.target_labels(tr) == ["r2", "r3"] and prep.target_labels(te) == ["r8"]
    assert prep.shapes() == {"train": [2, 2, 1], "val": [1, 2, 1], "test": [1, 2, 1]}
    assert [prep.split(n) is s for n, s in (("train", tr), ("val", va), ("test", te))] == [
        True, True, True]
    assert len(tr) == 2 and len(va) == 1


# --- windows ---------------------------------------------------------------------------------


def test_min_rows_needed_searches_up_to_the_limit_inclusive() -> None:
    # window 1500, horizon 1, split 0.7/0.15/0.15 needs 2145 rows (0.7 * 2145 = 1501.5)
    split = (0.7, 0.15, 0.15)
    assert min_rows_needed(split, 1500, 1, 1, limit=2145) == 2145
    assert min_rows_needed(split, 1500, 1, 1, limit=2144) is None


# --- long format -----------------------------------------------------------------------------


def test_long_format_description_names_the_file_and_the_choices() -> None:
    found = LongFormat(rows=180, times=60, candidates=["store", "region"])
    assert found.per_time == 3.0
    assert found.describe("/data/sales/long.csv") == (
        "long.csv has 180 rows for 60 timestamps (about 3 per timestamp): it looks like long "
        "format, several series sharing the timestamps, and the series seem told apart by "
        "'store'; choose --series-id store (one model across all series) or --aggregate "
        "sum|mean (one series by time).")
    none = LongFormat(rows=7, times=2, candidates=[])
    assert none.describe("x.csv") == (
        "x.csv has 7 rows for 2 timestamps (about 3.5 per timestamp): it looks like long "
        "format, several series sharing the timestamps, and no column tells the series apart; "
        "choose --series-id COL (one model across all series) or --aggregate sum|mean (one "
        "series by time).")


def test_a_series_id_repeating_a_timestamp_names_the_series_time_and_line(
        tmp_path: Path) -> None:
    p = tmp_path / "dup.csv"
    # line 1 is the header; S0 has 2021-01-02 twice, on lines 4 and 6 of the file
    p.write_text("date,store,sales\n2021-01-01,S0,1\n2021-01-01,S1,2\n2021-01-02,S0,3\n"
                 "2021-01-02,S1,4\n2021-01-02,S0,5\n2021-01-03,S1,6\n")
    with pytest.raises(DataError) as err:
        prepare(DataConfig(path=str(p), window=1, series_id="store"))
    assert str(err.value) == (
        "series 'S0' has the timestamp 2021-01-02 more than once (line 6): 'store' does not "
        "tell the series apart on its own; choose another --series-id or --aggregate.")


# --- predictions.csv: seasonal naive and interval columns ------------------------------------


def test_predictions_csv_seasonal_naive_and_interval_columns(tmp_path: Path) -> None:
    # ramp y = 100 + 10 t, t = 0..39; window 3, horizon 2, split 0.6/0.2/0.2 -> 24 train rows,
    # 7 validation windows; season 2
    p = tmp_path / "ramp.csv"
    p.write_text("year,y\n" + "".join(f"{2000 + t},{100 + 10 * t}\n" for t in range(40)))
    cfg = RunConfig(data=DataConfig(path=str(p), window=3, horizon=2, split=(0.6, 0.2, 0.2),
                                    difference="no", season=2, scale_x="minmax", scale_y="auto"),
                    model=ModelConfig(cell="rnn", hidden_size=2),
                    train=TrainConfig(epochs=1, batch_size=64, patience=0, probe_every=0,
                                      threads=1, runs_dir=str(tmp_path / "runs")))
    events: list[object] = []
    end = Trainer(cfg, callback=events.append).run()
    assert end.status == "finished"
    with open(Path(end.run_dir) / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["label", "split", "step", "actual", "predicted", "baseline",
                             "snaive", "lo80", "hi80", "lo95", "hi95"]
    val = [r for r in rows if r["split"] == "val"]
    # the first validation window reads rows 21..23 and forecasts rows 24 and 25 (2024, 2025):
    # seasonal naive takes the value one season (2 rows) before each: rows 22 and 23
    assert [(r["label"], r["step"], float(r["snaive"]), float(r["baseline"])) for r in val[:2]] \
        == [("2024", "1", 320.0, 330.0), ("2025", "2", 330.0, 330.0)]
    assert len(val) == 7 * 2
    # MASE divides by the training rows' mean |y[t] - y[t-2]| = 20: persistence errs by 10 and
    # 20 (MAE 15), seasonal naive by 20 at both steps
    assert end.summary["mase_scale"] == pytest.approx(20.0)
    for split in ("val", "test"):
        assert end.summary[f"baseline_{split}"]["mase"] == pytest.approx(0.75)
        assert end.summary[f"snaive_{split}"]["mase"] == pytest.approx(1.0)
    # 7 calibration windows: the 80 % half-width is the ceil(8 * 0.8) = 7th smallest, i.e. the
    # largest validation residual of each step; 95 % needs ceil(8 * 0.95) = 8 > 7: infinite
    q80 = [max(abs(float(r["actual"]) - float(r["predicted"])) for r in val if r["step"] == s)
           for s in ("1", "2")]
    test = [r for r in rows if r["split"] == "test"]
    assert test
    for r in test:
        pred, h = float(r["predicted"]), int(r["step"]) - 1
        assert float(r["hi80"]) - pred == pytest.approx(q80[h], abs=2e-3)  # csv rounding
        assert pred - float(r["lo80"]) == pytest.approx(q80[h], abs=2e-3)  # csv rounding
        assert float(r["lo95"]) == -math.inf and float(r["hi95"]) == math.inf
    # the test predictions event carries the same first-step bands
    ev = [e for e in events if isinstance(e, Predictions) and e.split == "test"][-1]
    first = [r for r in test if r["step"] == "1"]
    np.testing.assert_allclose(ev.bands["hi80"], [float(r["hi80"]) for r in first], rtol=1e-5)
    np.testing.assert_allclose(ev.bands["lo80"], [float(r["lo80"]) for r in first], rtol=1e-5)
    assert sorted(ev.bands) == ["hi80", "hi95", "lo80", "lo95"]


def _long_table(tmp_path: Path, stores: int, days: int = 3) -> Table:
    rows = ["date,store,sales"]
    for d in range(days):
        for s in range(stores):
            rows.append(f"2021-01-{d + 1:02d},S{s},{10 * (s + 1) + d}")
    p = tmp_path / f"long{stores}.csv"
    p.write_text("\n".join(rows) + "\n")
    return read_table(p)


def test_series_id_orders_rows_by_series_and_names_at_most_four(tmp_path: Path) -> None:
    table = _long_table(tmp_path, 5)
    new, ids, names, notes = arrange(DataConfig(series_id="store"), table)
    assert names == ["S0", "S1", "S2", "S3", "S4"]
    assert ids.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert new.frame["sales"].tolist() == [10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42,
                                           50, 51, 52]
    # the time key and labels move with their rows: days 1, 2, 3 within every series
    assert new.time_labels[:4] == ["2021-01-01", "2021-01-02", "2021-01-03", "2021-01-01"]
    np.testing.assert_array_equal(new.time_key, np.asarray(table.time_key)[
        [0, 5, 10, 1, 6, 11, 2, 7, 12, 3, 8, 13, 4, 9, 14]])
    assert notes[-1] == ("long format: 5 series told apart by 'store' (S0, S1, S2, S3, ...), "
                         "each in time order; one model learns from all of them")
    four = arrange(DataConfig(series_id="store"), _long_table(tmp_path, 4))[3]
    assert "(S0, S1, S2, S3), each in time order" in four[-1]


@pytest.mark.parametrize("how", ["sum", "mean"])
def test_aggregate_gives_one_row_per_timestamp(tmp_path: Path, how: str) -> None:
    table = _long_table(tmp_path, 3)  # day d: 10 + d, 20 + d, 30 + d
    new, ids, names, notes = arrange(DataConfig(aggregate=how), table)
    assert ids is None and names == []
    expected = [60.0, 63.0, 66.0] if how == "sum" else [20.0, 21.0, 22.0]
    assert new.frame["sales"].tolist() == expected
    assert new.time_labels == ["2021-01-01", "2021-01-02", "2021-01-03"]
    assert len(new.time_key) == 3 and list(np.diff(new.time_key) > 0) == [True, True]
    what = "summed up" if how == "sum" else "averaged"
    assert notes[-1] == (f"long format: the 9 rows {what} by 'date' into 3 timestamps "
                         f"({how} of sales)")


# --- time column -----------------------------------------------------------------------------


def test_mixed_formats_points_at_one_value_of_each_format() -> None:
    s = pd.Series(["2020-01-01", "2020-01-02", "03/01/2020", "2020-01-04", "2020-01-05"])
    assert mixed_formats(s) == (0, 2)
    # the first value in the rarer format: still the majority's first value, then that one
    first_odd = pd.Series(["03/01/2020", "2020-01-02", "2020-01-03", "2020-01-04"])
    assert mixed_formats(first_odd) == (1, 0)
    # a stray word first: not a date column at all
    assert mixed_formats(pd.Series(["abc", "2020-01-01", "2020-01-02", "03/01/2020"])) is None
    # the bad value is no date in any format: nothing to point at
    assert mixed_formats(pd.Series(["2020-01-01", "2020-01-02", "2020-01-03", "n/a"])) is None
    # fewer than half parse with the best format
    assert mixed_formats(pd.Series(["2020-01-01", "x1", "x2", "03/01/2020"])) is None
    # every value parses with one format: not mixed
    assert mixed_formats(pd.Series(["2020-01-01", "2020-01-02"])) is None
    assert mixed_formats(pd.Series(["2020-01-01"])) is None


def test_month_keys_count_months_as_whole_numbers() -> None:
    info = parse_text_time(pd.Series(["1999-12", "2000-01", "2000/02"]))
    assert info is not None and info.kind == "month"
    assert info.key.dtype == np.int64 and info.key.tolist() == [23999, 24000, 24001]
    assert info.labels.tolist() == ["1999-12", "2000-01", "2000-02"]


def test_probe_takes_float64_inputs_as_the_model_s_own_dtype() -> None:
    m = _seq_model("gru")
    torch.manual_seed(4)
    x, y = torch.randn(2, 5, 3), torch.randn(2, 2)
    r32 = probe(m, x, y)
    r64 = probe(m, x.double(), y.double())  # numpy's default dtype, as a user might pass it
    for key, v in r32.states.items():
        np.testing.assert_allclose(r64.states[key], v, atol=1e-6, rtol=0)
    assert r64.loss == pytest.approx(r32.loss, rel=1e-6)


# --- trainer loop: resume, training-loss divergence, probe schedule --------------------------


class _Scripted(Trainer):
    """Validation loss from a script (by epoch); a training loss made NaN at one global step."""

    def __init__(self, cfg: RunConfig, losses: dict[int, float], nan_step: int = 0,
                 **kw: object) -> None:
        super().__init__(cfg, **kw)  # type: ignore[arg-type]
        self.script = losses
        self.nan_step = nan_step
        self.steps = 0

    def _loss(self, out: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        self.steps += 1
        loss = super()._loss(out, yb)
        return loss * math.nan if self.steps == self.nan_step else loss

    def _validate(self, epoch: int) -> tuple[float, dict[str, float]]:
        _, metrics = super()._validate(epoch)
        return self.script[epoch], metrics


def test_a_resumed_run_keeps_its_best_epoch_patience_count_and_step_count(
        tmp_path: Path) -> None:
    run = tmp_path / "run"
    first = _Scripted(_ramp_cfg(tmp_path, epochs=3, patience=2), {1: 1.0, 2: 0.5, 3: 0.6},
                      run_dir=run).run()
    # epoch 3 was one epoch without improvement; 39 windows in one batch: 3 steps so far
    assert first.status == "finished" and first.best_epoch == 2
    events: list[object] = []
    again = _Scripted(_ramp_cfg(tmp_path, epochs=6, patience=2), {4: 0.7, 5: 0.1, 6: 0.1},
                      run_dir=run, callback=events.append)
    again.resume = True
    end = again.run()
    # a second epoch without improvement (4) reaches patience 2 before the 0.1 of epoch 5
    assert end.status == "finished" and end.epochs == 4 and end.best_epoch == 2
    assert "early stop" in end.reason and "best epoch 2 restored" in end.reason
    steps = [e for e in events if isinstance(e, StepEnd)]
    assert steps[0].epoch == 4 and steps[0].step == 1 and steps[0].global_step == 4


def test_a_non_finite_training_loss_is_diverged_at_that_step(tmp_path: Path) -> None:
    cfg = _ramp_cfg(tmp_path, epochs=3, batch_size=8)  # 5 batches an epoch
    tr = _Scripted(cfg, {1: 1.0, 2: 0.9, 3: 0.8}, nan_step=7, write_files=False)
    end = tr.run()
    assert end.status == "diverged" and end.epochs == 1 and end.best_epoch == 1
    assert end.reason == ("training loss became nan at epoch 2, step 2: try a lower --lr or a "
                          "--clip value; best epoch 1 restored")


def test_probes_every_k_epochs_and_the_best_epoch_s_probe_is_kept(tmp_path: Path) -> None:
    events: list[object] = []
    cfg = _ramp_cfg(tmp_path, epochs=5, probe_every=2)
    end = _Scripted(cfg, {1: 1.0, 2: 0.5, 3: 0.7, 4: 0.6, 5: 0.8}, callback=events.append).run()
    probes = [e.epoch for e in events if isinstance(e, ProbeSnapshot)]
    # epochs 2 and 4, then the restored best weights (epoch 2) are probed once more
    assert probes == [2, 4, 2]
    saved = loads((Path(end.run_dir) / "probe.json").read_text())
    assert isinstance(saved, ProbeSnapshot) and saved.epoch == 2
    history = [json.loads(line) for line in
               (Path(end.run_dir) / "metrics.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2, 3, 4, 5]
    assert all(h["seconds"] >= 0 for h in history)


def test_an_empty_window_range_keeps_the_shape_and_dtype_of_the_split() -> None:
    s = np.arange(10, dtype=np.float32)
    for k0, k1 in ((4, 4), (5, 2)):
        t = target_windows(s, 3, 2, 1, k0, k1)
        assert t.shape == (0, 2) and t.dtype == np.float32
        a = anchors(s, 3, 1, k0, k1)
        assert a.shape == (0,) and a.dtype == np.float32
    # stride 2: window k reads rows 2k..2k+2, its anchor is row 2k+2, its targets 2k+3, 2k+4
    np.testing.assert_array_equal(target_windows(s, 3, 2, 2, 1, 3), [[5.0, 6.0], [7.0, 8.0]])
    np.testing.assert_array_equal(anchors(s, 3, 2, 1, 3), [4.0, 6.0])


def test_split_rows_are_whole_rows_by_fraction_and_test_takes_the_rest() -> None:
    assert split_rows(10, (0.6, 0.2, 0.2)) == (6, 2, 2)
    assert split_rows(7, (0.5, 0.3, 0.2)) == (3, 2, 2)  # 3.5 -> 3, 2.1 -> 2, the rest 2
    assert split_rows(100, (0.7, 0.15, 0.15)) == (70, 15, 15)


def test_a_unit_root_test_on_too_few_rows_reports_their_number() -> None:
    short = adf_test(np.arange(12.0))
    assert short.nobs == 12 and short.stationary and not short.difference
    assert short.why == "only 12 training rows, too few for a unit-root test"


def test_critical_value_follows_mackinnon_s_response_surface() -> None:
    # MacKinnon (2010), constant, 5 %: -2.86154 - 2.8903/T - 4.234/T^2 - 40.040/T^3
    assert critical_value_5pct(10) == pytest.approx(-2.86154 - 0.28903 - 0.04234 - 0.04004,
                                                    abs=1e-9)
    assert critical_value_5pct(100) == pytest.approx(-2.8909064, abs=1e-7)


def test_min_rows_needed_far_beyond_its_estimate_takes_coarse_steps_to_a_valid_count() -> None:
    # horizon 2000 with 1 % validation rows: validation needs int(0.01 n) >= 2000, n >= 200,000,
    # far past the estimate (2001 / 0.98 rows); past 100,000 rows the search steps by n // 1000,
    # so it may overshoot the minimum by less than one step (200)
    split = (0.98, 0.01, 0.01)
    n = min_rows_needed(split, 1, 2000, 1)
    assert isinstance(n, int) and 200_000 <= n < 200_200
    assert min(window_counts(n, split, 1, 2000, 1).values()) == 1


def test_mape_reliable_judges_relative_size_not_magnitude() -> None:
    # targets below 1 (a rate, a share) are no nearer zero than the same series times 100
    assert mape_reliable(np.array([0.25, 0.75]))  # mean 0.5, smallest 0.25 >= 0.05
    assert mape_reliable(np.array([25.0, 75.0]))
    assert not mape_reliable(np.array([0.01, 0.99]))  # smallest 0.01 < 0.05


def test_coverage_of_a_single_target() -> None:
    assert coverage(np.array([5.0]), np.array([4.0]), np.array([2.0])) == 1.0  # |5 - 4| <= 2
    assert coverage(np.array([5.0]), np.array([2.0]), np.array([2.0])) == 0.0  # |5 - 2| > 2


def test_one_calibration_window_is_enough_for_a_level_of_one_half() -> None:
    # n = 1, level 0.5: the ceil(2 * 0.5) = 1st smallest residual, the only one, |3 - 1|
    q = conformal_halfwidths(np.array([3.0]), np.array([1.0]), levels=(0.5,))
    np.testing.assert_array_equal(q["50"], [2.0])
    # the default levels need more: ceil(2 * 0.8) = 2 > 1 window
    q = conformal_halfwidths(np.array([3.0]), np.array([1.0]))
    assert q["80"].tolist() == [math.inf] and q["95"].tolist() == [math.inf]


def test_the_probe_reads_float64_targets_in_the_model_s_float32() -> None:
    # targets handed over as float64 (numpy's default) are read in the model's dtype: the loss
    # and its gradients are those of the same targets in float32, bit for bit
    m = _seq_model("lstm")
    torch.manual_seed(3)
    x, y = torch.randn(2, 4, 3), torch.randn(2, 2)
    a, b = probe(m, x, y), probe(m, x, y.double())
    assert b.loss == a.loss
    for key in a.grads:
        np.testing.assert_array_equal(b.grads[key], a.grads[key])


def test_the_probe_reports_how_far_its_unroll_is_from_the_fused_module() -> None:
    m = _seq_model("lstm")
    torch.manual_seed(3)
    x, y = torch.randn(2, 4, 3), torch.randn(2, 2)
    assert probe(m, x, y).max_abs_error < 1e-5  # the same weights, the same sums
    # a fused module that adds 1 to every output; the unroll, built from the weights, does not
    m.rnn.register_forward_hook(lambda mod, inp, out: (out[0] + 1.0, out[1]))
    assert probe(m, x, y).max_abs_error == pytest.approx(1.0, abs=1e-5)
    assert probe(m, x[:0], y[:0]).max_abs_error == 0.0  # no samples: nothing to compare


def test_a_scaler_fit_on_float32_rows_keeps_float64_statistics() -> None:
    # 1, 2, 4: mean 7/3, population std sqrt(14/9); float32 sums would be off in the 8th digit
    s = Scaler.fit("standard", np.array([1.0, 2.0, 4.0], dtype=np.float32))
    assert s.offset.dtype == np.float64 and s.offset[0] == 7 / 3
    assert s.scale[0] == pytest.approx(math.sqrt(14 / 9), rel=1e-12)


def test_a_scaler_remembers_its_kind_when_it_has_nothing_to_fit() -> None:
    assert Scaler.fit("none", np.ones(3)).kind == "none"
    empty = Scaler.fit("minmax", np.empty((0, 2)))
    assert empty.kind == "minmax" and empty.describe() == "minmax (min 0, range 1)"


def test_input_windows_are_every_window_unless_a_stride_is_given() -> None:
    x = np.arange(5.0)[:, None]  # rows 0..4, one feature
    np.testing.assert_array_equal(input_windows(x, 3)[:, :, 0], [[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    np.testing.assert_array_equal(input_windows(x, 3, 2)[:, :, 0], [[0, 1, 2], [2, 3, 4]])


def test_a_constant_column_is_named_with_its_value_and_the_remedies_that_exist(
        tmp_path: Path) -> None:
    def message(text: str, **kw: object) -> str:
        p = tmp_path / "data.csv"
        p.write_text(text, encoding="utf-8")
        with pytest.raises(DataError) as info:
            prepare(DataConfig(difference="no", path=str(p), window=3, **kw))  # type: ignore[arg-type]
        return str(info.value)

    scaler = "scaler cannot use it (it would divide by zero)"
    varying = "".join(f"{i % 7},{i % 5}\n" for i in range(15))
    assert message("y,flat,other\n" + "".join(f"{i % 7},3,{i % 5}\n" for i in range(50)),
                   target="y") == (
        f"feature column 'flat' is constant in the training rows (value 3), so the minmax {scaler}; "
        "drop it with --features y,other or use --scale-x none.")
    assert message("y,flat\n" + "".join(f"{i % 7},3\n" for i in range(50)), target="y",
                   features=["flat"]) == (
        f"feature column 'flat' is constant in the training rows (value 3), so the minmax {scaler}; "
        "forecast from the target's own past with --features y or use --scale-x none.")
    # the target, constant over the 35 training rows only, as an input beside another
    assert message("y,x\n" + "5,1\n5,2\n" * 17 + "5,1\n" + varying, target="y") == (
        f"feature column 'y' is constant in the training rows (value 5), so the minmax {scaler}; "
        "drop it with --features x or use --scale-x none.")
    target_says = ("use a different --split, --scale-x none / --scale-y no, or more varied data.")
    # ... as the only input, and as the scaled target
    assert message("y\n" + "5\n" * 35 + "".join(f"{i % 7}\n" for i in range(15))) == (
        f"target column 'y' is constant in the training rows (value 5), so the minmax {scaler}; "
        + target_says)
    assert message("y,x\n" + "5,1\n" * 35 + varying, target="y", scale_y="yes",
                   scale_x="none") == (
        f"target column 'y' is constant in the training rows (value 5), so the standard {scaler}; "
        + target_says)


def test_every_gap_carried_forward_is_counted() -> None:
    # gaps [2, 3) and [6, 8), each within two rows of a split edge (3 and 7): both carried
    v = np.array([0.0, 1, math.nan, 3, 4, 5, math.nan, math.nan, 8, 9])
    assert _interpolate_within_splits(v, [3, 7]) == 2
    assert v.tolist() == [0, 1, 1, 3, 4, 5, 5, 5, 8, 9]


@pytest.mark.parametrize(("header", "time", "season", "reason"), [
    ("y", lambda i: "", 1, "no time column; --season N sets one"),
    ("month,y", lambda i: f"{2000 + i // 12}-{i % 12 + 1:02d},", 12, "monthly time column"),
    ("year,y", lambda i: f"{1900 + i},", 1, "yearly time column; --season N sets one"),
    # dates one day apart: the season comes from the step between rows, a week
    ("day,y", lambda i: f"2020-{1 + i // 31:02d}-{1 + i % 31:02d},", 7, "daily time column"),
])
def test_the_season_comes_from_the_time_column_and_says_so(
        tmp_path: Path, header: str, time: Callable[[int], str], season: int, reason: str) -> None:
    p = tmp_path / "s.csv"
    p.write_text(header + "\n" + "".join(f"{time(i)}{i % 7}\n" for i in range(60)), encoding="utf-8")
    prep = prepare(DataConfig(difference="no", path=str(p), window=3))
    assert (prep.season, prep.season_reason) == (season, reason)
