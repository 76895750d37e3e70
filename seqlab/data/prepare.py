"""Turn a :class:`Table` into scaled train/val/test windows (:class:`Prepared`)."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    """The windows of one split. X is a view into :attr:`Prepared.scaled_x`."""

    name: str  # "train" | "val" | "test"
    X: np.ndarray  # (N, T, F) float32 scaled windows (read-only views of one array)
    y: np.ndarray  # (N, H) float32 in model space (scaled, differenced if enabled)
    y_true: np.ndarray  # (N, H) float64 actual target in original units
    anchor: np.ndarray  # (N,) float64 target at each window's last input row (original units)
    starts: np.ndarray  # (N,) int64 row index of each window's first input row

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
    difference: bool = False
    x_scaler: Scaler | None = None
    y_scaler: Scaler | None = None  # None: y is not scaled
    split_rows: tuple[int, int, int] = (0, 0, 0)  # rows in train, val, test
    target_values: np.ndarray = field(default_factory=lambda: np.empty(0))  # (rows,) float64

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

    def input_labels(self, split: Split, i: int) -> list[str]:
        s = int(split.starts[i])
        return self.time_labels[s: s + self.window]

    def target_labels(self, split: Split) -> list[str]:
        """Label of each window's first target row."""
        labels = self.time_labels
        return [labels[int(s) + self.window] for s in split.starts]

    def shapes(self) -> dict[str, list[int]]:
        return {s.name: [int(d) for d in s.X.shape] for s in (self.train, self.val, self.test)}


def prepare(cfg: DataConfig, table: Table | None = None) -> Prepared:
    """Columns, missing values, differencing, scaling (train rows only) and windows."""
    cfg.validate()
    if table is None:
        table = read_table(cfg.path, time_column=cfg.time_column)
    elif cfg.time_column and cfg.time_column != table.time_column:
        table = read_table(table.path, time_column=cfg.time_column)
    notes = list(table.notes)
    target, features = _choose_columns(cfg, table)
    used = list(dict.fromkeys([*features, target]))
    frame = table.frame
    cols = {c: frame[c].to_numpy() for c in used}  # views where pandas allows
    _check_inf(table, cols)
    cols, keep = _handle_missing(cfg, table, cols, notes)
    labels = table.time_labels if keep is None else [table.time_labels[i] for i in keep]

    level = np.asarray(cols[target], dtype=np.float64)
    if cfg.difference:
        ys = np.diff(level)
        level = level[1:]
        cols = {c: v[1:] for c, v in cols.items()}
        if target in features:
            cols[target] = ys  # the inputs show the same changes the model learns to predict
        labels = labels[1:]
        notes.append(f"differencing: the model learns d[t] = y[t] - y[t-1] of '{target}'"
                     + (" and reads it as an input" if target in features else "")
                     + "; forecasts are re-integrated from the last observed value (first "
                     "row dropped)")
    else:
        ys = level
    n = len(level)
    _check_enough_rows(cfg, n, table)
    n_train, n_val, n_test = split_rows(n, cfg.split)
    _check_constant_target(table, target, level)

    # Scalers: fit on training rows only, column by column (no full float64 copy).
    x_scaler = _fit_columns(cfg.scale_x, [cols[c][:n_train] for c in features])
    for j in x_scaler.constant():
        _constant_error(cfg, table, features[j], cols[features[j]][:n_train], target,
                        features, "feature", cfg.scale_x)
    scaled_x = np.empty((n, len(features)), dtype=np.float32)
    for j, c in enumerate(features):
        x_scaler.transform_into(cols[c], scaled_x, j)
    notes.append(f"inputs scaled with {cfg.scale_x} (fit on the {n_train} training rows)"
                 if cfg.scale_x != "none" else "inputs not scaled (--scale-x none)")

    y_scaler = _fit_y(cfg, table, ys[:n_train], target, features, notes)
    with np.errstate(over="ignore"):
        y_series = (ys if y_scaler is None else y_scaler.transform(ys)).astype(np.float32)
    _check_float32(y_series, "target", target, "--scale-y auto")
    _check_float32(scaled_x, "inputs", ", ".join(features), "--scale-x minmax")

    trend_note = _trend_note(cfg, level, n_train, target)
    if trend_note:
        notes.append(trend_note)
    ranges = window_ranges(n, n_train, n_val, cfg.window, cfg.horizon, cfg.stride)
    xw = input_windows(scaled_x, cfg.window, cfg.stride)
    splits: dict[str, Split] = {}
    for name in SPLITS:
        k0, k1 = ranges[name]
        k1 = max(k0, k1)
        splits[name] = Split(
            name=name,
            X=xw[k0:k1],
            y=target_windows(y_series, cfg.window, cfg.horizon, cfg.stride, k0, k1),
            y_true=target_windows(level, cfg.window, cfg.horizon, cfg.stride, k0, k1),
            anchor=anchors(level, cfg.window, cfg.stride, k0, k1),
            starts=np.arange(k0, k1, dtype=np.int64) * cfg.stride,
        )
    total = len(range(0, max(0, n - cfg.window - cfg.horizon + 1), cfg.stride))
    kept = sum(len(s) for s in splits.values())
    notes.append(f"rows: train {n_train}, val {n_val}, test {n_test}; windows: train "
                 f"{len(splits['train'])}, val {len(splits['val'])}, test {len(splits['test'])}"
                 + (f" ({total - kept} straddling a split boundary dropped)"
                    if total > kept else ""))
    return Prepared(
        train=splits["train"], val=splits["val"], test=splits["test"],
        feature_names=list(features), target_name=target, time_column=table.time_column,
        time_labels=labels, window=cfg.window, horizon=cfg.horizon, n_features=len(features),
        scaled_x=scaled_x, notes=notes, stride=cfg.stride, difference=cfg.difference,
        x_scaler=x_scaler, y_scaler=y_scaler, split_rows=(n_train, n_val, n_test),
        target_values=level,
    )


def _choose_columns(cfg: DataConfig, table: Table) -> tuple[str, list[str]]:
    numeric = table.numeric_columns
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
                    notes: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
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
        for c in nan_cols:
            s = pd.Series(np.asarray(cols[c], dtype=np.float64))
            if cfg.missing == "ffill":
                s = s.ffill()
            else:
                s = s.interpolate(method="linear", limit_area="inside")
            filled = s.to_numpy(dtype=np.float64)
            still |= np.isnan(filled)
            out[c] = filled
        keep = np.flatnonzero(~still)
        how = "carried forward" if cfg.missing == "ffill" else "linearly interpolated"
        note = f"{total} missing value(s) {how} (--missing {cfg.missing})"
        if still.any():
            note += f"; dropped {int(still.sum())} row(s) at the edges with nothing to fill from"
        notes.append(note)
    if len(keep) == len(any_nan):
        return out, None
    return {c: v[keep] for c, v in out.items()}, keep


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
    raise DataError(f"too few rows: {n} usable rows{extra} give no {' or '.join(empty)} "
                    f"windows for window {cfg.window}, horizon {cfg.horizon}, stride "
                    f"{cfg.stride} and split {split}; this needs {need_txt}: use a smaller "
                    "--window or --horizon, or more data.")


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
               else "drop it with --features")
        raise DataError(f"feature column '{col}' is constant {where} (value {value}), so the "
                        f"{kind} scaler cannot use it (it would divide by zero); {tip} or use "
                        "--scale-x none.")
    raise DataError(f"target column '{col}' is constant {where} (value {value}), so the {kind} "
                    "scaler cannot use it (it would divide by zero); use a different --split, "
                    f"--scale-x none / --scale-y no, or more varied data.")


def _fit_y(cfg: DataConfig, table: Table, train_y: np.ndarray, target: str,
           features: list[str], notes: list[str]) -> Scaler | None:
    what = "differenced target" if cfg.difference else f"target '{target}'"
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
    notes.append(f"{what} scaled with {kind}: {why}")
    return scaler


def _trend_note(cfg: DataConfig, level: np.ndarray, n_train: int, target: str) -> str | None:
    """A hint when later targets leave the training range (a trend the scaler never saw)."""
    if cfg.difference or n_train < 2 or n_train >= len(level):
        return None
    lo, hi = float(np.min(level[:n_train])), float(np.max(level[:n_train]))
    span = hi - lo
    later = level[n_train:]
    beyond = float(max(np.max(later) - hi, lo - np.min(later), 0.0))
    outside = float(np.mean((later > hi) | (later < lo)))
    if span <= 0 or beyond <= 0.1 * span or outside < 0.25:
        return None  # later values mostly inside the training range: no trend to warn of
    return (f"warning: {outside:.0%} of '{target}' after the training rows lies outside the "
            f"training range {lo:g}..{hi:g} (up to {beyond / span:.0%} of it beyond); a model "
            "fit on that range extrapolates badly: for a trending series try --difference")
