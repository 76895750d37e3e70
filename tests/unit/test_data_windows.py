"""Sliding windows: content, counts, views, split membership and ordering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqlab.config import DataConfig
from seqlab.data import Prepared, prepare, read_table
from seqlab.data.windows import input_windows, min_rows_needed, window_counts


def make_csv(tmp_path: Path, n: int = 100, features: int = 2, name: str = "d.csv") -> Path:
    """date, y, x1.. with distinct values so windows can be checked exactly."""
    rng = np.random.default_rng(0)
    lines = ["date,y" + "".join(f",x{j}" for j in range(1, features))]
    start = np.datetime64("2000-01-01")
    for i in range(n):
        vals = [f"{100 + i + rng.random():.6f}"] + [f"{rng.normal():.6f}"
                                                    for _ in range(1, features)]
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


def expected_starts(n: int, window: int, horizon: int, stride: int,
                    split: tuple[float, float, float]) -> dict[str, list[int]]:
    n_train = int(n * split[0] + 1e-9)
    n_val = int(n * split[1] + 1e-9)
    out: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for s in range(0, n - window - horizon + 1, stride):
        targets = [s + window - 1 + h for h in range(1, horizon + 1)]
        if all(t < n_train for t in targets):
            out["train"].append(s)
        elif all(n_train <= t < n_train + n_val for t in targets):
            out["val"].append(s)
        elif all(t >= n_train + n_val for t in targets):
            out["test"].append(s)
    return out


@pytest.mark.parametrize(("window", "horizon", "stride"), [(5, 1, 1), (5, 3, 1), (4, 3, 2),
                                                           (1, 1, 1), (7, 2, 3)])
def test_window_content_and_count(tmp_path: Path, window: int, horizon: int,
                                  stride: int) -> None:
    n = 100
    prep, raw = build(tmp_path, n, window=window, horizon=horizon, stride=stride,
                      scale_y="yes")
    split = (0.7, 0.15, 0.15)
    exp = expected_starts(n, window, horizon, stride, split)
    scaler = prep.x_scaler
    assert scaler is not None and prep.y_scaler is not None
    scaled = ((raw - scaler.offset) / scaler.scale).astype(np.float32)
    for s in (prep.train, prep.val, prep.test):
        assert s.starts.tolist() == exp[s.name]
        assert s.X.shape == (len(exp[s.name]), window, 2)
        assert s.y.shape == s.y_true.shape == (len(exp[s.name]), horizon)
        assert s.X.dtype == np.float32 and s.y.dtype == np.float32
        assert s.y_true.dtype == np.float64 and s.anchor.dtype == np.float64
        for i, st in enumerate(s.starts):
            np.testing.assert_array_equal(s.X[i], scaled[st: st + window])
            targets = raw[st + window: st + window + horizon, 0]
            np.testing.assert_array_equal(s.y_true[i], targets)
            np.testing.assert_allclose(s.y[i], prep.y_scaler.transform(targets), rtol=1e-6,
                                       atol=1e-6)
            assert s.anchor[i] == raw[st + window - 1, 0]
            assert prep.input_labels(s, i) == prep.time_labels[st: st + window]
        assert prep.target_labels(s) == [prep.time_labels[st + window] for st in s.starts]
    assert prep.shapes() == {s.name: list(s.X.shape) for s in (prep.train, prep.val, prep.test)}


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
