"""Forecast metrics in original units: MAE, RMSE and MAPE (zero targets skipped, and counted)."""

from __future__ import annotations

import math

import numpy as np


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and MAPE (%) over every horizon step; MAPE skips zero actuals.

    ``mape_skipped`` says how many actual values were zero and left out of MAPE; when every
    actual is zero MAPE is NaN.
    """
    a = np.asarray(actual, dtype=np.float64).ravel()
    p = np.asarray(predicted, dtype=np.float64).ravel()
    if a.shape != p.shape:
        raise ValueError(f"shape mismatch: actual {a.shape} vs predicted {p.shape}")
    if a.size == 0:
        return {"mae": math.nan, "rmse": math.nan, "mape": math.nan, "mape_skipped": 0.0}
    err = p - a
    nonzero = a != 0
    skipped = int(a.size - nonzero.sum())
    mape = float(np.mean(np.abs(err[nonzero] / a[nonzero])) * 100.0) if nonzero.any() else math.nan
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mape": mape,
        "mape_skipped": float(skipped),
    }


def perplexity(mean_nll: float) -> float:
    """exp(mean negative log-likelihood in nats), inf on overflow."""
    try:
        return math.exp(mean_nll)
    except OverflowError:
        return math.inf
