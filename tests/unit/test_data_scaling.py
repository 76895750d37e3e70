"""Scaling: round trips to original units, y scaling choice, differencing, and no leakage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqlab.config import DataConfig
from seqlab.data import Scaler, prepare, read_table


def write_series(tmp_path: Path, y: np.ndarray, x: np.ndarray | None = None,
                 name: str = "s.csv") -> Path:
    head = "t,y" + (",x" if x is not None else "")
    lines = [head]
    for i, v in enumerate(y):
        lines.append(f"{i},{float(v)!r}" + (f",{float(x[i])!r}" if x is not None else ""))
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def wave(n: int = 200, level: float = 500.0, amp: float = 80.0) -> np.ndarray:
    i = np.arange(n)
    return level + amp * np.sin(i / 5.0) + 0.3 * i


@pytest.mark.parametrize("kind", ["minmax", "standard", "none"])
@pytest.mark.parametrize("difference", [False, True])
@pytest.mark.parametrize("scale_y", ["auto", "yes", "no"])
def test_round_trip(tmp_path: Path, kind: str, difference: bool, scale_y: str) -> None:
    rng = np.random.default_rng(1)
    y = wave()
    x = rng.normal(size=len(y)) * 3
    p = write_series(tmp_path, y, x)
    prep = prepare(DataConfig(path=str(p), target="y", window=7, horizon=3, scale_x=kind,
                              scale_y=scale_y, difference=difference))  # type: ignore[arg-type]
    for s in (prep.train, prep.val, prep.test):
        back = prep.to_original(s, s.y)
        assert back.dtype == np.float64 and back.shape == s.y_true.shape
        np.testing.assert_allclose(back, s.y_true, rtol=1e-6, atol=1e-6 * np.abs(y).max())
        # subset of rows
        np.testing.assert_allclose(prep.to_original(s, s.y[2:4], rows=np.arange(2, 4)),
                                   s.y_true[2:4], rtol=1e-6)


def test_y_scaling_kind_follows_x(tmp_path: Path) -> None:
    p = write_series(tmp_path, wave())
    prep = prepare(DataConfig(difference="no", path=str(p), window=5, scale_x="minmax"))
    assert prep.y_scaler is not None and prep.y_scaler.kind == "minmax"
    assert any("scaled with minmax" in n and "> 10" in n for n in prep.notes)
    prep = prepare(DataConfig(difference="no", path=str(p), window=5, scale_x="none", scale_y="auto"))
    assert prep.y_scaler is not None and prep.y_scaler.kind == "standard"
    assert prep.x_scaler is not None and prep.x_scaler.kind == "none"
    np.testing.assert_array_equal(prep.scaled_x[:, 0], wave().astype(np.float32))


def test_small_y_not_scaled_on_auto(tmp_path: Path) -> None:
    p = write_series(tmp_path, np.sin(np.arange(120) / 4.0) * 3)
    prep = prepare(DataConfig(difference="no", path=str(p), window=5))
    assert prep.y_scaler is None
    assert any("not scaled" in n and "<= 10" in n for n in prep.notes)
    np.testing.assert_allclose(prep.train.y, prep.train.y_true.astype(np.float32))


def test_difference_target(tmp_path: Path) -> None:
    y = wave()
    p = write_series(tmp_path, y)
    prep = prepare(DataConfig(path=str(p), window=6, horizon=2, difference=True,
                              scale_y="no"))
    assert len(prep.time_labels) == len(y) - 1 and prep.time_labels[0] == "1"
    assert prep.scaled_x.shape == (len(y) - 1, 1)
    s = prep.train
    # model space is the difference of consecutive levels
    np.testing.assert_allclose(s.y[:, 0], (s.y_true[:, 0] - s.anchor).astype(np.float32),
                               rtol=1e-5)
    np.testing.assert_allclose(s.y[:, 1], (s.y_true[:, 1] - s.y_true[:, 0]), rtol=1e-4)
    # the target read as an input is differenced too: the window shows the changes it learns
    sc = prep.x_scaler
    assert sc is not None
    np.testing.assert_allclose(s.X[0, :, 0] * sc.scale[0] + sc.offset[0], np.diff(y)[0:6],
                               rtol=1e-4, atol=1e-4)
    assert any("differenc" in n for n in prep.notes)


def test_scaler_fit_on_training_rows_only(tmp_path: Path) -> None:
    """Spikes in the first validation row (row 210 of 300) change nothing the training sees."""
    rng = np.random.default_rng(2)
    n = 300
    y = wave(n)
    x = rng.normal(size=n)
    y_spike, x_spike = y.copy(), x.copy()
    y_spike[210] = 1e9
    x_spike[210] = -1e7
    a = prepare(DataConfig(difference="no", path=str(write_series(tmp_path, y, x, "a.csv")), target="y",
                           window=8, scale_x="minmax"))
    b = prepare(DataConfig(difference="no", path=str(write_series(tmp_path, y_spike, x_spike, "b.csv")),
                           target="y", window=8, scale_x="minmax"))
    n_train = a.split_rows[0]
    assert n_train == 210 and int(b.val.starts[0]) + b.window == 210  # first val target
    for attr in ("offset", "scale"):
        np.testing.assert_array_equal(getattr(a.x_scaler, attr), getattr(b.x_scaler, attr))
        np.testing.assert_array_equal(getattr(a.y_scaler, attr), getattr(b.y_scaler, attr))
    np.testing.assert_array_equal(a.train.X, b.train.X)
    np.testing.assert_array_equal(a.train.y, b.train.y)
    np.testing.assert_array_equal(a.scaled_x[:n_train], b.scaled_x[:n_train])
    assert b.val.y_true[0, 0] == 1e9 and abs(float(b.val.y[0, 0])) > 1e3
    # minmax maps the training rows onto [0, 1], reaching both ends, column by column
    assert a.scaled_x[:n_train].min(axis=0).tolist() == [0.0, 0.0]
    assert a.scaled_x[:n_train].max(axis=0).tolist() == [1.0, 1.0]


def test_standard_scaler_uses_training_statistics(tmp_path: Path) -> None:
    # 100, 102, 100, 102, ...: over the 140 training rows the mean is 101 and the std is 1
    y = 100.0 + 2.0 * (np.arange(200) % 2)
    y_spike = y.copy()
    y_spike[140] += 1e6  # the first validation row
    y_spike[-5:] += 1e6
    p = write_series(tmp_path, y_spike)
    prep = prepare(DataConfig(difference="no", path=str(p), window=8, scale_x="standard"))
    assert prep.split_rows[0] == 140
    assert prep.x_scaler is not None and prep.y_scaler is not None
    np.testing.assert_allclose(prep.x_scaler.offset, [101.0], rtol=1e-12)
    np.testing.assert_allclose(prep.x_scaler.scale, [1.0], rtol=1e-12)
    assert prep.y_scaler.offset[0] == pytest.approx(101.0) and prep.y_scaler.scale[0] == 1.0
    np.testing.assert_array_equal(prep.scaled_x[:140, 0], np.tile([-1.0, 1.0], 70))
    assert prep.scaled_x[140, 0] == pytest.approx(1e6 - 1.0)  # (100 + 1e6 - 101) / 1


def test_scaler_unit() -> None:
    a = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    s = Scaler.fit("minmax", a)
    assert s.offset.tolist() == [1.0, 10.0] and s.scale.tolist() == [4.0, 20.0]
    np.testing.assert_allclose(s.transform(a), [[0.0, 0.0], [0.5, 1.0], [1.0, 0.5]])
    np.testing.assert_allclose(s.inverse(np.array([0.0, 0.25, 1.0]), col=1), [10.0, 15.0, 30.0])
    np.testing.assert_allclose(s.transform(np.array([1.0, 2.0, 9.0])), [0.0, 0.25, 2.0])
    out = np.zeros((3, 2), dtype=np.float32)
    s.transform_into(np.array([30.0, 10.0, 40.0]), out, 1)
    assert out[:, 1].tolist() == [1.0, 0.0, 1.5] and out[:, 0].tolist() == [0.0, 0.0, 0.0]
    # standard: column 0 has mean 3 and (population) std sqrt(8/3)
    st = Scaler.fit("standard", a)
    assert st.offset.tolist() == [3.0, 20.0]
    np.testing.assert_allclose(st.scale, [np.sqrt(8 / 3), np.sqrt(200 / 3)])
    np.testing.assert_allclose(st.transform(a)[:, 0], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])
    none = Scaler.fit("none", a)
    assert none.offset.tolist() == [0.0, 0.0] and none.scale.tolist() == [1.0, 1.0]
    none.transform_into(np.array([7.0, 8.0, 9.0]), out, 0)
    assert out[:, 0].tolist() == [7.0, 8.0, 9.0]
    assert Scaler.fit("minmax", np.ones((4, 1))).constant() == [0]
    assert Scaler.fit("standard", np.array([[1.0, 2.0], [1.0, 3.0]])).constant() == [0]
    assert Scaler.fit("none", np.ones((4, 1))).constant() == []
    assert Scaler.fit("minmax", np.array([[0.0, np.inf], [1.0, 2.0]])).constant() == [1]
    with pytest.raises(ValueError, match="unknown scaler"):
        Scaler.fit("robust", a)
    empty = Scaler.fit("minmax", np.empty((0, 2)))
    assert empty.offset.tolist() == [0.0, 0.0] and empty.scale.tolist() == [1.0, 1.0]
    assert s.describe(1) == "minmax (min 10, range 20)"
    assert s.describe() == "minmax (min 1, range 4)"  # the first column unless told
    assert st.describe(0) == "standard (mean 3, std 1.63299)"
    assert none.describe() == "none"


def test_notes_carry_table_notes(tmp_path: Path) -> None:
    p = tmp_path / "u.csv"
    rows = [f"{2000 + i},{i % 7}" for i in range(60)]
    rows[3], rows[4] = rows[4], rows[3]
    p.write_text("year,v\n" + "\n".join(rows) + "\n")
    table = read_table(p)
    prep = prepare(DataConfig(difference="no", path=str(p), window=4), table)
    assert any("sorted" in n for n in prep.notes)
    assert any("windows: train" in n for n in prep.notes)


def test_trend_beyond_the_training_range_is_noted(tmp_path: Path) -> None:
    t = np.arange(200, dtype=float)
    rising = tmp_path / "rising.csv"
    rising.write_text("t,y\n" + "".join(f"{i},{10 + 2 * i + np.sin(i)}\n" for i in t))
    notes = prepare(DataConfig(difference="no", path=str(rising), window=6)).notes
    assert any("--difference" in n for n in notes)
    assert not any("--difference" in n and "warning" in n
                   for n in prepare(DataConfig(path=str(rising), window=6, difference=True)).notes)
    wave = tmp_path / "wave.csv"
    wave.write_text("t,y\n" + "".join(f"{i},{50 + 20 * np.sin(i / 3)}\n" for i in t))
    assert not any("warning" in n for n in prepare(DataConfig(difference="no", path=str(wave), window=6)).notes)
