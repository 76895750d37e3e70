"""Cost of a K-fold rolling-origin backtest against K single runs, measured in one process.

    python benchmarks/backtest_cost.py            # K = 3, 30 epochs
    python benchmarks/backtest_cost.py --folds 5 --epochs 20

The target: a backtest of K folds costs at most K x (one run) + 10 %. "One run" is what
``seqlab train FILE`` does with the same settings (probe each epoch, run files written); the
folds skip the probe and the files, which only serve watching a run. Epochs are fixed (no early
stopping) so both sides do the same number of passes; the later folds train on more rows than
the single run (their expanding window reaches further), which the ratio includes.

Printed, one ``name: value`` line each:
* backtest_vs_k_runs: backtest seconds / (K x one run's seconds)   (target <= 1.10)
* backtest_vs_k_runs_probe_off: the same against a run with the probe off and no files
* one_run_s, backtest_s: the seconds measured (median of the repetitions for one run)
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    y = 100 + 0.2 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, rows)
    path.write_text("month,y\n" + "".join(
        f"{2000 + i // 12}-{i % 12 + 1:02d},{v:.4f}\n" for i, v in enumerate(y)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--rows", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from seqlab.config import DataConfig, RunConfig, TrainConfig
    from seqlab.data import prepare, read_table
    from seqlab.training.backtest import backtest
    from seqlab.training.trainer import Trainer

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "series.csv"
        _csv(path, args.rows)
        cfg = RunConfig(data=DataConfig(path=str(path)),
                        train=TrainConfig(epochs=args.epochs, patience=0, threads=1,
                                          runs_dir=str(Path(tmp) / "runs")))

        def one_run(probe: bool) -> float:
            c = copy.deepcopy(cfg)
            if not probe:
                c.train.probe_every = 0
            t0 = time.perf_counter()
            # as `seqlab train` does: read and prepare, train, write the run directory
            prep = prepare(c.data, read_table(c.data.path))
            Trainer(c, prepared=prep, write_files=probe).run()
            return time.perf_counter() - t0

        one_run(False)  # warm-up: imports, torch's first-call costs
        runs = [one_run(True) for _ in range(args.repeats)]
        runs_off = [one_run(False) for _ in range(args.repeats)]
        t0 = time.perf_counter()
        result = backtest(copy.deepcopy(cfg), args.folds)
        bt = time.perf_counter() - t0
    one, off = statistics.median(runs), statistics.median(runs_off)
    print(f"one_run_s: {one:.3f}")
    print(f"one_run_probe_off_s: {off:.3f}")
    print(f"backtest_s: {bt:.3f}")
    print(f"folds: {result['completed']}")
    print(f"backtest_vs_k_runs: {bt / (args.folds * one):.3f}")
    print(f"backtest_vs_k_runs_probe_off: {bt / (args.folds * off):.3f}")


if __name__ == "__main__":
    main()
