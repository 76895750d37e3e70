"""Forecasting practice: the auto differencing choice, naive baselines and their metrics,
long-format files, rolling-origin folds and split-conformal intervals."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from seqlab.data import prepare, read_table
from seqlab.data.longformat import detect
from seqlab.data.stationarity import adf_test, critical_value_5pct
from seqlab.errors import DataError
from seqlab.training.backtest import _truncate, plan
from seqlab.training.metrics import (
    conformal_halfwidths,
    coverage,
    mape_reliable,
    regression_metrics,
    verdict,
)


def write(tmp_path: Path, y: np.ndarray, name: str = "s.csv", monthly: bool = True) -> Path:
    if monthly:
        labels = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(len(y))]
        head = "month,y"
    else:
        labels = [str(i) for i in range(len(y))]
        head = "t,y"
    p = tmp_path / name
    p.write_text(head + "\n" + "".join(f"{a},{float(b)!r}\n" for a, b in zip(labels, y,
                                                                             strict=True)))
    return p


# -- the auto differencing choice -----------------------------------------------------------
def test_unit_root_test_tells_random_walk_from_noise() -> None:
    rng = np.random.default_rng(0)
    walks = sum(adf_test(np.cumsum(rng.normal(size=200))).difference for _ in range(40))
    noise = sum(adf_test(rng.normal(size=200)).difference for _ in range(40))
    assert walks >= 34  # the test's power against a random walk: it keeps the unit root
    assert noise <= 6  # about 5 % false alarms on white noise
    assert adf_test(np.arange(100.0)).difference  # an exact straight line: changes
    assert not adf_test(np.ones(50)).difference
    assert critical_value_5pct(100) == pytest.approx(-2.89, abs=0.01)


def test_auto_difference_decided_on_training_rows_only(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 200
    y = 100 + np.cumsum(rng.normal(size=n))  # a random walk: auto differences it
    stationary = 100 + rng.normal(size=n) * 3
    for series, expect in ((y, True), (stationary, False)):
        a = prepare(DataConfig(path=str(write(tmp_path, series, "a.csv")), window=6))
        later = series.copy()
        n_train = int(n * 0.7)
        later[n_train:] = rng.normal(size=n - n_train) * 50 + 7  # val and test rows changed
        b = prepare(DataConfig(path=str(write(tmp_path, later, "b.csv")), window=6))
        assert a.difference is expect and b.difference is expect
        assert a.difference_reason == b.difference_reason  # same statistic: same rows read
        assert any("differencing (auto)" in note for note in a.notes)


def test_difference_override_and_old_bool_configs(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    p = write(tmp_path, 100 + np.cumsum(rng.normal(size=120)))
    assert not prepare(DataConfig(path=str(p), window=6, difference="no")).difference
    assert prepare(DataConfig(path=str(p), window=6, difference="yes")).difference
    assert DataConfig(difference=True).difference == "yes"  # type: ignore[arg-type]
    assert DataConfig(difference=False).difference == "no"  # type: ignore[arg-type]
    assert RunConfig.from_toml('[data]\ndifference = true\n').data.difference == "yes"


# -- baselines and metrics --------------------------------------------------------------------
@pytest.mark.parametrize("shift", [0.0, 40.0], ids=["y unscaled", "y scaled"])
def test_a_differenced_model_starts_as_persistence(tmp_path: Path, shift: float) -> None:
    """Before any training the differenced model forecasts 'no change': its output layer is
    zero and the changes are scaled without a shift, so every forecast is the last value."""
    import torch

    from seqlab.training.trainer import Trainer

    rng = np.random.default_rng(3)
    t = np.arange(160)
    y = 100 + np.where(t >= 60, shift, 0.0) + np.cumsum(rng.normal(size=160))
    cfg = RunConfig(data=DataConfig(path=str(write(tmp_path, y)), window=8, horizon=2),
                    model=ModelConfig(hidden_size=4), train=TrainConfig(threads=1))
    tr = Trainer(cfg, write_files=False)
    torch.manual_seed(0)
    tr._setup()
    prep = tr.prepared
    assert prep is not None and prep.difference
    assert (prep.y_scaler is not None) == (shift > 0)  # a jump of 40 > 10: y is scaled
    if prep.y_scaler is not None:
        assert prep.y_scaler.offset[0] == 0.0 and prep.y_scaler.scale[0] > 0
    for split in (prep.train, prep.val, prep.test):
        start = prep.to_original(split, tr._predict(split))
        np.testing.assert_allclose(start, prep.baseline(split), rtol=0, atol=1e-9)
    assert any("starts from 'no change'" in n for n in prep.notes)
    # a model of levels keeps torch's initialisation (its zero would be a constant forecast)
    level = RunConfig(data=DataConfig(path=str(write(tmp_path, y)), window=8, difference="no"),
                      model=ModelConfig(hidden_size=4), train=TrainConfig(threads=1))
    tl = Trainer(level, write_files=False)
    tl._setup()
    assert tl.model is not None and float(tl.model.head.weight.detach().abs().sum()) > 0


def test_seasonal_naive_and_mase_by_hand(tmp_path: Path) -> None:
    # quarterly series: season 4 from the time column
    y = np.array([10, 20, 30, 40, 12, 22, 31, 45, 11, 25, 33, 41, 13, 24, 35, 44, 15, 23,
                  36, 47], dtype=float)
    p = tmp_path / "q.csv"
    p.write_text("quarter,y\n" + "".join(f"{2000 + i // 4}Q{i % 4 + 1},{v}\n"
                                         for i, v in enumerate(y)))
    prep = prepare(DataConfig(path=str(p), window=2, horizon=2, split=(0.6, 0.2, 0.2),
                              difference="no", scale_y="no"))
    assert prep.season == 4
    n_train = 12
    scale = np.mean(np.abs(y[4:n_train] - y[: n_train - 4]))
    assert prep.mase_scale == pytest.approx(scale)
    test = prep.test
    for i, start in enumerate(test.starts):
        for h in (1, 2):
            row = int(start) + 2 - 1 + h
            assert test.snaive[i, h - 1] == y[row - 4]
    m = regression_metrics(test.y_true, prep.seasonal_naive(test), prep.mase_scale)
    mae = np.mean(np.abs(test.y_true - test.snaive))
    assert m["mae"] == pytest.approx(mae) and m["mase"] == pytest.approx(mae / scale)
    assert prepare(DataConfig(path=str(p), window=2, season=2, split=(0.6, 0.2, 0.2),
                              difference="no")).season == 2


def test_metric_values_by_hand() -> None:
    a = np.array([100.0, 200.0, 50.0])
    p = np.array([110.0, 180.0, 50.0])
    m = regression_metrics(a, p, scale=5.0)
    assert m["mae"] == pytest.approx(10.0)
    assert m["smape"] == pytest.approx(100 * (20 / 210 + 40 / 380 + 0) / 3)
    assert m["mase"] == pytest.approx(2.0)
    assert m["mape_reliable"] == 1.0


def test_mape_flagged_near_zero() -> None:
    rng = np.random.default_rng(3)
    around_zero = rng.normal(size=200)
    m = regression_metrics(around_zero, around_zero + 0.5)
    assert m["mape"] > 100 and m["mape_reliable"] == 0.0
    assert not mape_reliable(around_zero) and mape_reliable(500 + around_zero)
    summary = {"test": {"mae": 3.0}, "baseline_test": {"mae": 2.0}, "snaive_test": {"mae": 4.0},
               "difference": False}
    warn = verdict(summary)
    assert warn and "persistence (2)" in warn and "--difference yes" in warn
    assert verdict({**summary, "test": {"mae": 1.0}}) is None


# -- long format ------------------------------------------------------------------------------
def long_csv(tmp_path: Path, stores: int = 3, days: int = 60) -> Path:
    rows = ["date,store,sales"]
    for d in range(days):
        for s in range(stores):  # the rows of one date sit together, like an export
            rows.append(f"2021-{1 + d // 28:02d}-{1 + d % 28:02d},S{s},{100 * (s + 1) + d}")
    p = tmp_path / "long.csv"
    p.write_text("\n".join(rows) + "\n")
    return p


def test_long_format_detected_and_named(tmp_path: Path) -> None:
    p = long_csv(tmp_path)
    found = detect(read_table(p))
    assert found is not None and found.candidates == ["store"] and found.times == 60
    with pytest.raises(DataError, match="--series-id store"):
        prepare(DataConfig(path=str(p), window=5))


def test_series_id_windows_never_cross_series(tmp_path: Path) -> None:
    p = long_csv(tmp_path)
    prep = prepare(DataConfig(path=str(p), window=5, series_id="store", scale_x="none",
                              scale_y="no", difference="no"))
    assert prep.series_names == ["S0", "S1", "S2"]
    assert not any("sorted" in n or "duplicated" in n for n in prep.notes)
    for split in (prep.train, prep.val, prep.test):
        assert len(split) > 0
        for i in range(len(split)):
            x = split.X[i, :, 0]
            s = int(split.series[i])
            # every value of a window and its target belongs to one store: 100 (s+1) + day
            assert np.all((x // 100) == s + 1) and split.y_true[i, 0] // 100 == s + 1
            assert np.all(np.diff(x) == 1)  # consecutive days of that store
    agg = prepare(DataConfig(path=str(p), window=5, aggregate="sum", difference="no"))
    assert len(agg.target_values) == 60 and agg.target_values[0] == 100 + 200 + 300


# -- backtests --------------------------------------------------------------------------------
def test_backtest_folds_never_leak(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    y = 50 + 10 * np.sin(np.arange(300) / 4) + rng.normal(size=300)
    p = write(tmp_path, y, monthly=False)
    table = read_table(p)
    folds = plan(table.n_rows, (0.7, 0.15, 0.15), 3)
    assert [f.end for f in folds] == [270, 285, 300] and all(f.test == 15 for f in folds)
    cfg = DataConfig(path=str(p), window=8, difference="no", scale_x="standard")
    for f in folds:
        part = _truncate(table, f.end)
        prep = prepare(cfg, part, holdout=(f.val, f.test))
        n_train = f.end - f.val - f.test
        assert prep.split_rows == (n_train, f.val, f.test)
        # the scaler is fit on this fold's training rows only
        assert prep.x_scaler.offset[0] == pytest.approx(np.mean(y[:n_train]))
        # changing everything after the fold's end changes nothing in it
        later = y.copy()
        later[f.end:] += 1000
        q = write(tmp_path, later, "later.csv", monthly=False)
        prep2 = prepare(cfg, _truncate(read_table(q), f.end), holdout=(f.val, f.test))
        np.testing.assert_array_equal(prep.scaled_x, prep2.scaled_x)
        # the test block is the last f.test rows before the fold's end
        assert prep.test.y_true[-1, 0] == pytest.approx(y[f.end - 1])


def test_backtest_runs_tiny(tmp_path: Path) -> None:
    from seqlab.training.backtest import backtest

    rng = np.random.default_rng(5)
    p = write(tmp_path, 10 + np.sin(np.arange(160) / 3) + rng.normal(0, 0.1, 160))
    cfg = RunConfig(data=DataConfig(path=str(p), window=6),
                    model=ModelConfig(cell="gru", hidden_size=4),
                    train=TrainConfig(epochs=2, patience=0, threads=1,
                                      runs_dir=str(tmp_path / "runs")))
    res = backtest(cfg, 2)
    assert res["completed"] == 2 and len(res["folds"]) == 2
    for row in res["folds"]:
        for who in ("model", "persistence", "seasonal_naive"):
            assert math.isfinite(row[who]["mae"]) and "mase" in row[who]
    assert res["folds"][0]["test_to"] < res["folds"][1]["test_from"]
    assert not (tmp_path / "runs").exists()  # folds write no run directories


# -- intervals --------------------------------------------------------------------------------
def test_conformal_coverage_with_known_noise() -> None:
    rng = np.random.default_rng(6)
    calib = rng.normal(0, 2.0, size=(2000, 2))
    widths = conformal_halfwidths(calib, np.zeros_like(calib))
    # the half-widths approach the noise's quantiles: 1.2816 and 1.96 standard deviations
    assert widths["80"] == pytest.approx([2 * 1.2816] * 2, rel=0.08)
    assert widths["95"] == pytest.approx([2 * 1.96] * 2, rel=0.08)
    new = rng.normal(0, 2.0, size=(5000, 2))
    assert coverage(new, np.zeros_like(new), widths["80"]) == pytest.approx(0.80, abs=0.02)
    assert coverage(new, np.zeros_like(new), widths["95"]) == pytest.approx(0.95, abs=0.01)
    assert math.isinf(conformal_halfwidths(calib[:5], np.zeros((5, 2)))["95"][0])


def test_trained_interval_coverage_near_nominal(tmp_path: Path) -> None:
    from seqlab.training.trainer import Trainer

    rng = np.random.default_rng(7)
    n = 1500
    y = 5 + np.sin(np.arange(n) * 2 * np.pi / 12) + rng.normal(0, 0.3, n)
    p = write(tmp_path, y, monthly=False)
    cfg = RunConfig(data=DataConfig(path=str(p), window=12, split=(0.5, 0.25, 0.25)),
                    model=ModelConfig(cell="gru", hidden_size=8),
                    train=TrainConfig(epochs=3, patience=0, probe_every=0, threads=1))
    end = Trainer(cfg, write_files=False).run()
    iv = end.summary["intervals"]
    assert iv["80"]["coverage_test"] == pytest.approx(0.80, abs=0.05)
    assert iv["95"]["coverage_test"] == pytest.approx(0.95, abs=0.03)
