"""The defaults against the naive forecasts: every bundled sample and generated series with a
trend, a seasonal cycle, a level shift and values near zero (none of them used to choose the
defaults). For each: the auto differencing choice, test MAE and MASE of the model beside
persistence and seasonal naive, and the split-conformal intervals' test coverage.

    python benchmarks/forecast_quality.py                 # everything (slow on 2 cores)
    python benchmarks/forecast_quality.py --only trend,seasonal
    python benchmarks/forecast_quality.py --json out.json

Settings are seqlab's defaults (``seqlab train FILE``), except ``--threads 1`` and the probe
off (it watches a run, it does not change its numbers), so the figures are what a user gets.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "sample_data"

BUNDLED = {
    "airline_passengers": (SAMPLES / "airline_passengers.csv", None),
    "sunspots_yearly": (SAMPLES / "sunspots_yearly.csv", None),
    "us_macro_quarterly/infl": (SAMPLES / "us_macro_quarterly.csv", "infl"),
    "long_dependency/target": (SAMPLES / "long_dependency.csv", "target"),
}


def _ar(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    e = rng.normal(0, sd, n)
    out = np.empty(n)
    out[0] = e[0]
    for t in range(1, n):
        out[t] = phi * out[t - 1] + e[t]
    return out


def generated(seed: int = 11, n: int = 300) -> dict[str, tuple[np.ndarray, str]]:
    """name -> (values, time kind): monthly labels unless said otherwise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    shift = np.where(t < 0.4 * n, 100.0, np.where(t < 0.8 * n, 130.0, 115.0))
    return {
        "gen/trend": (50 + 0.8 * t + _ar(rng, n, 0.6, 3.0), "month"),
        "gen/seasonal": (100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, n), "month"),
        "gen/level_shift": (shift + _ar(rng, n, 0.5, 3.0), "day"),
        "gen/near_zero": (0.5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.3, n), "day"),
        "gen/trend_seasonal": ((100 + 0.5 * t) * (1 + 0.15 * np.sin(2 * np.pi * t / 12))
                               + rng.normal(0, 2, n), "month"),
        "gen/random_walk": (200 + np.cumsum(rng.normal(0, 1, n)), "day"),
    }


def _write(path: Path, y: np.ndarray, kind: str) -> None:
    if kind == "month":
        labels = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(len(y))]
        head = "month,y"
    else:
        days = np.datetime64("2020-01-01") + np.arange(len(y))
        labels = [str(d) for d in days]
        head = "date,y"
    path.write_text(head + "\n" + "".join(f"{a},{v:.6f}\n" for a, v in zip(labels, y,
                                                                           strict=True)))


def evaluate(path: Path, target: str | None) -> dict[str, object]:
    from seqlab.config import RunConfig
    from seqlab.training.trainer import Trainer

    cfg = RunConfig()
    cfg.data.path = str(path)
    cfg.data.target = target
    cfg.train.threads = 1
    cfg.train.probe_every = 0
    t0 = time.perf_counter()
    end = Trainer(cfg, write_files=False).run()
    s = end.summary
    iv = s.get("intervals") or {}
    return {
        "difference": s.get("difference"),
        "reason": s.get("difference_reason"),
        "season": s.get("season"),
        "epochs": end.epochs,
        "model_mae": s["test"].get("mae"), "model_mase": s["test"].get("mase"),
        "persistence_mae": s["baseline_test"].get("mae"),
        "persistence_mase": s["baseline_test"].get("mase"),
        "snaive_mae": s["snaive_test"].get("mae"), "snaive_mase": s["snaive_test"].get("mase"),
        "mape_reliable": s["test"].get("mape_reliable"),
        "coverage80": (iv.get("80") or {}).get("coverage_test"),
        "coverage95": (iv.get("95") or {}).get("coverage_test"),
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="comma-separated names (default: all)")
    ap.add_argument("--json", default="", help="also write the rows to this file")
    args = ap.parse_args()
    only = {x for x in args.only.split(",") if x}
    rows: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cases: dict[str, tuple[Path, str | None]] = dict(BUNDLED)
        for name, (y, kind) in generated().items():
            p = Path(tmp) / (name.replace("/", "_") + ".csv")
            _write(p, y, kind)
            cases[name] = (p, None)
        for name, (path, target) in cases.items():
            if only and not any(o in name for o in only):
                continue
            r = evaluate(path, target)
            rows[name] = r
            beats = ("beats both" if r["model_mae"] < min(r["persistence_mae"], r["snaive_mae"])
                     else "LOSES")
            print(f"{name}: diff={r['difference']} season={r['season']} epochs={r['epochs']} "
                  f"MAE model {r['model_mae']:.4g} persistence {r['persistence_mae']:.4g} "
                  f"snaive {r['snaive_mae']:.4g} | MASE model {r['model_mase']:.3f} "
                  f"persistence {r['persistence_mase']:.3f} snaive {r['snaive_mase']:.3f} | "
                  f"coverage80 {r['coverage80']:.2f} coverage95 {r['coverage95']:.2f} | "
                  f"{beats} | {r['seconds']:.0f}s", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
