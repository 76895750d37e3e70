"""Time from opening the lab on a live run (`seqlab attach RUN`) to its first drawn loss curve.

A real run (GRU 8 on the airline sample, no early stop) trains detached until it has logged
``--epochs`` epochs (default 200) with a probe snapshot each; then a fresh lab process is
started on it ``--repeats`` times. Each prints how long it took from the process start to the
frame that shows the loss curves of all logged epochs. The baseline, measured the same way in
this run, is a bare Textual app's first frame. Goal: at most 1 s.

    python benchmarks/attach_latency.py [--epochs 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

ATTACH = r"""
import sys, time
t0 = float(sys.argv[1])
run_dir, need = sys.argv[2], int(sys.argv[3])
from seqlab.tui.app import SeqlabApp

class Timed(SeqlabApp):
    def on_mount(self):  # Textual also runs SeqlabApp.on_mount (handlers follow the MRO)
        # the moment measured: the end of the first screen update whose plot holds every epoch
        screen = self.screen
        paint = screen._compositor_refresh
        def timed_paint():
            paint()
            if not self._done and self._curves_set():
                self._done = True
                print(time.time() - t0, flush=True)
                self.call_later(self._quit)
        self._done = False
        screen._compositor_refresh = timed_paint
    def _curves_set(self):
        if not self.views.train.ready:
            return False  # its widgets mount just after the first frame
        data = self.views.train.query_one("#loss-plot").data or {}
        return any(s.name == "val" and len(s.x) >= need for s in data.get("series") or [])
    def _quit(self):
        self.runs.let_go_all()
        self.exit()
Timed(runs_dir=sys.argv[4], load_default=False, attach=run_dir).run(headless=True)
"""

BARE = r"""
import sys, time
t0 = float(sys.argv[1])
from textual.app import App
from textual.widgets import Footer, Header

class Bare(App):
    def compose(self):
        yield Header()
        yield Footer()
    def on_mount(self):
        self.call_after_refresh(self._done)
    def _done(self):
        print(time.time() - t0, flush=True)
        self.exit()

Bare().run(headless=True)
"""


def timed(code: str, *args: str) -> float:
    out = subprocess.run([sys.executable, "-c", code, repr(time.time()), *args],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        raise SystemExit(f"benchmark child failed: {out.stderr[-800:]}")
    return float(lines[-1])


def main() -> None:
    from _installed import compile_seqlab

    compile_seqlab()  # time the lab as installed: from compiled bytecode
    from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
    from seqlab.training import record
    from seqlab.training.control import ControlClient

    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        run_dir = runs / "bench-run"
        run_dir.mkdir(parents=True)
        cfg = RunConfig(
            data=DataConfig(path=str(REPO / "sample_data" / "airline_passengers.csv"),
                            target="passengers", window=12, difference=True),
            model=ModelConfig(cell="gru", hidden_size=8),
            train=TrainConfig(epochs=100_000, patience=0, runs_dir=str(runs), threads=1),
        )
        (run_dir / "config.toml").write_text(cfg.to_toml(), encoding="utf-8")
        record.start_detached(run_dir / "config.toml", run_dir)
        try:
            t_start = time.monotonic()
            while True:
                st = record.read_state(run_dir)
                if st is not None and st.epoch >= args.epochs:
                    break
                if st is not None and not st.live:
                    raise SystemExit(f"the run ended early: {st.status}")
                if time.monotonic() - t_start > 900:
                    raise SystemExit("the run did not log enough epochs in 15 minutes")
                time.sleep(0.5)
            ControlClient.for_run(run_dir).pause()  # a fixed log while the lab opens
            size = (run_dir / "events.jsonl").stat().st_size
            epochs = record.read_state(run_dir).epoch  # type: ignore[union-attr]
            bare = statistics.median(timed(BARE) for _ in range(args.repeats))
            attach = [timed(ATTACH, str(run_dir), str(epochs), str(runs))
                      for _ in range(args.repeats)]
        finally:
            st = record.read_state(run_dir)
            if st is not None and st.live:
                ControlClient.for_run(run_dir).stop()
                while (st := record.read_state(run_dir)) is not None and st.live:
                    time.sleep(0.2)  # the run writes its files before it ends
    med = statistics.median(attach)
    print(f"epochs logged: {epochs} (events.jsonl {size / 1e6:.2f} MB)")
    print(f"attach -> first drawn loss curve: median {med:.3f} s "
          f"(runs: {', '.join(f'{t:.3f}' for t in attach)})")
    print(f"bare Textual app (header + footer) first frame: median {bare:.3f} s")
    print(f"ratio attach / bare first frame: {med / bare:.2f}x")
    print(f"goal attach <= 1 s: {'met' if med <= 1.0 else 'not met'}")


if __name__ == "__main__":
    main()
