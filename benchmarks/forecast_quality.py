"""The defaults against the naive forecasts: every bundled sample and generated series with a
trend, a seasonal cycle, a level shift and values near zero (none of them used to choose the
defaults). For each: the auto differencing choice, test MAE and MASE of the model beside
persistence and seasonal naive, and the split-conformal intervals' test coverage.

    python benchmarks/forecast_quality.py                 # everything (slow on 2 cores)
    python benchmarks/forecast_quality.py --only trend,seasonal
    python benchmarks/forecast_quality.py --json out.json
    python benchmarks/forecast_quality.py --seeds 11-20      # generated series over 10 seeds
    python benchmarks/forecast_quality.py --seeds 11-20 --set data.difference=no

Settings are seqlab's defaults (``seqlab train FILE``), except ``--threads 1`` and the probe
off (it watches a run, it does not change its numbers), so the figures are what a user gets.
``--set section.key=value`` changes one setting, to compare a default with an alternative.

One generated series is one draw of its noise: a single seed can win or lose by chance. With
``--seeds`` the generated series are drawn once per seed and the summary gives, per generator,
how often the model beats persistence on test MAE (and how often it is persistence: a
differenced run whose training never beat its starting point on validation keeps it), the
median and worst ratio of the model's test MAE to persistence's, and the median interval
coverage.
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


def known_process(n: int = 300) -> dict[str, tuple[np.ndarray, float]]:
    """name -> (the mean path, the AR(1) coefficient of the noise around it) of the generated
    series whose noise is autocorrelated: what a forecast knowing the true process uses."""
    t = np.arange(n, dtype=float)
    shift = np.where(t < 0.4 * n, 100.0, np.where(t < 0.8 * n, 130.0, 115.0))
    return {"gen/trend": (50 + 0.8 * t, 0.6), "gen/level_shift": (shift, 0.5)}


def generated(seed: int = 11, n: int = 300) -> dict[str, tuple[np.ndarray, str]]:
    """name -> (values, time kind): monthly labels unless said otherwise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    known = known_process(n)
    trend, trend_phi = known["gen/trend"]
    shift, shift_phi = known["gen/level_shift"]
    return {
        "gen/trend": (trend + _ar(rng, n, trend_phi, 3.0), "month"),
        "gen/seasonal": (100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, n), "month"),
        "gen/level_shift": (shift + _ar(rng, n, shift_phi, 3.0), "day"),
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


def _apply(cfg: object, settings: list[str]) -> None:
    """``section.key=value`` (TOML value syntax, bare words as strings) onto a RunConfig."""
    import tomllib

    for item in settings:
        key, _, raw = item.partition("=")
        section, _, name = key.strip().partition(".")
        part = getattr(cfg, section, None)
        if part is None or not hasattr(part, name):
            raise SystemExit(f"--set {item}: no setting {key!r} (e.g. data.difference=no)")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        setattr(part, name, value)


def evaluate(path: Path, target: str | None, settings: list[str] | None = None
             ) -> dict[str, object]:
    from seqlab.config import RunConfig
    from seqlab.training.trainer import Trainer

    cfg = RunConfig()
    cfg.data.path = str(path)
    cfg.data.target = target
    cfg.train.threads = 1
    cfg.train.probe_every = 0
    _apply(cfg, settings or [])
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


def _seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b) + 1) if b else [int(a)])
    return out


def _line(name: str, r: dict[str, object]) -> str:
    beats = ("beats both" if r["model_mae"] < min(r["persistence_mae"], r["snaive_mae"])
             else "beats persistence" if r["model_mae"] < r["persistence_mae"]
             else "is persistence" if _ties(r) else "LOSES")
    return (f"{name}: diff={r['difference']} season={r['season']} epochs={r['epochs']} "
            f"MAE model {r['model_mae']:.4g} persistence {r['persistence_mae']:.4g} "
            f"snaive {r['snaive_mae']:.4g} | MASE model {r['model_mase']:.3f} "
            f"persistence {r['persistence_mase']:.3f} snaive {r['snaive_mase']:.3f} | "
            f"coverage80 {r['coverage80']:.2f} coverage95 {r['coverage95']:.2f} | "
            f"{beats} | {r['seconds']:.0f}s")


def _ties(r: dict[str, object]) -> bool:
    """The model's forecasts are persistence's (a differenced run that kept its start)."""
    return bool(abs(float(r["model_mae"]) - float(r["persistence_mae"]))
                <= 1e-9 * abs(float(r["persistence_mae"])))


def summarize(rows: dict[str, dict[str, object]]) -> dict[str, dict[str, float]]:
    """Per generator over seeds: wins against persistence, ratio model/persistence MAE."""
    groups: dict[str, list[dict[str, object]]] = {}
    for key, r in rows.items():
        groups.setdefault(key.rsplit("@", 1)[0], []).append(r)
    out: dict[str, dict[str, float]] = {}
    for name, rs in groups.items():
        ratio = np.array([float(r["model_mae"]) / float(r["persistence_mae"]) for r in rs])
        out[name] = {
            "runs": len(rs),
            "wins": int(np.sum(ratio < 1)),
            "ties": int(sum(_ties(r) for r in rs)),
            "wins_snaive": int(sum(float(r["model_mae"]) < float(r["snaive_mae"]) for r in rs)),
            "median_ratio": float(np.median(ratio)),
            "worst_ratio": float(np.max(ratio)),
            "best_ratio": float(np.min(ratio)),
            "differenced": int(sum(bool(r["difference"]) for r in rs)),
            "coverage80": float(np.median([float(r["coverage80"]) for r in rs])),
            "coverage95": float(np.median([float(r["coverage95"]) for r in rs])),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="comma-separated names (default: all)")
    ap.add_argument("--json", default="", help="also write the rows to this file")
    ap.add_argument("--seeds", default="",
                    help="generated series only, drawn with each seed: e.g. 11-20 or 1,5,9")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="change one setting (repeatable), e.g. data.difference=no")
    args = ap.parse_args()
    only = {x for x in args.only.split(",") if x}
    rows: dict[str, dict[str, object]] = {}
    if args.set:
        print("settings changed from the defaults: " + ", ".join(args.set), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        cases: dict[str, tuple[Path, str | None]] = {} if args.seeds else dict(BUNDLED)
        for seed in _seeds(args.seeds) if args.seeds else [11]:
            for name, (y, kind) in generated(seed).items():
                key = f"{name}@{seed}" if args.seeds else name
                p = Path(tmp) / (key.replace("/", "_").replace("@", "_") + ".csv")
                _write(p, y, kind)
                cases[key] = (p, None)
        for name, (path, target) in cases.items():
            if only and not any(o in name for o in only):
                continue
            r = evaluate(path, target, args.set)
            rows[name] = r
            print(_line(name, r), flush=True)
    summary = summarize(rows) if args.seeds else {}
    if summary:
        print(f"\nover seeds {args.seeds}: test MAE of the model against persistence")
        print(f"{'generator':<20} {'wins':>7} {'ties':>4} {'vs snaive':>9} {'median':>7} "
              f"{'best':>6} {'worst':>6} {'diff':>5} {'cov80':>6} {'cov95':>6}")
        for name, s in summary.items():
            print(f"{name:<20} {s['wins']:>3}/{s['runs']:<3} {s['ties']:>4}"
                  f" {s['wins_snaive']:>5}/{s['runs']:<3}"
                  f" {s['median_ratio']:>7.3f} {s['best_ratio']:>6.3f} {s['worst_ratio']:>6.3f}"
                  f" {s['differenced']:>2}/{s['runs']:<2} {s['coverage80']:>6.2f}"
                  f" {s['coverage95']:>6.2f}")
        print("(median/best/worst: model MAE / persistence MAE, below 1 beats it; ties: runs "
              "whose training never beat the persistence forecast it started from on "
              "validation, so kept it; diff: runs that modelled changes; cov: median test "
              "coverage of the 80 %/95 % intervals)")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "summary": summary} if summary
                                              else rows, indent=2))


if __name__ == "__main__":
    main()
