"""Scalers see the training rows only: a spike in the very first validation row changes nothing.

Series (100 rows, t = 0..99): y = 100 + (t mod 10), x = 2 (t mod 5); features x, y; target y.
The 0.7/0.15/0.15 split puts rows 0..69 in training, so row 70 is the first validation row.
With differencing the first row is dropped and row i of the differenced series is original row
i + 1: 99 rows, 69 training rows (original rows 1..69), and original row 70 is again the first
validation row. A spike of 1e6 in x and y at row 70 must leave every fitted scaler and every
training window exactly as they are without it. Fitted values are worked out by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from seqlab.config import DataConfig
from seqlab.data import Prepared, prepare

SPIKE_ROW = 70


def series(spike: bool) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(100)
    y = 100.0 + t % 10
    x = 2.0 * (t % 5)
    if spike:
        y[SPIKE_ROW] = 1e6
        x[SPIKE_ROW] = -1e6
    return x, y


def build(tmp_path: Path, spike: bool, kind: str, difference: bool) -> Prepared:
    x, y = series(spike)
    p = tmp_path / f"{'spike' if spike else 'clean'}.csv"
    p.write_text("t,x,y\n" + "".join(f"{i},{a:g},{b:g}\n" for i, (a, b) in
                                     enumerate(zip(x, y, strict=True))))
    return prepare(DataConfig(path=str(p), features=["x", "y"], target="y", window=4,
                              horizon=1, scale_x=kind, scale_y="yes", difference=difference))


# Hand-worked statistics of the training rows.
# Plain: x over rows 0..69 is 0,2,4,6,8 fourteen times; y is 100..109 seven times.
# Differenced: x over original rows 1..69 holds 2,4,6,8 fourteen times each and 0 thirteen
# times; dy over rows 1..69 is 1 except -9 where t is a multiple of 10 (t = 10..60: six times).
HAND = {
    (False, "minmax"): ([0.0, 100.0], [8.0, 9.0], 100.0, 9.0),
    (False, "standard"): ([4.0, 104.5], [math.sqrt(8.0), math.sqrt(8.25)], 104.5,
                          math.sqrt(8.25)),
    # the differenced target is divided by its spread but not shifted: 0 stays "no change"
    (True, "minmax"): ([0.0, -9.0], [8.0, 10.0], 0.0, 10.0),
    (True, "standard"): (
        [2 * 14 * (1 + 2 + 3 + 4) / 69, (63 - 54) / 69],
        [math.sqrt(4 * 14 * (1 + 4 + 9 + 16) / 69 - (280 / 69) ** 2),
         math.sqrt((63 + 6 * 81) / 69 - (9 / 69) ** 2)],
        0.0,
        math.sqrt((63 + 6 * 81) / 69 - (9 / 69) ** 2),
    ),
}


@pytest.mark.parametrize("kind", ["minmax", "standard"])
@pytest.mark.parametrize("difference", [False, True], ids=["plain", "differenced"])
def test_spike_in_the_first_validation_row_is_invisible_to_the_scalers(
    tmp_path: Path, kind: str, difference: bool
) -> None:
    clean = build(tmp_path, False, kind, difference)
    spiked = build(tmp_path, True, kind, difference)
    n_train = 69 if difference else 70
    assert clean.split_rows[0] == spiked.split_rows[0] == n_train
    # original row 70 is the first target of the first validation window
    first_val_target = int(spiked.val.starts[0]) + spiked.window
    assert first_val_target == n_train
    assert spiked.val.y_true[0, 0] == 1e6  # original units, differenced or not
    x_off, x_scale, y_off, y_scale = HAND[(difference, kind)]
    for prep in (clean, spiked):
        assert prep.x_scaler is not None and prep.y_scaler is not None
        np.testing.assert_allclose(prep.x_scaler.offset, x_off, rtol=1e-12)
        np.testing.assert_allclose(prep.x_scaler.scale, x_scale, rtol=1e-12)
        assert prep.y_scaler.offset[0] == pytest.approx(y_off, rel=1e-12, abs=1e-12)
        assert prep.y_scaler.scale[0] == pytest.approx(y_scale, rel=1e-12)
    # every training window, input and target, is the same with or without the spike
    np.testing.assert_array_equal(clean.train.X, spiked.train.X)
    np.testing.assert_array_equal(clean.train.y, spiked.train.y)
    np.testing.assert_array_equal(clean.scaled_x[:n_train], spiked.scaled_x[:n_train])
    # ...and the spike itself is scaled with the training statistics (far outside [0, 1])
    assert abs(float(spiked.scaled_x[n_train, 0])) > 1e4
    assert abs(float(spiked.val.y[0, 0])) > 1e4


@pytest.mark.parametrize("kind", ["minmax", "standard"])
def test_spike_in_the_last_training_row_is_seen(tmp_path: Path, kind: str) -> None:
    """The other side of the boundary: row 69 is a training row, so the scalers must move."""
    x, y = series(False)
    y2, x2 = y.copy(), x.copy()
    y2[SPIKE_ROW - 1], x2[SPIKE_ROW - 1] = 1e6, -1e6
    p = tmp_path / "last.csv"
    p.write_text("t,x,y\n" + "".join(f"{i},{a:g},{b:g}\n" for i, (a, b) in
                                     enumerate(zip(x2, y2, strict=True))))
    prep = prepare(DataConfig(difference="no", path=str(p), features=["x", "y"], target="y", window=4,
                              scale_x=kind, scale_y="yes"))
    assert prep.x_scaler is not None and prep.y_scaler is not None
    if kind == "minmax":
        assert prep.x_scaler.offset[0] == -1e6 and prep.x_scaler.scale[1] == 1e6 - 100.0
        assert prep.y_scaler.offset[0] == 100.0 and prep.y_scaler.scale[0] == 1e6 - 100.0
    else:
        assert prep.y_scaler.offset[0] > 1e4 and prep.x_scaler.offset[0] < -1e4
