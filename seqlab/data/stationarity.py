"""Decide on training rows alone whether to model a column's changes instead of its level.

The test is the augmented Dickey-Fuller test with a constant (no trend term): it asks whether
the training rows are stationary around one mean. A series with a unit root, a trend (stochastic
or deterministic) or a level shift fails it, and a recurrent network fit on its levels must
extrapolate beyond the range it was trained on, so seqlab models its changes instead. The lag
order is picked by AIC up to Schwert's rule ``12 (n/100)^(1/4)``; the 5 % critical value is
MacKinnon's (2010) response surface for the sample size. numpy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# MacKinnon (2010), table 2, one I(1) variable, constant, no trend: 5 % row,
# cv(T) = b0 + b1/T + b2/T^2 + b3/T^3
_CV5_CONSTANT = (-2.86154, -2.8903, -4.234, -40.040)
MIN_ROWS = 20  # fewer training rows: no test, the level is modelled


@dataclass(frozen=True)
class UnitRootTest:
    """The ADF statistic on training rows and what it decided."""

    stat: float  # t statistic of the lagged level (nan when the regression is degenerate)
    critical: float  # 5 % critical value for this sample size
    lags: int
    nobs: int
    stationary: bool  # True: rejects a unit root at 5 % -> model the level
    why: str  # one phrase for notes

    @property
    def difference(self) -> bool:
        return not self.stationary


def critical_value_5pct(nobs: int) -> float:
    b0, b1, b2, b3 = _CV5_CONSTANT
    t = float(nobs)
    return b0 + b1 / t + b2 / t**2 + b3 / t**3


def _ols(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, float, np.ndarray | None]:
    """(coefficients, residual sum of squares, inverse of X'X or None when singular)."""
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    rss = float(resid @ resid)
    try:
        xtx_inv = np.linalg.inv(X.T @ X)
    except np.linalg.LinAlgError:
        xtx_inv = None
    return beta, rss, xtx_inv


def _design(y: np.ndarray, dy: np.ndarray, p: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    # dy[t] = y[t+1] - y[t] is regressed on y[t], a constant and dy[t-1..t-p], for t >= start
    rows = len(dy) - start
    cols = [y[start: start + rows], np.ones(rows)]
    cols += [dy[start - i: start - i + rows] for i in range(1, p + 1)]
    return dy[start:], np.column_stack(cols)


def adf_test(values: np.ndarray) -> UnitRootTest:
    """Augmented Dickey-Fuller test with a constant on ``values`` (the training rows)."""
    y = np.asarray(values, dtype=np.float64)
    y = y[np.isfinite(y)]
    n = len(y)
    if n < MIN_ROWS:
        return UnitRootTest(math.nan, math.nan, 0, n, True,
                            f"only {n} training rows, too few for a unit-root test")
    spread = float(np.std(y))
    if float(np.ptp(y)) == 0:  # equal values: np.std can be 1e-16 (4.2 repeated), not 0
        return UnitRootTest(math.nan, math.nan, 0, n, True, "constant over the training rows")
    y = (y - float(np.mean(y))) / spread  # the statistic is scale-free; this keeps OLS tidy
    dy = np.diff(y)
    maxlag = min(int(math.ceil(12 * (n / 100.0) ** 0.25)), (len(dy) - 10) // 3)
    maxlag = max(maxlag, 0)
    best_p, best_aic = 0, math.inf
    for p in range(maxlag + 1):  # AIC on a common sample
        dep, X = _design(y, dy, p, maxlag)
        _, rss, _ = _ols(dep, X)
        m = len(dep)
        aic = m * math.log(max(rss, 1e-300) / m) + 2 * X.shape[1]
        if aic < best_aic:
            best_p, best_aic = p, aic
    dep, X = _design(y, dy, best_p, best_p)
    beta, rss, inv = _ols(dep, X)
    m, k = X.shape
    sigma2 = rss / max(m - k, 1)
    crit = critical_value_5pct(m)
    if inv is None or sigma2 <= 1e-24 or inv[0, 0] <= 0:
        # an exact fit (a straight line, a noiseless pattern): decide by which naive
        # forecast fits the training rows better, the last value or the mean
        persist = float(np.mean(np.abs(np.diff(y))))
        mean_err = float(np.mean(np.abs(y)))
        trend = persist < mean_err
        return UnitRootTest(math.nan, crit, best_p, m, not trend,
                            "exact fit: the last value predicts the training rows better than "
                            "the mean" if trend else "exact fit around a constant mean")
    stat = float(beta[0] / math.sqrt(sigma2 * inv[0, 0]))
    stationary = stat < crit
    if stationary:
        why = (f"ADF {stat:.2f} < {crit:.2f} (5 %, {best_p} lags): the training rows look "
               "stationary around one mean")
    else:
        why = (f"ADF {stat:.2f} >= {crit:.2f} (5 %, {best_p} lags): the training rows do not "
               "stay around one mean (trend, unit root or level shift)")
    return UnitRootTest(stat, crit, best_p, m, stationary, why)
