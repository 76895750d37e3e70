"""Turn a :class:`Table` into scaled train/val/test windows (:class:`Prepared`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from seqlab.config import DataConfig
from seqlab.data.csvio import Table, read_table
from seqlab.data.scaling import Scaler
from seqlab.data.windows import (
    SPLITS,
    anchors,
    input_windows,
    min_rows_needed,
    split_rows,
    target_windows,
    window_ranges,
)
from seqlab.errors import DataError

Y_AUTO_LIMIT = 10.0  # scale_y "auto" scales y when max |y| over training rows exceeds this


@dataclass
class Split:
    """The windows of one split. With one series X is a view into :attr:`Prepared.scaled_x`."""

    name: str  # "train" | "val" | "test"
    X: np.ndarray  # (N, T, F) float32 scaled windows (read-only views of one array)
    y: np.ndarray  # (N, H) float32 in model space (scaled, differenced if enabled)
    y_true: np.ndarray  # (N, H) float64 actual target in original units
    anchor: np.ndarray  # (N,) float64 target at each window's last input row (original units)
    starts: np.ndarray  # (N,) int64 row index of each window's first input row
    snaive: np.ndarray | None = None  # (N, H) float64 seasonal-naive forecast
    series: np.ndarray | None = None  # (N,) int64 index into Prepared.series_names

    def __len__(self) -> int:
        return int(self.X.shape[0])


@dataclass
class Prepared:
    """Scaled windows for train/val/test plus what is needed to report in original units."""

    train: Split
    val: Split
    test: Split
    feature_names: list[str]
    target_name: str
    time_column: str | None
    time_labels: list[str]  # per row of the processed series
    window: int
    horizon: int
    n_features: int
    scaled_x: np.ndarray  # (rows, F) float32, the array the windows view into
    notes: list[str]
    stride: int = 1
    difference: bool = False  # the target is modelled as changes (decided or asked for)
    x_scaler: Scaler | None = None
    y_scaler: Scaler | None = None  # None: y is not scaled
    split_rows: tuple[int, int, int] = (0, 0, 0)  # rows in train, val, test
    target_values: np.ndarray = field(default_factory=lambda: np.empty(0))  # (rows,) float64
    difference_mode: str = "no"  # the setting: auto | yes | no
    difference_reason: str = ""  # why the target is (not) differenced
    differenced_inputs: list[str] = field(default_factory=list)  # input columns read as changes
    season: int = 1  # seasonal period of the seasonal-naive baseline and MASE
    season_reason: str = ""
    mase_scale: float = float("nan")  # in-sample seasonal-naive MAE of the training rows
    series_column: str | None = None  # long format: the column telling the series apart
    series_names: list[str] = field(default_factory=list)  # one per series ([] for one series)
    bounds: list[tuple[int, int]] = field(default_factory=list)  # rows [a, b) of each series

    def split(self, name: str) -> Split:
        return {"train": self.train, "val": self.val, "test": self.test}[name]

    def to_original(self, split: Split, y_model: np.ndarray,
                    rows: np.ndarray | None = None) -> np.ndarray:
        """(N, H) model-space values -> original units (float64).

        Undoes y scaling and, with differencing, re-integrates from each window's anchor.
        ``rows`` selects which windows of ``split`` the N rows belong to (default: all).
        """
        z = np.asarray(y_model, dtype=np.float64)
        anchor = split.anchor if rows is None else split.anchor[rows]
        z = z.reshape(len(anchor), self.horizon)
        if self.y_scaler is not None:
            z = self.y_scaler.inverse(z)
        if self.difference:
            z = anchor[:, None] + np.cumsum(z, axis=1)
        return z

    def baseline(self, split: Split) -> np.ndarray:
        """Persistence forecast: the last observed target repeated over the horizon (N, H)."""
        return np.repeat(np.asarray(split.anchor, dtype=np.float64)[:, None], self.horizon,
                         axis=1)

    def seasonal_naive(self, split: Split) -> np.ndarray:
        """Seasonal-naive forecast (N, H): the value one season before each target row."""
        if split.snaive is not None:
            return split.snaive
        return self.baseline(split)

    def input_labels(self, split: Split, i: int) -> list[str]:
        s = int(split.starts[i])
        return self.time_labels[s: s + self.window]

    def target_labels(self, split: Split) -> list[str]:
        """Label of each window's first target row."""
        labels = self.time_labels
        return [labels[int(s) + self.window] for s in split.starts]

    def shapes(self) -> dict[str, list[int]]:
        return {s.name: [int(d) for d in s.X.shape] for s in (self.train, self.val, self.test)}


def prepare(cfg: DataConfig, table: Table | None = None,
            holdout: tuple[int, int] | None = None) -> Prepared:
    """Columns, missing values, differencing, scaling (train rows only) and windows.

    ``holdout`` = (val rows, test rows) per series instead of the split fractions (backtests).
    """
    cfg.validate()
    if table is None:
        table = read_table(cfg.path, time_column=cfg.time_column)
    elif cfg.time_column and cfg.time_column != table.time_column:
        table = read_table(table.path, time_column=cfg.time_column)
    from seqlab.data.longformat import arrange

    table, ids, series_names, notes = arrange(cfg, table)
    exclude = {cfg.series_id} if cfg.series_id else set()
    target, features = _choose_columns(cfg, table, exclude)
    used = list(dict.fromkeys([*features, target]))
    frame = table.frame
    cols = {c: frame[c].to_numpy() for c in used}  # views where pandas allows
    _check_empty(cols, target)
    _check_inf(table, cols)
    bounds = _bounds(ids)
    cols, keep = _handle_missing(cfg, table, cols, notes, bounds, holdout)
    labels = table.time_labels if keep is None else [table.time_labels[i] for i in keep]
    if keep is not None and ids is not None:
        before = {int(ids[a]) for a, _ in bounds}
        ids = ids[keep]
        bounds = _bounds(ids)
        gone = sorted(before - {int(ids[a]) for a, _ in bounds})
        if gone:  # a series with a missing value in every row is gone: say so, by name
            notes.append("series left out, every row having a missing value (--missing drop): "
                         + ", ".join(series_names[i] for i in gone))
    if ids is None:
        bounds = [(0, len(cols[target]))]
    # a series whose every row --missing drop removed is gone from bounds: name each range by
    # its own series code, not by its position
    names = series_names if ids is None else [series_names[int(ids[a])] for a, _ in bounds]

    def train_rows(length: int) -> int:
        if holdout is not None:
            return max(0, length - holdout[0] - holdout[1])
        return split_rows(length, cfg.split)[0]

    # Differencing: decided on each series' training rows only (see seqlab.data.stationarity).
    diff_target, diff_inputs, reason = _decide_difference(cfg, cols, target, features, bounds,
                                                          train_rows)
    level_all = np.asarray(cols[target], dtype=np.float64)
    any_diff = diff_target or bool(diff_inputs)
    if any_diff:  # the first row of each series has no change: drop it everywhere
        keep_rows = np.concatenate([np.arange(a + 1, b) for a, b in bounds]) if bounds else \
            np.empty(0, dtype=np.int64)
        first = np.zeros(len(level_all), dtype=bool)
        first[[a for a, _ in bounds]] = True
        changes = {}
        for c in set(diff_inputs) | ({target} if diff_target else set()):
            v = np.asarray(cols[c], dtype=np.float64)
            d = np.empty_like(v)
            d[1:] = v[1:] - v[:-1]
            changes[c] = d[~first]
        ys = changes[target] if diff_target else level_all[keep_rows]
        level = level_all[keep_rows]
        cols = {c: (changes[c] if c in changes and (c != target or c in features)
                    else v[keep_rows]) for c, v in cols.items()}
        if target in features and not diff_target:
            cols[target] = level
        labels = [labels[i] for i in keep_rows]
        bounds = [(a - i, b - i - 1) for i, (a, b) in enumerate(bounds)]
    else:
        ys = level_all
        level = level_all
    if diff_target:
        notes.append(f"differencing ({cfg.difference}): the model learns d[t] = y[t] - y[t-1] "
                     f"of '{target}'" + (" and reads it as an input" if target in features else "")
                     + f"; forecasts are re-integrated from the last observed value (first row "
                     f"of each series dropped), and the model starts from 'no change' (the "
                     f"persistence forecast) and learns a correction to it, kept only if it "
                     f"beats that start on validation — {reason}")
    else:
        notes.append(f"no differencing ({cfg.difference}): the model learns the level of "
                     f"'{target}' — {reason}")
    others = [c for c in diff_inputs if c != target]
    if others:
        notes.append("inputs read as changes (each fails the unit-root test on its training "
                     f"rows): {', '.join(others)}")

    bounds, names, dropped = _drop_short(cfg, bounds, table, len(level), names, holdout)
    if dropped:
        notes.append(f"{len(dropped)} series too short for window {cfg.window} + horizon "
                     f"{cfg.horizon} left out: {', '.join(dropped[:5])}"
                     + (", ..." if len(dropped) > 5 else ""))
    per_series = []
    for a, b in bounds:
        length = b - a
        if holdout is not None:
            nv, nt = holdout
            per_series.append((length - nv - nt, nv, nt))
        else:
            per_series.append(split_rows(length, cfg.split))
    n = len(level)
    n_train = sum(p[0] for p in per_series)
    n_val = sum(p[1] for p in per_series)
    n_test = sum(p[2] for p in per_series)
    _check_constant_target(table, target, level)
    train_idx = (slice(0, per_series[0][0]) if len(bounds) == 1 and bounds[0][0] == 0 else
                 np.concatenate([np.arange(a, a + p[0]) for (a, _), p in
                                 zip(bounds, per_series, strict=True)]))

    # Scalers: fit on training rows only, column by column (no full float64 copy).
    x_scaler = _fit_columns(cfg.scale_x, [cols[c][train_idx] for c in features])
    for j in x_scaler.constant():
        _constant_error(cfg, table, features[j], cols[features[j]][train_idx], target,
                        features, "feature", cfg.scale_x)
    scaled_x = np.empty((n, len(features)), dtype=np.float32)
    with np.errstate(over="ignore"):  # values past float32 become inf: refused in words below
        for j, c in enumerate(features):
            x_scaler.transform_into(cols[c], scaled_x, j)
    notes.append(f"inputs scaled with {cfg.scale_x} (fit on the {n_train} training rows)"
                 if cfg.scale_x != "none" else "inputs not scaled (--scale-x none)")

    y_scaler = _fit_y(cfg, table, ys[train_idx], target, features, notes, diff_target)
    with np.errstate(over="ignore"):
        y_series = (ys if y_scaler is None else y_scaler.transform(ys)).astype(np.float32)
    _check_float32(y_series, "target", target, "--scale-y auto")
    _check_float32(scaled_x, "inputs", ", ".join(features), "--scale-x minmax")

    trend_note = _trend_note(diff_target, level, train_idx, target)
    if trend_note:
        notes.append(trend_note)

    season, season_reason = _season(cfg, table)
    train_levels = [level[a: a + p[0]] for (a, _), p in zip(bounds, per_series, strict=True)]
    m_used = season if any(len(t) > season for t in train_levels) else 1
    diffs = [np.abs(t[m_used:] - t[:-m_used]) for t in train_levels if len(t) > m_used]
    mase_scale = float(np.mean(np.concatenate(diffs))) if diffs else float("nan")
    if m_used != season:
        season_reason += f"; too few training rows for it, so MASE uses lag {m_used}"
    notes.append(f"season {season} ({season_reason}) for the seasonal-naive baseline; MASE "
                 f"divides by its in-sample MAE on the training rows ({mase_scale:.4g})")

    splits = _windows(cfg, bounds, per_series, scaled_x, y_series, level, season)
    total = sum(len(range(0, max(0, (b - a) - cfg.window - cfg.horizon + 1), cfg.stride))
                for a, b in bounds)
    kept = sum(len(sp) for sp in splits.values())
    notes.append(f"rows: train {n_train}, val {n_val}, test {n_test}; windows: train "
                 f"{len(splits['train'])}, val {len(splits['val'])}, test {len(splits['test'])}"
                 + (f" ({total - kept} straddling a split boundary dropped)"
                    if total > kept else "")
                 + (f"; {len(bounds)} series, windows never cross series" if ids is not None
                    else ""))
    return Prepared(
        train=splits["train"], val=splits["val"], test=splits["test"],
        feature_names=list(features), target_name=target, time_column=table.time_column,
        time_labels=labels, window=cfg.window, horizon=cfg.horizon, n_features=len(features),
        scaled_x=scaled_x, notes=notes, stride=cfg.stride, difference=diff_target,
        x_scaler=x_scaler, y_scaler=y_scaler, split_rows=(n_train, n_val, n_test),
        target_values=level, difference_mode=cfg.difference, difference_reason=reason,
        differenced_inputs=[c for c in features if c in diff_inputs
                            or (c == target and diff_target)],
        season=season, season_reason=season_reason, mase_scale=mase_scale,
        series_column=cfg.series_id if ids is not None else None,
        series_names=list(names) if ids is not None else [],
        bounds=list(bounds),
    )


def _bounds(ids: np.ndarray | None) -> list[tuple[int, int]]:
    """Row ranges [a, b) of consecutive equal ids (one range for None: filled in later)."""
    if ids is None or len(ids) == 0:
        return []
    change = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    edges = [0, *change.tolist(), len(ids)]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def _decide_difference(cfg: DataConfig, cols: dict[str, np.ndarray], target: str,
                       features: list[str], bounds: list[tuple[int, int]],
                       train_rows: Any) -> tuple[bool, list[str], str]:
    """(difference the target?, input columns read as changes, the reason in words)."""
    if cfg.difference == "yes":
        return True, [target] if target in features else [], "asked for (--difference yes)"
    if cfg.difference == "no":
        return False, [], "asked for (--difference no)"
    from seqlab.data.stationarity import adf_test

    def fails(col: str) -> tuple[bool, str]:
        v = np.asarray(cols[col], dtype=np.float64)
        steps = [np.diff(v[a: a + train_rows(b - a)]) for a, b in bounds]
        if all(len(d) and float(np.ptp(d)) == 0 for d in steps):
            # a straight line: its changes are one constant, nothing a scaler or model can use
            return False, "its changes are constant over the training rows (a straight line)"
        tests = [adf_test(v[a: a + train_rows(b - a)]) for a, b in bounds]
        bad = sum(t.difference for t in tests)
        if len(tests) == 1:
            return tests[0].difference, tests[0].why
        return bad * 2 > len(tests), (f"{bad} of {len(tests)} series fail the ADF unit-root "
                                      "test on their training rows")
    diff_target, why = fails(target)
    inputs = [c for c in features if c != target and fails(c)[0]]
    if diff_target and target in features:
        inputs = [target, *inputs]
    return diff_target, inputs, why


def _drop_short(cfg: DataConfig, bounds: list[tuple[int, int]], table: Table, n: int,
                names: list[str], holdout: tuple[int, int] | None
                ) -> tuple[list[tuple[int, int]], list[str], list[str]]:
    """(kept row ranges, their series names, names of the series left out as too short)."""
    from seqlab.data.windows import window_counts

    def ok(length: int) -> bool:
        if holdout is not None:
            nv, nt = holdout
            nr = length - nv - nt
            if nr <= 0:
                return False
            ranges = window_ranges(length, nr, nv, cfg.window, cfg.horizon, cfg.stride)
            return all(b - a >= 1 for a, b in ranges.values())
        counts = window_counts(length, cfg.split, cfg.window, cfg.horizon, cfg.stride)
        return min(counts.values()) >= 1

    if len(bounds) == 1:
        if holdout is not None and not ok(bounds[0][1] - bounds[0][0]):
            raise DataError(f"too few rows before this fold's {holdout[1]} test rows for window "
                            f"{cfg.window} and horizon {cfg.horizon}: use fewer --folds or a "
                            "smaller --window.")
        _check_enough_rows(cfg, n, table)
        return bounds, names, []
    kept = [(i, ab) for i, ab in enumerate(bounds) if ok(ab[1] - ab[0])]
    dropped = [names[i] if i < len(names) else str(i)
               for i, ab in enumerate(bounds) if not ok(ab[1] - ab[0])]
    if not kept:
        raise DataError(f"no series has enough rows for window {cfg.window}, horizon "
                        f"{cfg.horizon} and the split: use a smaller --window or --horizon, or "
                        "--aggregate to make one longer series.")
    return ([ab for _, ab in kept], [names[i] if i < len(names) else str(i) for i, _ in kept],
            dropped)


def _season(cfg: DataConfig, table: Table) -> tuple[int, str]:
    from seqlab.data.timecol import season_of

    if cfg.season:
        return cfg.season, f"--season {cfg.season}"
    m, freq = season_of(table.time_kind, table.time_step_s)
    if not table.time_column:
        return 1, "no time column; --season N sets one"
    return m, f"{freq} time column" + ("; --season N sets one" if m == 1 else "")


def _windows(cfg: DataConfig, bounds: list[tuple[int, int]],
             per_series: list[tuple[int, int, int]], scaled_x: np.ndarray,
             y_series: np.ndarray, level: np.ndarray, season: int) -> dict[str, Split]:
    t, h, st = cfg.window, cfg.horizon, cfg.stride
    steps = np.arange(1, h + 1)
    single = len(bounds) == 1 and bounds[0][0] == 0
    xw = input_windows(scaled_x, t, st if single else 1)
    row_start = np.zeros(len(level), dtype=np.int64)
    for a, b in bounds:
        row_start[a:b] = a
    out: dict[str, Split] = {}
    for name in SPLITS:
        parts: list[tuple[int, int, int]] = []  # (series index, k0, k1)
        for i, ((a, b), (ntr, nv, _)) in enumerate(zip(bounds, per_series, strict=True)):
            k0, k1 = window_ranges(b - a, ntr, nv, t, h, st)[name]
            if k1 > k0:
                parts.append((i, k0, k1))
        starts = (np.concatenate([bounds[i][0] + np.arange(k0, k1, dtype=np.int64) * st
                                  for i, k0, k1 in parts]) if parts
                  else np.empty(0, dtype=np.int64))
        series = (np.concatenate([np.full(k1 - k0, i, dtype=np.int64) for i, k0, k1 in parts])
                  if parts else np.empty(0, dtype=np.int64))
        if single:
            k0, k1 = (parts[0][1], parts[0][2]) if parts else (0, 0)
            X = xw[k0:k1]
            y = target_windows(y_series, t, h, st, k0, k1)
            y_true = target_windows(level, t, h, st, k0, k1)
            anchor = anchors(level, t, st, k0, k1)
        else:
            X = (xw[starts] if len(starts) else
                 np.empty((0, t, scaled_x.shape[1]), dtype=np.float32))
            rows = starts[:, None] + t - 1 + steps[None, :]  # (N, H) target rows
            y = y_series[rows] if len(starts) else np.empty((0, h), dtype=np.float32)
            y_true = level[rows] if len(starts) else np.empty((0, h))
            anchor = level[starts + t - 1] if len(starts) else np.empty(0)
        # seasonal naive: the value one season (or whole seasons) before each target row,
        # from the same series; where none exists yet, the last observed value
        if len(starts):
            target_rows = starts[:, None] + t - 1 + steps[None, :]
            src = target_rows - season * np.ceil(steps / season).astype(np.int64)[None, :]
            valid = src >= row_start[starts][:, None]
            snaive = np.where(valid, level[np.maximum(src, 0)],
                              np.asarray(anchor, dtype=np.float64)[:, None])
        else:
            snaive = np.empty((0, h))
        out[name] = Split(name=name, X=X, y=y, y_true=y_true, anchor=anchor, starts=starts,
                          snaive=snaive, series=series)
    return out


def _choose_columns(cfg: DataConfig, table: Table,
                    exclude: set[str] | None = None) -> tuple[str, list[str]]:
    numeric = [c for c in table.numeric_columns if c not in (exclude or set())]
    if cfg.target is not None:
        target = cfg.target
        _check_column(table, target, "target", "--target")
    elif len(numeric) == 1:
        target = numeric[0]
    else:
        raise DataError(f"{table.path} has several numeric columns ({', '.join(numeric)}); "
                        "choose the one to forecast with --target.")
    features = list(dict.fromkeys(cfg.features)) if cfg.features else list(numeric)
    for c in features:
        _check_column(table, c, "feature", "--features")
    return target, features


def _check_column(table: Table, col: str, role: str, flag: str) -> None:
    kinds = table.column_kinds
    numeric = ", ".join(table.numeric_columns)
    if col not in kinds:
        raise DataError(f"unknown {role} column '{col}' in {flag}: available columns are "
                        f"{', '.join(kinds)}.")
    if kinds[col] == "time":
        raise DataError(f"column '{col}' is the time column (used for order and labels), not a "
                        f"{role}; choose from the numeric columns: {numeric}.")
    if kinds[col] != "numeric":
        val, line = table.text_examples.get(col, ("", 0))
        where = f" ({val!r} at line {line})" if val else ""
        raise DataError(f"{role} column '{col}' is not numeric{where}; choose numeric columns "
                        f"with {flag} ({numeric}) or fix the file.")


def _check_empty(cols: dict[str, np.ndarray], target: str) -> None:
    """A column with no value at all: no --missing policy can fill it, so say so first."""
    for c, v in cols.items():
        if v.dtype.kind == "f" and len(v) and np.isnan(v).all():
            others = [o for o in cols if o != c]
            remedy = ("choose another --target" if c == target
                      else f"leave it out: --features {','.join(others)}")
            raise DataError(f"column '{c}' has no numbers (all {len(v)} cells are empty or "
                            f"NaN); {remedy}, or fill it in.")


def _check_inf(table: Table, cols: dict[str, np.ndarray]) -> None:
    for c, v in cols.items():
        if v.dtype.kind != "f":
            continue
        bad = np.flatnonzero(np.isinf(v))
        if len(bad):
            i = int(bad[0])
            raise DataError(f"column '{c}' has {len(bad)} infinite value(s) (first {v[i]} at line "
                            f"{table.line_of(i)}); replace them with real numbers or leave the "
                            "cells empty and use --missing.")


def _handle_missing(cfg: DataConfig, table: Table, cols: dict[str, np.ndarray],
                    notes: list[str], bounds: list[tuple[int, int]] | None = None,
                    holdout: tuple[int, int] | None = None
                    ) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    nan_cols = {c: np.isnan(v) for c, v in cols.items() if v.dtype.kind == "f"}
    nan_cols = {c: m for c, m in nan_cols.items() if m.any()}
    if not nan_cols:
        return cols, None
    any_nan = np.zeros(len(table.frame), dtype=bool)
    for m in nan_cols.values():
        any_nan |= m
    total = sum(int(m.sum()) for m in nan_cols.values())
    if cfg.missing == "error":
        rows = np.flatnonzero(any_nan)
        lines = ", ".join(str(table.line_of(int(i))) for i in rows[:3])
        more = ", ..." if len(rows) > 3 else ""
        per = ", ".join(f"'{c}' ({int(m.sum())})" for c, m in nan_cols.items())
        raise DataError(f"{total} missing value(s) in {len(rows)} row(s), in column(s) {per}, "
                        f"first at line(s) {lines}{more}; fill them in or choose "
                        "--missing drop|ffill|interpolate.")
    out = dict(cols)
    if cfg.missing == "drop":
        keep = np.flatnonzero(~any_nan)
        notes.append(f"dropped {len(any_nan) - len(keep)} row(s) with missing values "
                     "(--missing drop)")
    else:
        still = np.zeros(len(any_nan), dtype=bool)
        carried = 0
        for c in nan_cols:
            # filled within each series: a value never leaks from one series into the next
            filled = np.asarray(cols[c], dtype=np.float64).copy()
            for a, b in bounds or [(0, len(filled))]:
                if cfg.missing == "ffill":
                    filled[a:b] = pd.Series(filled[a:b]).ffill().to_numpy(dtype=np.float64)
                else:
                    edges = _split_edges(cfg, any_nan[a:b], holdout)
                    carried += _interpolate_within_splits(filled[a:b], edges)
            still |= np.isnan(filled)
            out[c] = filled
        keep = np.flatnonzero(~still)
        how = "carried forward" if cfg.missing == "ffill" else "linearly interpolated"
        note = f"{total} missing value(s) {how} (--missing {cfg.missing})"
        if still.any():
            note += f"; dropped {int(still.sum())} row(s) at the edges with nothing to fill from"
        if carried:
            note += (f"; {carried} gap(s) at a split boundary carried forward instead (a filled "
                     "value never reads a later split)")
        notes.append(note)
    if len(keep) == len(any_nan):
        return out, None
    return {c: v[keep] for c, v in out.items()}, keep


SPLIT_EDGE_SLACK = 2  # rows: differencing and edge drops move a boundary by at most this


def _split_edges(cfg: DataConfig, missing: np.ndarray,
                 holdout: tuple[int, int] | None) -> list[int]:
    """Where val and test will start in one series (row offsets), estimated before its
    edge rows and (auto) differencing are dropped: exact up to SPLIT_EDGE_SLACK rows."""
    length = len(missing)
    filled = np.flatnonzero(~missing)
    lead = int(filled[0]) if len(filled) else 0
    trail = length - 1 - int(filled[-1]) if len(filled) else 0
    n = max(0, length - lead - trail)
    if holdout is not None:
        n_train, n_val = n - holdout[0] - holdout[1], holdout[0]
    else:
        n_train, n_val, _ = split_rows(n, cfg.split)
    return [lead + n_train, lead + n_train + n_val]


def _interpolate_within_splits(v: np.ndarray, edges: list[int]) -> int:
    """Linear interpolation of the inner gaps of ``v`` in place, except that a gap whose fill
    would read a value from a later split (or might, near a boundary) is carried forward
    from the last value before it: the scaler and the model then never see, in training
    rows, anything taken from validation or test rows. Returns how many gaps were carried."""
    gaps = np.flatnonzero(np.diff(np.concatenate(([0], np.isnan(v).astype(np.int8), [0]))))
    carried = 0
    for s, e in zip(gaps[::2], gaps[1::2], strict=True):  # NaN run [s, e)
        if s == 0 or e == len(v):
            continue  # an edge: nothing on one side, dropped as before
        if any(s - SPLIT_EDGE_SLACK < edge <= e + SPLIT_EDGE_SLACK for edge in edges):
            v[s:e] = v[s - 1]
            carried += 1
        else:
            v[s:e] = np.interp(np.arange(s, e), [s - 1, e], [v[s - 1], v[e]])
    return carried


def _check_enough_rows(cfg: DataConfig, n: int, table: Table) -> None:
    from seqlab.data.windows import window_counts

    counts = window_counts(n, cfg.split, cfg.window, cfg.horizon, cfg.stride)
    empty = [k for k in SPLITS if counts[k] < 1]
    if not empty:
        return
    need = min_rows_needed(cfg.split, cfg.window, cfg.horizon, cfg.stride)
    split = "/".join(f"{f:g}" for f in cfg.split)
    extra = ""
    if n != table.n_rows:
        extra = f" (of {table.n_rows} in the file, after missing-value handling/differencing)"
    need_txt = f"at least {need + (table.n_rows - n)} rows in the file" if need else "more rows"
    # only the remedies that exist: a window or horizon of 1 cannot be made smaller
    smaller = " or ".join(f"--{k}" for k, v in (("window", cfg.window), ("horizon", cfg.horizon))
                          if v > 1)
    remedy = f"use a smaller {smaller}, or more data" if smaller else "use more data"
    raise DataError(f"too few rows: {n} usable rows{extra} give no {' or '.join(empty)} "
                    f"windows for window {cfg.window}, horizon {cfg.horizon}, stride "
                    f"{cfg.stride} and split {split}; this needs {need_txt}: {remedy}.")


def _check_float32(values: np.ndarray, what: str, names: str, fix: str) -> None:
    """The model computes in float32 (up to ~3.4e38): values beyond it would be inf."""
    if values.size and not np.isfinite(values).all():
        raise DataError(f"the {what} ({names}) as the model sees them exceed float32's range "
                        f"(~3.4e38); scale them ({fix}) or divide the column by a power of 10.")


def _check_constant_target(table: Table, target: str, level: np.ndarray) -> None:
    if len(level) and float(np.max(level)) == float(np.min(level)):
        raise DataError(f"target column '{target}' is constant (every value is {level[0]:g}); "
                        "there is nothing to forecast: choose another --target.")


def _fit_columns(kind: str, columns: list[np.ndarray]) -> Scaler:
    parts = [Scaler.fit(kind, np.asarray(c)) for c in columns]
    return Scaler(kind, np.concatenate([p.offset for p in parts]),
                  np.concatenate([p.scale for p in parts]))


def _constant_error(cfg: DataConfig, table: Table, col: str, train: np.ndarray, target: str,
                    features: list[str], role: str, kind: str) -> None:
    where = "in the training rows"
    value = f"{float(train[0]):g}" if len(train) else "?"
    if role == "feature" and not (col == target and len(features) == 1):
        others = [c for c in features if c != col]
        tip = (f"drop it with --features {','.join(others)}" if others
               else f"forecast from the target's own past with --features {target}")
        raise DataError(f"feature column '{col}' is constant {where} (value {value}), so the "
                        f"{kind} scaler cannot use it (it would divide by zero); {tip} or use "
                        "--scale-x none.")
    raise DataError(f"target column '{col}' is constant {where} (value {value}), so the {kind} "
                    "scaler cannot use it (it would divide by zero); use a different --split, "
                    f"--scale-x none / --scale-y no, or more varied data.")


def _fit_y(cfg: DataConfig, table: Table, train_y: np.ndarray, target: str,
           features: list[str], notes: list[str], differenced: bool) -> Scaler | None:
    what = "differenced target" if differenced else f"target '{target}'"
    peak = float(np.max(np.abs(train_y))) if len(train_y) else 0.0
    kind = cfg.scale_x if cfg.scale_x != "none" else "standard"
    if cfg.scale_y == "no":
        notes.append(f"{what} not scaled (--scale-y no)")
        return None
    if cfg.scale_y == "auto" and peak <= Y_AUTO_LIMIT:
        notes.append(f"{what} not scaled: max |y| over training rows is {peak:.4g} "
                     f"(<= {Y_AUTO_LIMIT:g}, --scale-y auto)")
        return None
    scaler = Scaler.fit(kind, train_y)
    if scaler.constant():
        if cfg.scale_y == "auto":
            notes.append(f"{what} not scaled: it is constant over the training rows")
            return None
        _constant_error(cfg, table, target, train_y, target, features, "target", kind)
    why = (f"max |y| over training rows is {peak:.4g} (> {Y_AUTO_LIMIT:g}, --scale-y auto)"
           if cfg.scale_y == "auto" else "--scale-y yes")
    if differenced:
        # divided by its spread, not shifted: 0 keeps meaning "no change", the persistence
        # forecast, which is where the model starts (see Trainer._setup)
        scaler = Scaler(kind, np.zeros_like(scaler.offset), scaler.scale)
        why += "; divided by its spread only, so 0 stays 'no change'"
    notes.append(f"{what} scaled with {kind}: {why}")
    return scaler


def _trend_note(differenced: bool, level: np.ndarray, train_idx: Any,
                target: str) -> str | None:
    """A hint when later targets leave the training range (a trend the scaler never saw)."""
    mask = np.zeros(len(level), dtype=bool)
    mask[train_idx] = True
    n_train = int(mask.sum())
    if differenced or n_train < 2 or n_train >= len(level):
        return None
    lo, hi = float(np.min(level[mask])), float(np.max(level[mask]))
    span = hi - lo
    later = level[~mask]
    beyond = float(max(np.max(later) - hi, lo - np.min(later), 0.0))
    outside = float(np.mean((later > hi) | (later < lo)))
    if span <= 0 or beyond <= 0.1 * span or outside < 0.25:
        return None  # later values mostly inside the training range: no trend to warn of
    return (f"warning: {outside:.0%} of '{target}' after the training rows lies outside the "
            f"training range {lo:g}..{hi:g} (up to {beyond / span:.0%} of it beyond); a model "
            "fit on that range extrapolates badly: for a trending series try --difference yes")
