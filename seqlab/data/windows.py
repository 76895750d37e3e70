"""Sliding windows as views: no copies of the (N, T, F) windows are ever made.

Window ``k`` starts at row ``s = k * stride``; its inputs are rows ``[s, s + T)`` and its targets
rows ``s + T - 1 + h`` for ``h = 1..H``. A window belongs to the split that holds all its target
rows; windows whose targets straddle a split boundary are dropped. The windows of one split have
contiguous ``k``, so each split is a plain slice of one strided view.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

SPLITS = ("train", "val", "test")


def split_rows(n: int, split: tuple[float, float, float]) -> tuple[int, int, int]:
    """Rows per split by fractions: train ``[0, a)``, val ``[a, a+b)``, test the rest."""
    n_train = int(n * split[0] + 1e-9)
    n_val = int(n * split[1] + 1e-9)
    return n_train, n_val, n - n_train - n_val


def window_ranges(n: int, n_train: int, n_val: int, window: int, horizon: int,
                  stride: int) -> dict[str, tuple[int, int]]:
    """Half-open ranges ``[k0, k1)`` of window indices per split (``k1 <= k0``: none)."""
    t, h = window, horizon
    bounds = {
        "train": (0, n_train - t - h),
        "val": (n_train - t, n_train + n_val - t - h),
        "test": (n_train + n_val - t, n - t - h),
    }
    out: dict[str, tuple[int, int]] = {}
    for name, (lo, hi) in bounds.items():
        lo = max(lo, 0)
        if hi < lo:
            out[name] = (0, 0)
            continue
        k0 = -(-lo // stride)
        k1 = hi // stride + 1
        out[name] = (k0, max(k0, k1))
    return out


def window_counts(n: int, split: tuple[float, float, float], window: int, horizon: int,
                  stride: int) -> dict[str, int]:
    n_train, n_val, _ = split_rows(n, split)
    ranges = window_ranges(n, n_train, n_val, window, horizon, stride)
    return {k: max(0, b - a) for k, (a, b) in ranges.items()}


def min_rows_needed(split: tuple[float, float, float], window: int, horizon: int,
                    stride: int, limit: int = 50_000_000) -> int | None:
    """Fewest rows giving every split at least one window (None if above ``limit``)."""
    lo = max(1, int((window + horizon) / max(split[0], 1e-9)) - 2)
    n = lo
    while n <= limit:
        if min(window_counts(n, split, window, horizon, stride).values()) >= 1:
            return n
        n += 1 if n < lo + 100_000 else max(1, n // 1000)
    return None


def input_windows(x: np.ndarray, window: int, stride: int = 1) -> np.ndarray:
    """(rows, F) -> read-only view (K, T, F) of every ``stride``-th window; no copy."""
    v = sliding_window_view(x, window, axis=0)  # (rows - T + 1, F, T)
    return v.transpose(0, 2, 1)[::stride]


def target_windows(series: np.ndarray, window: int, horizon: int, stride: int, k0: int,
                   k1: int) -> np.ndarray:
    """(rows,) -> read-only view (k1 - k0, H): the targets of windows ``k0..k1-1``."""
    if k1 <= k0:
        return np.empty((0, horizon), dtype=series.dtype)
    v = sliding_window_view(series, horizon)  # row r = series[r : r + H]
    return v[window + k0 * stride: window + (k1 - 1) * stride + 1: stride]


def anchors(series: np.ndarray, window: int, stride: int, k0: int, k1: int) -> np.ndarray:
    """(rows,) -> view (k1 - k0,): the value at each window's last input row."""
    if k1 <= k0:
        return np.empty((0,), dtype=series.dtype)
    return series[window - 1 + k0 * stride: window - 1 + (k1 - 1) * stride + 1: stride]
