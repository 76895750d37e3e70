"""seqlab's engine benchmarks: each figure is a ratio against a baseline run in the same process.

    python benchmarks/run.py            # all figures, one `name: value` line each
    python benchmarks/run.py --quick    # fewer repetitions (a smoke run)

Figures:
* trainer_vs_loop_probe_off / _probe_each_epoch: training throughput (samples/s) of seqlab's
  Trainer divided by a minimal hand-written PyTorch loop (Adam, MSE, the same gradient clipping,
  one validation pass per epoch) on the same windows, model (LSTM 2x64), window 48 and batch
  size; the two are interleaved, and the median of the per-round ratios is reported.
* windowing_extra_peak_ratio: extra peak memory of windowing 1,000,000 rows x 8 features with
  window 168, divided by the float32 data's size (tracemalloc; target <= 0.5);
  prepare_extra_peak_ratio: the same for the whole of ``prepare`` (train-only scaling into one
  float32 array, windows, split) on that data read from a CSV.
* windowing_speedup_vs_fancy_index: time of numpy fancy-index windowing / seqlab's windowing.
* help_time_ratio: wall time of `seqlab --help` / `python -c pass` (subprocesses, median of 5).
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _series_csv(path: Path, rows: int, features: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    cols = [np.sin(2 * np.pi * t / (12 + 5 * k)) + 0.1 * rng.standard_normal(rows) for k in range(features)]
    header = ",".join(["step"] + [f"x{k}" for k in range(features)])
    body = "\n".join(
        ",".join([str(i)] + [f"{c[i]:.5f}" for c in cols]) for i in range(rows)
    )
    path.write_text(header + "\n" + body + "\n", encoding="utf-8")


def bench_trainer(rounds: int, epochs: int) -> dict[str, float]:
    import torch
    from torch import nn

    from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
    from seqlab.data import prepare
    from seqlab.models import build_model
    from seqlab.training.trainer import Trainer, size_threads

    size_threads(0)
    tmp = Path(tempfile.mkdtemp())
    csv = tmp / "bench.csv"
    _series_csv(csv, rows=6000, features=4)
    data = DataConfig(path=str(csv), target="x0", window=48)
    prepared = prepare(data)
    model_cfg = ModelConfig(cell="lstm", hidden_size=64, num_layers=2)
    bs = 64

    def seqlab_run(probe_every: int) -> float:
        """Samples/s the trainer reports over its epochs (training, validation, probes, events;
        not the one-off model build or the final test pass and file writing)."""
        from seqlab.training.events import EpochEnd

        cfg = RunConfig(
            data=data,
            model=model_cfg,
            train=TrainConfig(epochs=epochs, batch_size=bs, patience=0, probe_every=probe_every,
                              runs_dir=str(tmp / "runs")),
        )
        ends: list[EpochEnd] = []
        Trainer(cfg, prepared=prepared, write_files=False,
                callback=lambda e: ends.append(e) if isinstance(e, EpochEnd) else None).run()
        return ends[-1].samples_per_s

    # the baseline: what a person writes by hand, on materialised windows
    x_train = torch.from_numpy(np.array(prepared.train.X))
    y_train = torch.from_numpy(np.array(prepared.train.y))
    x_val = torch.from_numpy(np.array(prepared.val.X))
    y_val = torch.from_numpy(np.array(prepared.val.y))

    def hand_loop() -> float:
        torch.manual_seed(0)
        model = build_model(prepared.n_features, prepared.horizon, model_cfg)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.MSELoss()
        n = x_train.shape[0]
        t0 = time.perf_counter()
        for _ in range(epochs):
            model.train()
            perm = torch.randperm(n)
            for s in range(0, n, bs):
                idx = perm[s : s + bs]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(x_train[idx]), y_train[idx])
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                loss.item()
            model.eval()
            with torch.no_grad():
                for s in range(0, x_val.shape[0], 256):
                    loss_fn(model(x_val[s : s + 256]), y_val[s : s + 256]).item()
        return epochs * n / (time.perf_counter() - t0)

    hand_loop()  # warm-up (allocator, oneDNN kernels)
    off, on = [], []
    for _ in range(rounds):
        base = hand_loop()
        off.append(seqlab_run(0) / base)
        base = hand_loop()
        on.append(seqlab_run(1) / base)
    return {
        "trainer_vs_loop_probe_off": statistics.median(off),
        "trainer_vs_loop_probe_each_epoch": statistics.median(on),
        "trainer_train_windows": float(prepared.train.X.shape[0]),
    }


def bench_windowing(rows: int = 1_000_000, features: int = 8, window: int = 168) -> dict[str, float]:
    from seqlab.data.windows import input_windows

    rng = np.random.default_rng(0)
    data = rng.standard_normal((rows, features), dtype=np.float32)
    nbytes = data.nbytes

    tracemalloc.start()
    t0 = time.perf_counter()
    win = input_windows(data, window)
    checksum = float(win[::997, -1, 0].sum())  # touch the windows
    t_view = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert win.shape == (rows - window + 1, window, features), win.shape
    del checksum

    # fancy-index windowing, the usual tutorial code, on a slice to keep memory sane
    sub = 50_000
    t0 = time.perf_counter()
    idx = np.arange(sub - window + 1)[:, None] + np.arange(window)[None, :]
    fancy = data[:sub][idx]
    t_fancy = (time.perf_counter() - t0) * (rows / sub)  # scaled to the full size
    del fancy
    # the whole course pipeline on the same data: scaling fit on train rows + windows + split
    import pandas as pd

    from seqlab.config import DataConfig
    from seqlab.data import prepare, read_table

    tmp = Path(tempfile.mkdtemp())
    csv = tmp / "big.csv"
    pd.DataFrame(data, columns=[f"x{k}" for k in range(features)]).to_csv(csv, index=False)
    table = read_table(csv)
    tracemalloc.start()
    t0 = time.perf_counter()
    prep = prepare(DataConfig(path=str(csv), target="x0", window=window), table)
    t_prepare = time.perf_counter() - t0
    _, peak_prepare = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert prep.train.X.shape[1:] == (window, features)
    csv.unlink()
    return {
        "windowing_extra_peak_ratio": peak / nbytes,
        "prepare_extra_peak_ratio": peak_prepare / nbytes,
        "prepare_seconds_1M_rows": t_prepare,
        "windowing_speedup_vs_fancy_index": t_fancy / max(t_view, 1e-9),
    }


def bench_help(repeats: int = 5) -> dict[str, float]:
    def wall(cmd: list[str]) -> float:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    bare = wall([sys.executable, "-c", "pass"])
    help_ = wall([sys.executable, "-m", "seqlab", "--help"])
    return {"help_seconds": help_, "python_pass_seconds": bare, "help_time_ratio": help_ / bare}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results: dict[str, float] = {}
    results.update(bench_help(3 if args.quick else 5))
    results.update(bench_windowing())
    results.update(bench_trainer(rounds=1 if args.quick else 3, epochs=1 if args.quick else 3))
    for name, value in results.items():
        print(f"{name}: {value:.4g}" if math.isfinite(value) else f"{name}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
