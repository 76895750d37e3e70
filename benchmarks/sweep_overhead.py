"""Per-trial overhead of a sweep beyond the training itself.

    python benchmarks/sweep_overhead.py            # 3 rounds of a 6-run grid
    python benchmarks/sweep_overhead.py --quick    # 1 round

Each round runs the same six runs (RNN, LSTM, GRU x hidden 2, 4 on the airline sample, window
12, 3 epochs, no probe, one thread) twice in this process: once one by one in a plain loop
(``Trainer`` with the data prepared once, each run in its own directory), once as
``seqlab sweep`` runs them (``SweepRunner``: Optuna study in a journal file, grid points enqueued
and claimed, per-trial attributes and summaries stored, data prepared once). The two are
interleaved; the figure is the median over rounds of (sweep time - loop time) / runs.

Prints ``sweep_overhead_per_trial_s: X`` (goal <= 0.1) and ``sweep_time_ratio: sweep / loop``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rounds = 1 if args.quick else args.rounds

    from seqlab.config import RunConfig
    from seqlab.data import prepare
    from seqlab.training import sweep as sw
    from seqlab.training.trainer import Trainer

    base = RunConfig()
    base.data.path = str(ROOT / "sample_data" / "airline_passengers.csv")
    base.data.window = 12
    base.train.epochs = 3
    base.train.probe_every = 0
    base.train.threads = 1
    base.train.patience = 0
    params = [sw.parse_vary("model=rnn,lstm,gru"), sw.parse_vary("hidden=2,4")]
    points = sw.grid_points(params)
    n = len(points)

    def loop(root: Path) -> float:
        t0 = time.perf_counter()
        prepared = prepare(base.data)
        for i, point in enumerate(points):
            cfg = sw.apply_params(base, point)
            Trainer(cfg, prepared=prepared, run_dir=root / f"run{i}").run()
        return time.perf_counter() - t0

    def sweep(root: Path) -> float:
        cfg = sw.apply_params(base, {})
        cfg.train.runs_dir = str(root)
        t0 = time.perf_counter()
        spec = sw.make_spec(cfg, params)
        sweep_dir = sw.sweep_dir_for(spec, root)
        sw.save_spec(spec, sweep_dir)
        ran = sw.SweepRunner(spec, sweep_dir).run()
        elapsed = time.perf_counter() - t0
        assert len(ran) == n and all(o.state == "complete" for o in ran), ran
        return elapsed

    tmp = Path(tempfile.mkdtemp(prefix="seqlab-sweep-bench-"))
    try:
        loop(tmp / "warm")  # torch, oneDNN and Optuna imports out of the way
        sweep(tmp / "warm-sweep")
        overheads, ratios = [], []
        for r in range(rounds):
            order = (loop, sweep) if r % 2 == 0 else (sweep, loop)
            times = {}
            for fn in order:
                times[fn.__name__] = fn(tmp / f"{fn.__name__}{r}")
            overheads.append((times["sweep"] - times["loop"]) / n)
            ratios.append(times["sweep"] / times["loop"])
            print(f"round {r}: loop {times['loop']:.2f} s, sweep {times['sweep']:.2f} s "
                  f"for {n} runs", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"sweep_overhead_per_trial_s: {statistics.median(overheads):.4f}")
    print(f"sweep_time_ratio: {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
