"""The run record's costs: training with a follower tailing events.jsonl ÷ headless, and the
size of a run directory.

    python benchmarks/record.py                 # both figures
    python benchmarks/record.py --sizes-only    # run-directory size of a 200-epoch airline run
    python benchmarks/record.py --quick         # fewer epochs and rounds (a smoke run)

Figures (one ``name: value`` line each):
* follower_throughput_ratio: training samples/s of a run while another process follows its
  events.jsonl (``EventTail.read_new`` every 0.1 s, decoding every event, as an attached front
  end does) divided by the same run with nobody following. Rounds alternate headless and
  followed runs in this process; the median of the per-round ratios is printed (goal >= 0.9).
  A follower that draws (the lab attached) costs more than this; the lab's own benchmark
  measures that side.
* airline_200_dir_bytes: total bytes of a run directory after 200 epochs on the bundled airline
  sample with the default config (patience 0, so all 200 epochs run), and its parts:
  events_bytes, bytes_per_epoch (EpochEnd + Predictions + StepEnd lines of one epoch),
  bytes_per_probe (one ProbeSnapshot line), and the other files.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
AIRLINE = ROOT / "sample_data" / "airline_passengers.csv"

FOLLOWER = """
import sys, time
from seqlab.training.record import EventTail
tail = EventTail(sys.argv[1])
n = 0
while True:
    n += len(tail.read_new())
    time.sleep(0.1)
"""


def _airline_cfg(runs: Path, epochs: int, hidden: int = 32):  # type: ignore[no-untyped-def]
    from seqlab.config import DataConfig, RunConfig

    cfg = RunConfig(data=DataConfig(path=str(AIRLINE)))
    cfg.data.difference = True
    cfg.model.hidden_size = hidden
    cfg.train.epochs = epochs
    cfg.train.patience = 0
    cfg.train.runs_dir = str(runs)
    cfg.train.threads = 1  # leave the other core to the follower
    return cfg


def _throughput(cfg, run_dir: Path, follow: bool) -> float:  # type: ignore[no-untyped-def]
    from seqlab.training.events import EpochEnd
    from seqlab.training.trainer import Trainer

    follower = None
    if follow:
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        follower = subprocess.Popen([sys.executable, "-c", FOLLOWER, str(run_dir)], env=env)
        time.sleep(1.0)  # let it import and start polling before training begins
    last: list[float] = []

    def on_event(event: object) -> None:
        if isinstance(event, EpochEnd):
            last[:] = [event.samples_per_s]

    try:
        Trainer(cfg, callback=on_event, run_dir=run_dir).run()
    finally:
        if follower is not None:
            follower.kill()
            follower.wait(timeout=30)
    return last[0]


def bench_follower(rounds: int, epochs: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp())
    cfg = _airline_cfg(tmp / "runs", epochs)
    ratios = []
    for r in range(rounds):
        base = _throughput(cfg, tmp / f"h{r}", follow=False)
        followed = _throughput(cfg, tmp / f"f{r}", follow=True)
        ratios.append(followed / base)
    return {"follower_throughput_ratio": statistics.median(ratios),
            "follower_rounds": float(rounds)}


def bench_sizes(epochs: int) -> dict[str, float]:
    from seqlab.training.trainer import Trainer

    tmp = Path(tempfile.mkdtemp())
    run_dir = tmp / "run"
    Trainer(_airline_cfg(tmp / "runs", epochs), run_dir=run_dir).run()
    out: dict[str, float] = {}
    total = 0
    for p in sorted(run_dir.iterdir()):
        size = p.stat().st_size
        total += size
        out[f"file_{p.name}_bytes"] = float(size)
    kinds: dict[str, list[int]] = {}
    with open(run_dir / "events.jsonl", "rb") as fh:
        for line in fh:
            kinds.setdefault(json.loads(line)["type"], []).append(len(line))
    per_epoch = sum(sum(kinds.get(k, [])) for k in ("EpochEnd", "Predictions", "StepEnd"))
    out.update({
        f"airline_{epochs}_dir_bytes": float(total),
        "events_bytes": float((run_dir / "events.jsonl").stat().st_size),
        "bytes_per_epoch": per_epoch / epochs,
        "bytes_per_probe": statistics.mean(kinds.get("ProbeSnapshot", [0])),
        "probe_snapshots": float(len(kinds.get("ProbeSnapshot", []))),
        "step_events": float(len(kinds.get("StepEnd", []))),
    })
    for kind, sizes in sorted(kinds.items()):
        out[f"mean_bytes_{kind}"] = statistics.mean(sizes)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes-only", action="store_true")
    args = ap.parse_args()
    figures: dict[str, float] = {}
    figures.update(bench_sizes(20 if args.quick else 200))
    if not args.sizes_only:
        figures.update(bench_follower(1 if args.quick else 3, 10 if args.quick else 40))
    for k, v in figures.items():
        print(f"{k}: {v:.4g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
