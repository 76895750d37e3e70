"""Forecast metrics in original units, the naive baselines' scale, and conformal intervals.

MAE, RMSE, MAPE (zero targets skipped, and counted; flagged unreliable near zero), sMAPE and
MASE (MAE over the in-sample seasonal-naive MAE of the training rows, Hyndman & Koehler 2006).
numpy only.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
else:
    from seqlab.lazy import numpy as np


NEAR_ZERO = 0.1  # MAPE is unreliable when some |actual| is below this share of the mean |actual|
LEVELS = (0.8, 0.95)  # nominal coverage of the prediction intervals


def mape_reliable(actual: np.ndarray) -> bool:
    """False when some target is near zero relative to the typical size of the targets: a
    percentage error there explodes (265 % on a series around 0) and says nothing."""
    a = np.abs(np.asarray(actual, dtype=np.float64).ravel())
    a = a[np.isfinite(a)]
    if a.size == 0:
        return True
    mean = float(np.mean(a))
    return mean > 0 and float(np.min(a)) >= NEAR_ZERO * mean


def regression_metrics(actual: np.ndarray, predicted: np.ndarray,
                       scale: float | None = None) -> dict[str, float]:
    """MAE, RMSE, MAPE (%), sMAPE (%) and, given ``scale``, MASE over every horizon step.

    ``mape_skipped`` counts actual values equal to 0, left out of MAPE (all zero: NaN).
    ``mape_reliable`` is 1.0 or 0.0 (see :func:`mape_reliable`). sMAPE is
    ``mean(2|p - a| / (|a| + |p|))`` in %, skipping pairs where both are 0.
    """
    a = np.asarray(actual, dtype=np.float64).ravel()
    p = np.asarray(predicted, dtype=np.float64).ravel()
    if a.shape != p.shape:
        raise ValueError(f"shape mismatch: actual {a.shape} vs predicted {p.shape}")
    if a.size == 0:
        out = {"mae": math.nan, "rmse": math.nan, "mape": math.nan, "mape_skipped": 0.0,
               "smape": math.nan, "mape_reliable": 1.0}
        if scale is not None:
            out["mase"] = math.nan
        return out
    err = p - a
    nonzero = a != 0
    skipped = int(a.size - nonzero.sum())
    mape = float(np.mean(np.abs(err[nonzero] / a[nonzero])) * 100.0) if nonzero.any() else math.nan
    denom = np.abs(a) + np.abs(p)
    both = denom > 0
    smape = (float(np.mean(2.0 * np.abs(err[both]) / denom[both]) * 100.0) if both.any()
             else math.nan)
    mae = float(np.mean(np.abs(err)))
    out = {
        "mae": mae,
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mape": mape,
        "mape_skipped": float(skipped),
        "smape": smape,
        "mape_reliable": 1.0 if mape_reliable(a) else 0.0,
    }
    if scale is not None:
        out["mase"] = mae / scale if scale > 0 and math.isfinite(scale) else math.nan
    return out


def metrics_by_step(actual: np.ndarray, predicted: np.ndarray,
                    scale: float | None = None) -> list[dict[str, float]]:
    """One metrics dict per horizon step of (N, H) arrays."""
    a = np.asarray(actual, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    if a.ndim == 1:
        a, p = a[:, None], p[:, None]
    return [regression_metrics(a[:, h], p[:, h], scale) for h in range(a.shape[1])]


def seasonal_naive_scale(segments: list[np.ndarray], season: int) -> tuple[float, int]:
    """(mean |y[t] - y[t-m]| over the training rows of every segment, m used).

    ``m`` falls back to 1 (plain persistence) when no segment has more than ``season`` rows.
    """
    m = season if any(len(s) > season for s in segments) else 1
    diffs = [np.abs(s[m:] - s[:-m]) for s in segments if len(s) > m]
    if not diffs:
        return math.nan, m
    d = np.concatenate(diffs)
    d = d[np.isfinite(d)]
    return (float(np.mean(d)) if d.size else math.nan), m


def conformal_halfwidths(actual: np.ndarray, predicted: np.ndarray,
                         levels: tuple[float, ...] = LEVELS) -> dict[str, np.ndarray]:
    """Split-conformal half-widths per horizon step from calibration residuals (N, H).

    For level ``1 - alpha`` the half-width is the ``ceil((n + 1)(1 - alpha))``-th smallest
    absolute residual of that step (Vovk et al.; Lei et al. 2018): with exchangeable errors the
    interval ``prediction ± q`` covers a new target with probability at least ``1 - alpha``.
    Too few calibration windows for a level gives an infinite half-width.
    """
    a = np.asarray(actual, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    if a.ndim == 1:
        a, p = a[:, None], p[:, None]
    scores = np.sort(np.abs(a - p), axis=0)  # (N, H)
    n = scores.shape[0]
    out: dict[str, np.ndarray] = {}
    for level in levels:
        k = int(math.ceil((n + 1) * level))
        # fewer than 1/(1 - level) - 1 calibration windows: no finite quantile exists
        out[level_key(level)] = (np.full(a.shape[1], math.inf) if n == 0 or k > n
                                 else scores[k - 1].copy())
    return out


def level_key(level: float) -> str:
    return f"{round(level * 100):d}"


def coverage(actual: np.ndarray, predicted: np.ndarray, halfwidth: np.ndarray) -> float:
    """Share of (N, H) targets inside ``predicted ± halfwidth`` (halfwidth per step); NaN when
    there are no targets or the interval could not be placed (an infinite halfwidth: too few
    calibration windows for its level), not the 100 % an unbounded interval trivially covers."""
    a = np.asarray(actual, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    if a.ndim == 1:
        a, p = a[:, None], p[:, None]
    if a.size == 0 or not np.all(np.isfinite(np.asarray(halfwidth, dtype=np.float64))):
        return math.nan
    return float(np.mean(np.abs(a - p) <= np.asarray(halfwidth)[None, :]))


def perplexity(mean_nll: float) -> float:
    """exp(mean negative log-likelihood in nats), inf on overflow."""
    try:
        return math.exp(mean_nll)
    except OverflowError:
        return math.inf


def verdict(summary: dict[str, object], lab: bool = False, short: bool = False) -> str | None:
    """A sentence when the model ends worse than a naive baseline on test MAE, with the remedy
    (phrased for the lab's Data view when ``lab``); None when it beats both (or there is
    nothing to compare). ``short`` fits one 80-column line."""
    def mae(key: str) -> float:
        m = summary.get(key)
        try:
            return float(m.get("mae", math.nan)) if isinstance(m, dict) else math.nan
        except (TypeError, ValueError):
            return math.nan

    model = mae("test")
    if not math.isfinite(model):
        return None
    losers = [(name, v) for name, v in (("persistence", mae("baseline_test")),
                                        ("seasonal naive", mae("snaive_test")))
              if math.isfinite(v) and v < model]
    if not losers:
        return None
    against = " and ".join(f"{name} ({v:.4g})" for name, v in losers)
    if summary.get("difference"):
        if short:
            remedy = "try a longer window, more epochs or patience"
        elif lab:
            remedy = ("try a longer window (a season or two) in the Data view, or more epochs "
                      "or patience in the Model view; a naive forecast this good may simply be "
                      "hard to beat")
        else:
            remedy = ("try a longer --window (a whole season or two), more --epochs or "
                      "--patience, or another --seed; a naive forecast this good may simply be "
                      "hard to beat")
    elif short:
        remedy = "set difference to yes (Data view)" if lab else "try --difference yes"
    elif lab:
        remedy = ("the model forecasts levels: set 'difference' to yes in the Data view (model "
                  "the changes), then try a longer window")
    else:
        remedy = ("the model forecasts levels: try --difference yes (model the changes), "
                  "then a longer --window")
    if short:
        first = losers[0]
        return f"⚠ test MAE {model:.4g} > {first[0]} {first[1]:.4g}: {remedy}"
    return f"the model's test MAE {model:.4g} is worse than {against}: {remedy}."
