"""How much a generated trend or level shift leaves to gain over persistence: two reference
forecasts on the same draws as ``forecast_quality.py --seeds``, scored on the last 15 % of the
rows (seqlab's default test split; its window edges move it by a row or two).

    python benchmarks/forecast_references.py --seeds 11-40

- *known process*: knows the true mean path and the noise's AR(1) coefficient and forecasts
  ``mean[t+1] + phi * (y[t] - mean[t])``, the best one-step forecast there is;
- *linear AR*: a ridge regression (lambda 1) of the next change on the 24-step window
  expressed relative to its last value, fitted on the training rows (what a simple learned
  forecast from the same window gets).

Per generator: how often each beats persistence on test MAE, and the median / worst ratio of
its test MAE to persistence's. Numpy only: it takes a second.
"""

from __future__ import annotations

import argparse

import numpy as np
from forecast_quality import _seeds, generated, known_process

WINDOW = 24
SPLIT = (0.7, 0.15)  # seqlab's default train and validation fractions


def ratios(y: np.ndarray, mean: np.ndarray, phi: float) -> tuple[float, float]:
    """(known process, linear AR): test MAE / persistence's test MAE."""
    n = len(y)
    n_train = int(n * SPLIT[0])
    test0 = n_train + int(n * SPLIT[1])
    rows = np.arange(WINDOW, n)  # the forecast row t: from y[t-WINDOW .. t-1]
    last = y[rows - 1]
    actual = y[rows]
    persistence = np.abs(actual - last)
    test = rows >= test0
    known = mean[rows] + phi * (last - mean[rows - 1])
    x = np.stack([y[t - WINDOW: t] - y[t - 1] for t in rows])
    x = np.hstack([x, np.ones((len(rows), 1))])
    fit = rows < n_train
    a = x[fit]
    w = np.linalg.solve(a.T @ a + np.eye(a.shape[1]), a.T @ (actual - last)[fit])
    linear = last + x @ w
    base = float(np.mean(persistence[test]))
    return (float(np.mean(np.abs(actual - known)[test])) / base,
            float(np.mean(np.abs(actual - linear)[test])) / base)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="11-40", help="e.g. 11-40 or 1,5,9")
    seeds = _seeds(ap.parse_args().seeds)
    print(f"{'generator':<17} {'reference':<14} {'wins':>7} {'median':>7} {'worst':>6}")
    for name, (mean, phi) in known_process().items():
        got = np.array([ratios(generated(s)[name][0], mean, phi) for s in seeds])
        for col, ref in enumerate(("known process", "linear AR")):
            r = got[:, col]
            print(f"{name:<17} {ref:<14} {int(np.sum(r < 1)):>3}/{len(r):<3} "
                  f"{np.median(r):>7.3f} {np.max(r):>6.3f}")
    print("(ratio: test MAE / persistence's test MAE over the draws; below 1 beats it)")


if __name__ == "__main__":
    main()
