"""Rolling-origin backtests: K folds, each trained from scratch on an expanding window.

The last ``split[2]`` share of the timestamps is cut into K consecutive test blocks. Fold k
sees only the rows up to the end of its block: the block is its test set, the rows before it
are split into training and validation rows in the ratio of ``split[0] : split[1]``, and
everything fit on data (the differencing choice, the scalers, the MASE scale) is fit again on
that fold's training rows. Nothing after a fold's test block is read.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from seqlab.config import RunConfig
from seqlab.data import Table, prepare, read_table
from seqlab.errors import DataError
from seqlab.training.metrics import coverage, regression_metrics

METRICS = ("mae", "rmse", "mape", "smape", "mase")


@dataclasses.dataclass(frozen=True)
class Fold:
    index: int  # 1-based
    end: int  # distinct timestamps (or rows) this fold may read
    val: int  # validation timestamps
    test: int  # test timestamps


def plan(n_times: int, split: tuple[float, float, float], folds: int) -> list[Fold]:
    """Fold boundaries over ``n_times`` timestamps (rows for a file without repeats)."""
    if folds < 1:
        raise DataError(f"--folds must be at least 1 (got {folds}).")
    test_total = int(n_times * split[2] + 1e-9)
    block = test_total // folds
    if block < 1:
        raise DataError(f"{folds} folds need at least {folds} test rows but the split leaves "
                        f"{test_total}: use fewer --folds or a larger test share in --split.")
    out = []
    share_val = split[1] / (split[0] + split[1])
    for k in range(folds):
        end = n_times - (folds - 1 - k) * block
        before = end - block
        out.append(Fold(k + 1, end, max(1, int(before * share_val + 1e-9)), block))
    return out


def _truncate(table: Table, end: int) -> Table:
    """The table up to its ``end``-th distinct timestamp (rows when there is no time key)."""
    key = table.time_key
    if key is None:
        rows = np.arange(min(end, table.n_rows))
    else:
        times = np.unique(key)
        cutoff = times[min(end, len(times)) - 1]
        rows = np.flatnonzero(np.asarray(key) <= cutoff)
    return dataclasses.replace(
        table,
        frame=table.frame.iloc[rows].reset_index(drop=True),
        time_labels=[table.time_labels[i] for i in rows],
        line_numbers=None if table.line_numbers is None else table.line_numbers[rows],
        time_key=None if key is None else np.asarray(key)[rows],
    )


def _times(table: Table) -> int:
    return table.n_rows if table.time_key is None else int(len(np.unique(table.time_key)))


def backtest(cfg: RunConfig, folds: int, table: Table | None = None,
             on_fold: Callable[[dict[str, Any]], None] | None = None,
             cancel: threading.Event | None = None) -> dict[str, Any]:
    """Run every fold; returns {"folds": [...], "mean": {...}, "settings": ...}."""
    from seqlab.training.trainer import Trainer

    cfg.validate()
    if table is None:
        table = read_table(cfg.data.path, time_column=cfg.data.time_column)
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for fold in plan(_times(table), cfg.data.split, folds):
        if cancel is not None and cancel.is_set():
            break
        fold_cfg = copy.deepcopy(cfg)
        fold_cfg.train.probe_every = 0  # the probe is for watching a run, not for scoring it
        part = _truncate(table, fold.end)
        prep = prepare(fold_cfg.data, part, holdout=(fold.val, fold.test))
        t_fold = time.perf_counter()
        end = Trainer(fold_cfg, prepared=prep, write_files=False, cancel=cancel).run()
        s = end.summary
        test = prep.test
        row: dict[str, Any] = {
            "fold": fold.index,
            "train_until": prep.time_labels[max(0, prep.split_rows[0] - 1)]
            if not prep.series_names else "",
            "test_from": prep.target_labels(test)[0] if len(test) else "",
            "test_to": prep.target_labels(test)[-1] if len(test) else "",
            "windows": {"train": len(prep.train), "val": len(prep.val), "test": len(test)},
            "status": end.status,
            "epochs": end.epochs,
            "difference": prep.difference,
            "model": s.get("test") or {},
            "persistence": regression_metrics(test.y_true, prep.baseline(test),
                                              prep.mase_scale),
            "seasonal_naive": regression_metrics(test.y_true, prep.seasonal_naive(test),
                                                 prep.mase_scale),
            "coverage": {k: v.get("coverage_test") for k, v in
                         (s.get("intervals") or {}).items()},
            "seconds": time.perf_counter() - t_fold,
        }
        rows.append(row)
        if on_fold is not None:
            on_fold(row)
    mean: dict[str, Any] = {}
    for who in ("model", "persistence", "seasonal_naive"):
        mean[who] = {m: _mean([r[who].get(m) for r in rows]) for m in METRICS}
    mean["coverage"] = {k: _mean([r["coverage"].get(k) for r in rows])
                        for k in (rows[0]["coverage"] if rows else {})}
    return {
        "folds": rows,
        "mean": mean,
        "n_folds": folds,
        "completed": len(rows),
        "seconds": time.perf_counter() - t0,
        "season": prep.season if rows else None,
    }


def _mean(values: list[Any]) -> float:
    v = [float(x) for x in values if x is not None and math.isfinite(float(x))]
    return float(np.mean(v)) if v else math.nan


__all__ = ["backtest", "coverage", "plan"]
