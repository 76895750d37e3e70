"""The persistence baseline ("tomorrow = today") and predictions.csv, against hand-worked values.

The series is a ramp y = 100 + 10 t for t = 0..19 (years 2000..2019), window 3, horizon 2,
split 0.6/0.2/0.2. A window's baseline repeats the last value it has seen (the anchor) over the
horizon; its label is the time of the row it forecasts. Every expected value below was worked
out by hand from those rules, not computed with the code under test.
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from seqlab.data import prepare
from seqlab.training.events import Predictions, RunStarted
from seqlab.training.metrics import regression_metrics
from seqlab.training.trainer import Trainer

# (label, step, actual, baseline) of each split's rows in predictions.csv, worked by hand.
# No differencing: 20 rows -> train 12, val 4, test 4; val windows start at rows 9, 10, 11
# (targets 12..15), test windows at 13, 14, 15 (targets 16..19).
PLAIN = {
    "val": [("2012", 1, 220, 210), ("2013", 2, 230, 210),
            ("2013", 1, 230, 220), ("2014", 2, 240, 220),
            ("2014", 1, 240, 230), ("2015", 2, 250, 230)],
    "test": [("2016", 1, 260, 250), ("2017", 2, 270, 250),
             ("2017", 1, 270, 260), ("2018", 2, 280, 260),
             ("2018", 1, 280, 270), ("2019", 2, 290, 270)],
}
# Differencing drops the first row: 19 rows (years 2001..2019) -> train 11, val 3, test 5;
# val windows start at 2002, 2003 (targets 2012..2014), test at 2005..2008 (targets 2015..2019).
DIFFERENCED = {
    "val": [("2012", 1, 220, 210), ("2013", 2, 230, 210),
            ("2013", 1, 230, 220), ("2014", 2, 240, 220)],
    "test": [("2015", 1, 250, 240), ("2016", 2, 260, 240),
             ("2016", 1, 260, 250), ("2017", 2, 270, 250),
             ("2017", 1, 270, 260), ("2018", 2, 280, 260),
             ("2018", 1, 280, 270), ("2019", 2, 290, 270)],
}
EXPECTED = {False: PLAIN, True: DIFFERENCED}


def ramp_csv(tmp_path: Path) -> Path:
    p = tmp_path / "ramp.csv"
    p.write_text("year,y\n" + "".join(f"{2000 + t},{100 + 10 * t}\n" for t in range(20)))
    return p


def data_cfg(tmp_path: Path, difference: bool) -> DataConfig:
    # a ramp's differences are all 10: a scaler could not use them (zero spread), so the
    # differenced case reads them unscaled
    return DataConfig(path=str(ramp_csv(tmp_path)), window=3, horizon=2, split=(0.6, 0.2, 0.2),
                      difference=difference, scale_x="none" if difference else "minmax",
                      scale_y="no" if difference else "auto")


def hand_mape(rows: list[tuple[str, int, int, int]]) -> float:
    return 100.0 * sum(abs(b - a) / a for _, _, a, b in rows) / len(rows)


@pytest.mark.parametrize("difference", [False, True], ids=["plain", "differenced"])
def test_persistence_baseline_repeats_the_last_seen_value(tmp_path: Path,
                                                          difference: bool) -> None:
    prep = prepare(data_cfg(tmp_path, difference))
    assert all(prep.split(n) is getattr(prep, n) for n in ("train", "val", "test"))
    for name in ("val", "test"):
        split = prep.split(name)
        rows = EXPECTED[difference][name]
        anchors = [b for _, step, _, b in rows if step == 1]
        np.testing.assert_array_equal(prep.baseline(split), [[a, a] for a in anchors])
        np.testing.assert_array_equal(split.y_true[:, 0], [a for _, s, a, _ in rows if s == 1])
        assert prep.target_labels(split) == [lab for lab, s, _, _ in rows if s == 1]
    # the first training window reads 2000..2002 (2001..2003 differenced); its anchor is the
    # last of those, its targets the next two years
    first = (120.0, 130.0, 140.0) if not difference else (130.0, 140.0, 150.0)
    assert prep.baseline(prep.train)[0].tolist() == [first[0], first[0]]
    assert prep.train.y_true[0].tolist() == [first[1], first[2]]


@pytest.mark.parametrize("difference", [False, True], ids=["plain", "differenced"])
def test_run_reports_the_baseline_and_predictions_csv_by_hand(tmp_path: Path,
                                                              difference: bool) -> None:
    cfg = RunConfig(data=data_cfg(tmp_path, difference),
                    model=ModelConfig(cell="rnn", hidden_size=2),
                    train=TrainConfig(epochs=1, batch_size=64, patience=0, probe_every=0,
                                      threads=1, runs_dir=str(tmp_path / "runs")))
    events: list[object] = []
    end = Trainer(cfg, callback=events.append).run()
    assert end.status == "finished"
    expected = EXPECTED[difference]

    # the baseline's figures: every error is 10 (one step ahead) or 20 (two steps ahead)
    for name, key in (("val", "baseline_val"), ("test", "baseline_test")):
        base = end.summary[key]
        assert base["mae"] == pytest.approx(15.0, rel=1e-12)
        assert base["rmse"] == pytest.approx(math.sqrt((10**2 + 20**2) / 2), rel=1e-12)
        assert base["mape"] == pytest.approx(hand_mape(expected[name]), rel=1e-12)
        assert base["mape_skipped"] == 0
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.baseline_val == end.summary["baseline_val"]
    assert started.baseline_test == end.summary["baseline_test"]

    with open(Path(end.run_dir) / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:6] == ["label", "split", "step", "actual", "predicted", "baseline"]
    for name in ("val", "test"):
        got = [(r["label"], int(r["step"]), float(r["actual"]), float(r["baseline"]))
               for r in rows if r["split"] == name]
        assert got == [(lab, s, float(a), float(b)) for lab, s, a, b in expected[name]]
        predicted = [float(r["predicted"]) for r in rows if r["split"] == name]
        assert all(math.isfinite(p) for p in predicted)
        # the model's own figures in the summary are computed from these very rows
        actual = np.array([float(r["actual"]) for r in rows if r["split"] == name])
        assert end.summary[name]["mae"] == pytest.approx(
            float(np.mean(np.abs(np.array(predicted) - actual))), rel=1e-4)
    train = [(r["label"], int(r["step"]), float(r["baseline"])) for r in rows
             if r["split"] == "train"]
    if not difference:
        assert train[:4] == [("2003", 1, 120.0), ("2004", 2, 120.0),
                             ("2004", 1, 130.0), ("2005", 2, 130.0)]
    else:
        assert train[:2] == [("2004", 1, 130.0), ("2005", 2, 130.0)]

    # the events a front end draws: first-step actual and baseline per window, labelled
    test_event = [e for e in events if isinstance(e, Predictions) and e.split == "test"][-1]
    first_steps = [r for r in expected["test"] if r[1] == 1]
    assert test_event.labels == [lab for lab, *_ in first_steps]
    assert test_event.actual.tolist() == [float(a) for _, _, a, _ in first_steps]
    assert test_event.baseline.tolist() == [float(b) for *_, b in first_steps]
    val_event = [e for e in events if isinstance(e, Predictions) and e.split == "val"][-1]
    assert val_event.baseline.tolist() == [float(b) for _, s, _, b in expected["val"] if s == 1]


def test_metrics_by_hand() -> None:
    m = regression_metrics(np.array([[100.0, 200.0], [0.0, 50.0]]),
                           np.array([[110.0, 180.0], [5.0, 50.0]]))
    assert m["mae"] == pytest.approx((10 + 20 + 5 + 0) / 4)
    assert m["rmse"] == pytest.approx(math.sqrt((100 + 400 + 25 + 0) / 4))
    assert m["mape"] == pytest.approx(100 * (10 / 100 + 20 / 200 + 0 / 50) / 3)  # zero skipped
    assert m["mape_skipped"] == 1.0
    one = regression_metrics(np.array([80.0]), np.array([100.0]))  # a split of one window
    assert (one["mae"], one["rmse"], one["mape"]) == (20.0, 20.0, 25.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty split is NaN, quietly (no empty-mean warning)
        empty = regression_metrics(np.empty((0, 1)), np.empty((0, 1)))
    assert all(math.isnan(empty[k]) for k in ("mae", "rmse", "mape"))
    assert empty["mape_skipped"] == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every actual zero: MAPE is undefined, said quietly
        zeros = regression_metrics(np.zeros(3), np.ones(3))
    assert math.isnan(zeros["mape"]) and zeros["mape_skipped"] == 3.0 and zeros["mae"] == 1.0
    with pytest.raises(ValueError, match="shape mismatch"):
        regression_metrics(np.zeros(3), np.zeros(4))
