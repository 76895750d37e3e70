from __future__ import annotations

import math

import numpy as np
import pytest

from seqlab.training.events import EpochEnd, ProbeSnapshot, RunEnd, dumps, loads
from seqlab.training.metrics import perplexity, regression_metrics


def test_metrics_by_hand() -> None:
    m = regression_metrics(np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 2.0]))
    assert m["mae"] == pytest.approx(1.0)
    assert m["rmse"] == pytest.approx(math.sqrt(5 / 3))
    assert m["mape"] == pytest.approx((100 + 0 + 50) / 3)
    assert m["mape_skipped"] == 0


def test_mape_skips_zero_targets_and_says_so() -> None:
    m = regression_metrics(np.array([0.0, 2.0]), np.array([1.0, 1.0]))
    assert m["mape"] == pytest.approx(50.0)
    assert m["mape_skipped"] == 1
    assert math.isnan(regression_metrics(np.zeros(3), np.ones(3))["mape"])


def test_perplexity() -> None:
    assert perplexity(math.log(7.0)) == pytest.approx(7.0)
    assert perplexity(1e6) == math.inf


def test_events_round_trip_through_json_lines() -> None:
    states = {"h/0/fwd": np.arange(12, dtype=np.float32).reshape(3, 4)}
    snap = ProbeSnapshot(2, "val", 1, ["a", "b", "c"], states, {"0/fwd": np.ones(3, np.float32)},
                         0.5, 1e-7)
    back = loads(dumps(snap))
    assert isinstance(back, ProbeSnapshot)
    np.testing.assert_array_equal(back.states["h/0/fwd"], states["h/0/fwd"])
    assert back.states["h/0/fwd"].dtype == np.float32
    ep = loads(dumps(EpochEnd(1, 3, 0.1, math.nan, {"mae": math.inf}, True, 1.0, 10.0, 2.0)))
    assert math.isnan(ep.val_loss) and math.isnan(ep.val["mae"])
    end = loads(dumps(RunEnd("stopped", "user", "runs/x", 1, 1, 2.0, {"status": "stopped"})))
    assert end.status == "stopped" and "\n" not in dumps(end)


def test_an_interval_that_could_not_be_placed_has_no_coverage() -> None:
    """An infinite halfwidth (too few calibration windows for the level) covers every target
    trivially; its coverage is undefined, not 100 %."""
    from seqlab.training.metrics import coverage

    actual = np.array([[1.0, 2.0], [3.0, 4.0]])
    predicted = np.array([[1.5, 2.0], [2.0, 4.5]])
    assert coverage(actual, predicted, np.array([0.6, 0.6])) == 0.75  # 3 of 4 within ± 0.6
    assert math.isnan(coverage(actual, predicted, np.array([np.inf, np.inf])))
    assert math.isnan(coverage(actual, predicted, np.array([0.6, np.inf])))
