"""Sliding windows: content, counts, views, split membership and ordering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqlab.config import DataConfig
from seqlab.data import Prepared, prepare, read_table
from seqlab.data.windows import input_windows, min_rows_needed, window_counts


def make_csv(tmp_path: Path, n: int = 100, features: int = 2, name: str = "d.csv") -> Path:
    """date, y = 100 + i, x1 = i mod 7 (and more x columns): every value is known by hand."""
    lines = ["date,y" + "".join(f",x{j}" for j in range(1, features))]
    start = np.datetime64("2000-01-01")
    for i in range(n):
        vals = [f"{100 + i}"] + [f"{(i * j) % 7}" for j in range(1, features)]
        lines.append(f"{start + i},{','.join(vals)}")
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def build(tmp_path: Path, n: int = 100, **kw: object) -> tuple[Prepared, np.ndarray]:
    p = make_csv(tmp_path, n)
    table = read_table(p)
    cfg = DataConfig(difference="no", path=str(p), target="y", **kw)  # type: ignore[arg-type]
    prep = prepare(cfg, table)
    raw = table.frame[["y", "x1"]].to_numpy(dtype=np.float64)
    return prep, raw


# Window starts per split for 100 rows split 0.7/0.15/0.15 (rows 0-69 train, 70-84 val,
# 85-99 test), worked by hand: a window starting at s has its targets at s+T .. s+T+H-1 and
# belongs to the split holding all of them.
HAND_STARTS = {
    (5, 1, 1): (range(0, 65), range(65, 80), range(80, 95)),
    (5, 3, 1): (range(0, 63), range(65, 78), range(80, 93)),  # last targets 69, 84, 99
    (4, 3, 2): (range(0, 63, 2), range(66, 79, 2), range(82, 94, 2)),
    (1, 1, 1): (range(0, 69), range(69, 84), range(84, 99)),
    (7, 2, 3): (range(0, 61, 3), range(63, 76, 3), range(78, 91, 3)),
}


@pytest.mark.parametrize(("window", "horizon", "stride"), list(HAND_STARTS))
def test_window_content_and_count(tmp_path: Path, window: int, horizon: int,
                                  stride: int) -> None:
    prep, _ = build(tmp_path, 100, window=window, horizon=horizon, stride=stride,
                    scale_y="yes")
    # minmax over training rows 0..69: y = 100 + r spans 100..169, x1 = r mod 7 spans 0..6,
    # so row r scales to (r / 69, (r mod 7) / 6) and y's target r to r / 69
    for s, starts in zip((prep.train, prep.val, prep.test), HAND_STARTS[(window, horizon, stride)],
                         strict=True):
        assert s.starts.tolist() == list(starts)
        assert s.X.shape == (len(starts), window, 2)
        assert s.y.shape == s.y_true.shape == (len(starts), horizon)
        assert s.X.dtype == np.float32 and s.y.dtype == np.float32
        assert s.y_true.dtype == np.float64 and s.anchor.dtype == np.float64
        for i, st in enumerate(starts):
            rows = np.arange(st, st + window)
            want_x = np.column_stack([rows / 69, (rows % 7) / 6]).astype(np.float32)
            np.testing.assert_allclose(s.X[i], want_x, rtol=1e-6, atol=1e-7)
            targets = np.arange(st + window, st + window + horizon)
            np.testing.assert_array_equal(s.y_true[i], 100.0 + targets)
            np.testing.assert_allclose(s.y[i], targets / 69, rtol=1e-6)
            assert s.anchor[i] == 100.0 + st + window - 1
            day = np.datetime64("2000-01-01") + st
            assert prep.input_labels(s, i) == [str(day + k) for k in range(window)]
        assert prep.target_labels(s) == [str(np.datetime64("2000-01-01") + st + window)
                                         for st in starts]
    assert prep.shapes() == {s.name: [len(st), window, 2] for s, st in
                             zip((prep.train, prep.val, prep.test),
                                 HAND_STARTS[(window, horizon, stride)], strict=True)}


def test_h1_target_is_next_row(tmp_path: Path) -> None:
    prep, raw = build(tmp_path, 60, window=4, horizon=1, scale_y="no")
    s = prep.train
    assert s.y_true[0, 0] == raw[4, 0]
    assert s.y[0, 0] == np.float32(raw[4, 0])
    assert prep.input_labels(s, 0) == ["2000-01-01", "2000-01-02", "2000-01-03", "2000-01-04"]
    assert prep.target_labels(s)[0] == "2000-01-05"


def test_h3_stride2_explicit(tmp_path: Path) -> None:
    prep, raw = build(tmp_path, 100, window=5, horizon=3, stride=2, scale_y="no")
    s = prep.train
    assert s.starts[:3].tolist() == [0, 2, 4]
    np.testing.assert_array_equal(s.y_true[1], raw[7:10, 0])  # start 2: rows 2..6 -> 7,8,9
    assert s.anchor[1] == raw[6, 0]
    # last train window: all 3 targets before row 70 -> start 62 (targets 67, 68, 69)
    assert s.starts[-1] == 62
    assert prep.val.starts[0] == 66  # first even start whose targets are all >= 70


def test_windows_are_views(tmp_path: Path) -> None:
    prep, _ = build(tmp_path, 100, window=8, horizon=2, stride=3)
    for s in (prep.train, prep.val, prep.test):
        assert np.shares_memory(s.X, prep.scaled_x)
        assert s.X.base is not None
        assert not s.X.flags.writeable  # nobody can corrupt the shared array through a window
    assert prep.scaled_x.dtype == np.float32
    assert prep.scaled_x.shape == (100, 2)


def test_input_windows_match_fancy_indexing() -> None:
    x = np.arange(60, dtype=np.float32).reshape(20, 3)
    w = input_windows(x, 4, 2)
    idx = np.arange(0, 17, 2)[:, None] + np.arange(4)[None, :]
    np.testing.assert_array_equal(w, x[idx])
    assert np.shares_memory(w, x)


def test_split_order_no_target_leakage(tmp_path: Path) -> None:
    prep, _ = build(tmp_path, 200, window=10, horizon=4, stride=1)
    n_train, n_val, _ = prep.split_rows

    def target_rows(s):  # noqa: ANN001, ANN202
        return s.starts[:, None] + prep.window - 1 + np.arange(1, prep.horizon + 1)[None, :]

    tr, va, te = (target_rows(s) for s in (prep.train, prep.val, prep.test))
    assert tr.max() < n_train
    assert va.min() >= n_train and va.max() < n_train + n_val
    assert te.min() >= n_train + n_val and te.max() < 200
    assert tr.max() < va.min() and va.max() < te.min()
    # windows whose targets straddle a boundary are dropped: H-1 per boundary
    total = len(range(0, 200 - 10 - 4 + 1))
    assert total - (len(prep.train) + len(prep.val) + len(prep.test)) == 2 * (4 - 1)


def test_min_rows_by_hand_for_a_long_window() -> None:
    # window 1500, horizon 1: training needs int(0.7 n) >= 1501 rows, first true at n = 2145
    # (0.7 * 2144 = 1500.8); 2145 rows leave 321 validation and 323 test rows
    split = (0.7, 0.15, 0.15)
    assert min_rows_needed(split, 1500, 1, 1) == 2145
    assert window_counts(2145, split, 1500, 1, 1) == {"train": 1, "val": 321, "test": 323}


def test_counts_and_min_rows() -> None:
    split = (0.7, 0.15, 0.15)
    need = min_rows_needed(split, 24, 1, 1)
    assert need is not None
    assert min(window_counts(need, split, 24, 1, 1).values()) >= 1
    assert min(window_counts(need - 1, split, 24, 1, 1).values()) == 0


def test_univariate_is_autoregressive(tmp_path: Path) -> None:
    p = tmp_path / "u.csv"
    p.write_text("YEAR,SUNACTIVITY\n" + "".join(f"{1700 + i}.0,{(i * 37) % 101}.0\n"
                                                 for i in range(80)))
    prep = prepare(DataConfig(difference="no", path=str(p), window=6))
    assert prep.feature_names == ["SUNACTIVITY"] and prep.target_name == "SUNACTIVITY"
    assert prep.time_column == "YEAR"
    assert prep.time_labels[0] == "1700"
    s = prep.train
    # the input feature at the last step is the anchor (in scaled space)
    sc = prep.x_scaler
    assert sc is not None
    np.testing.assert_allclose(s.X[:, -1, 0] * sc.scale[0] + sc.offset[0], s.anchor, rtol=1e-5)


def test_the_trainers_windows_stay_views_of_one_scaled_series(tmp_path: Path) -> None:
    """The trainer moves the scaled series to its device once and lays every split's windows
    over it (no (N, T, F) copy per split): all three share one storage, and each window holds
    the scaled rows it was cut from."""
    import torch

    from seqlab.config import ModelConfig, RunConfig, TrainConfig
    from seqlab.training.trainer import Trainer

    cfg = RunConfig(data=DataConfig(path=str(make_csv(tmp_path, 120)), target="y", window=8),
                    model=ModelConfig(hidden_size=2), train=TrainConfig(threads=1))
    tr = Trainer(cfg, write_files=False)
    tr._setup()
    prep = tr.prepared
    assert prep is not None
    storage = {name: x.untyped_storage().data_ptr() for name, x in tr._x.items()}
    assert len(set(storage.values())) == 1, storage
    for s in (prep.train, prep.val, prep.test):
        x = tr._x[s.name]
        assert x.shape == s.X.shape and x.dtype == torch.float32
        start = int(s.starts[0])
        np.testing.assert_array_equal(x[0].numpy(), prep.scaled_x[start:start + 8])
