"""Sweeps on Optuna: grid expansion, ranges, resuming, shared storage, pruning, the table."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from seqlab.config import RunConfig  # noqa: E402
from seqlab.errors import ConfigError  # noqa: E402
from seqlab.training import sweep as sw  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
AIRLINE = ROOT / "sample_data" / "airline_passengers.csv"


def tiny_config(tmp_path: Path, **train) -> RunConfig:
    cfg = RunConfig()
    cfg.data.path = str(AIRLINE)
    cfg.data.window = 12
    cfg.model.hidden_size = 2
    cfg.train.epochs = train.pop("epochs", 1)
    cfg.train.probe_every = 0
    cfg.train.threads = 1
    cfg.train.runs_dir = str(tmp_path / "runs")
    for k, v in train.items():
        setattr(cfg.train, k, v)
    return cfg


# ----------------------------------------------------------------------------- parsing
def test_vary_choices_are_typed_and_deduplicated() -> None:
    p = sw.parse_vary("model=RNN,lstm,gru,lstm")
    assert p.choices == ("rnn", "lstm", "gru")
    assert sw.parse_vary("hidden=1,2,32").choices == (1, 2, 32)
    assert sw.parse_vary("bi=yes,no").choices == (True, False)
    assert sw.parse_vary("lr=0.001,3e-3").choices == (0.001, 0.003)


def test_vary_ranges() -> None:
    lr = sw.parse_vary("lr=1e-4..1e-2:log")
    assert (lr.low, lr.high, lr.log, lr.integer) == (1e-4, 1e-2, True, False)
    hidden = sw.parse_vary("hidden=8..128:int")
    assert (hidden.low, hidden.high, hidden.log, hidden.integer) == (8, 128, False, True)
    assert sw.parse_vary("layers=1..3").integer  # an integer setting is an integer range


@pytest.mark.parametrize("spec, words", [
    ("colour=red", "cannot vary"),
    ("hidden", "name=a,b,c"),
    ("hidden=a,b", "whole number"),
    ("lr=1e-2..1e-4", "low < high"),
    ("lr=0..1e-2:log", "log range needs low > 0"),
    ("model=rnn..gru", "range needs a numeric"),
    ("hidden=1.5..8:int", "whole ends"),
    ("lr=1e-4..1e-2:cube", "unknown range flag"),
])
def test_vary_errors_are_one_clear_line(spec: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        sw.parse_vary(spec)


def test_grid_is_the_product_of_the_choices() -> None:
    params = [sw.parse_vary(s) for s in ("model=rnn,lstm,gru", "hidden=1,2,32", "layers=1,2")]
    points = sw.grid_points(params)
    assert len(points) == 18
    assert len({json.dumps(p, sort_keys=True) for p in points}) == 18
    assert {"model": "gru", "hidden": 32, "layers": 2} in points


def test_presets() -> None:
    course = sw.grid_points([], sw.COURSE_POINTS)
    shapes = {(p["model"], p["layers"], p["hidden"]) for p in course}
    assert shapes == {(c, lay, h) for c in ("rnn", "lstm", "gru")
                      for lay, h in ((1, 1), (1, 2), (2, 2))}
    cells = sw.grid_points([sw.parse_vary("hidden=8,16")], sw.CELLS_POINTS)
    assert len(cells) == 8
    assert {"model": "lstm", "bidirectional": True, "hidden": 16} in cells
    with pytest.raises(ConfigError, match="clashes with the preset"):
        sw.grid_points([sw.parse_vary("model=rnn")], sw.CELLS_POINTS)


def test_ranges_need_trials_and_points_are_validated(tmp_path: Path) -> None:
    cfg = tiny_config(tmp_path)
    with pytest.raises(ConfigError, match="--trials"):
        sw.make_spec(cfg, [sw.parse_vary("lr=1e-4..1e-2:log")])
    with pytest.raises(ConfigError, match="hidden size"):
        sw.make_spec(cfg, [sw.parse_vary("hidden=0,4")])
    with pytest.raises(ConfigError, match="nothing to sweep"):
        sw.make_spec(cfg, [])
    with pytest.raises(ConfigError, match="twice"):
        sw.make_spec(cfg, [sw.parse_vary("hidden=1"), sw.parse_vary("hidden=2")])


def test_the_same_command_names_the_same_study(tmp_path: Path) -> None:
    cfg = tiny_config(tmp_path)
    a = sw.make_spec(cfg, [sw.parse_vary("hidden=1,2")])
    b = sw.make_spec(tiny_config(tmp_path, threads=2), [sw.parse_vary("hidden=1,2")])
    c = sw.make_spec(cfg, [sw.parse_vary("hidden=1,3")])
    assert a.name == b.name != c.name
    tpe_small = sw.make_spec(cfg, [sw.parse_vary("lr=1e-4..1e-2:log")], trials=3)
    tpe_large = sw.make_spec(cfg, [sw.parse_vary("lr=1e-4..1e-2:log")], trials=9)
    assert tpe_small.name == tpe_large.name  # more trials continue the same study
    back = sw.SweepSpec.from_dict(json.loads(json.dumps(a.to_dict())))
    assert back.key() == a.key() and back.points == a.points


def test_devices_are_divided() -> None:
    assert sw.divide_devices(2, "cpu", 8, 0) == [("cpu", 4), ("cpu", 4)]
    assert sw.divide_devices(3, "auto", 2, 0) == [("auto", 1)] * 3
    assert [d for d, _ in sw.divide_devices(3, "cuda", 16, 2)] == ["cuda:0", "cuda:1", "cuda:0"]


# ----------------------------------------------------------------------------- running
def _complete_points(study) -> list[str]:
    return sorted(sw._point_key(sw._point_of(t)) for t in study.get_trials()
                  if t.state == optuna.trial.TrialState.COMPLETE)


def test_a_resumed_grid_continues_where_it_was_interrupted(tmp_path: Path) -> None:
    cfg = tiny_config(tmp_path, epochs=2)
    spec = sw.make_spec(cfg, [sw.parse_vary("hidden=1,2,3")])
    sweep_dir = sw.sweep_dir_for(spec, cfg.train.runs_dir)
    sw.save_spec(spec, sweep_dir)

    holder: dict[str, sw.SweepRunner] = {}

    def interrupt_second(number: int, event) -> None:
        from seqlab.training.events import EpochEnd

        if number == 1 and isinstance(event, EpochEnd):
            holder["r"].interrupt()  # as Ctrl-C does

    first = sw.SweepRunner(spec, sweep_dir, on_event=interrupt_second)
    holder["r"] = first
    ran = first.run()
    assert [o.state for o in ran] == ["complete", "interrupted"]
    done_dir = Path(ran[0].summary["run_dir"])
    stamp = (done_dir / "summary.json").stat().st_mtime_ns
    interrupted = json.loads((Path(ran[1].summary["run_dir"]) / "summary.json").read_text())
    assert interrupted["status"] == "stopped" and "interrupted" in interrupted["reason"]

    second = sw.SweepRunner(sw.load_spec(sweep_dir), sweep_dir)
    again = second.run()
    # the finished point is not trained again; the interrupted one and the rest are
    assert sorted(o.values["hidden"] for o in again) == sorted(
        {1, 2, 3} - {ran[0].values["hidden"]})
    assert all(o.number > 1 for o in again)
    assert (done_dir / "summary.json").stat().st_mtime_ns == stamp
    assert len(_complete_points(second.study)) == 3 == len(set(_complete_points(second.study)))
    assert second.run() == again  # nothing left: a third run trains nothing new


def test_a_study_of_more_trials_continues_the_earlier_ones(tmp_path: Path) -> None:
    cfg = tiny_config(tmp_path)
    params = [sw.parse_vary("lr=1e-3..1e-2:log")]
    spec = sw.make_spec(cfg, params, trials=2)
    sweep_dir = sw.sweep_dir_for(spec, cfg.train.runs_dir)
    assert len(sw.SweepRunner(spec, sweep_dir).run()) == 2
    more = sw.make_spec(cfg, params, trials=3)
    assert more.name == spec.name
    ran = sw.SweepRunner(more, sweep_dir).run()
    assert [o.number for o in ran] == [2]


def test_a_killed_workers_trial_is_run_again(tmp_path: Path) -> None:
    cfg = tiny_config(tmp_path)
    spec = sw.make_spec(cfg, [sw.parse_vary("hidden=1,2")])
    sweep_dir = sw.sweep_dir_for(spec, cfg.train.runs_dir)
    runner = sw.SweepRunner(spec, sweep_dir)
    runner._enqueue_missing()
    trial = runner._claim_grid_trial()
    # its worker was killed: a pid that has exited
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    runner.study._storage.set_trial_user_attr(
        trial._trial_id, "member", {"worker": {"host": socket.gethostname(), "pid": dead.pid,
                                               "proc_start": None}})
    later = sw.SweepRunner(spec, sweep_dir)
    ran = later.run()
    states = {t.number: t.state.name for t in later.study.get_trials()}
    assert states[trial.number] == "FAIL"
    assert sorted(o.values["hidden"] for o in ran) == [1, 2]


# A child that claims a grid point with a pause between reading the trial's state and writing
# RUNNING (inside Optuna's RDB storage), so two of them overlap there whatever the machine's load.
CLAIM_CHILD = """
import json, os, sys, time
from pathlib import Path
from optuna.storages._rdb import models
from seqlab.training import sweep as sw

read = models.TrialModel.find_or_raise_by_id.__func__

def slow(cls, trial_id, session, for_update=False):
    trial = read(cls, trial_id, session, for_update)
    if for_update:
        time.sleep(1.0)
    return trial

models.TrialModel.find_or_raise_by_id = classmethod(slow)
sweep_dir = Path(sys.argv[1])
runner = sw.SweepRunner(sw.load_spec(sweep_dir), sweep_dir)
(sweep_dir / f"ready-{os.getpid()}").touch()
while not (sweep_dir / "go").exists():
    time.sleep(0.01)
trial = runner._claim_grid_trial()
print(json.dumps(None if trial is None else trial.number), flush=True)
"""


def test_a_grid_point_is_claimed_once_when_two_processes_claim_it_at_once(
        tmp_path: Path) -> None:
    cfg = tiny_config(tmp_path)
    spec = sw.make_spec(cfg, [sw.parse_vary("hidden=1")], storage=f"sqlite:///{tmp_path}/s.db")
    sweep_dir = sw.sweep_dir_for(spec, cfg.train.runs_dir)
    sw.save_spec(spec, sweep_dir)
    sw.SweepRunner(spec, sweep_dir)._enqueue_missing()  # one waiting trial: trial 0
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [subprocess.Popen([sys.executable, "-c", CLAIM_CHILD, str(sweep_dir)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    try:
        deadline = time.monotonic() + 120
        while len(list(sweep_dir.glob("ready-*"))) < 2:  # both opened the study
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
            time.sleep(0.05)
        (sweep_dir / "go").touch()
        outs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], outs
    claimed = sorted((json.loads(out.strip()) for out, _ in outs), key=lambda n: n is None)
    assert claimed == [0, None], outs  # one process has the point; the other finds none left
    study = sw.open_study(spec, sweep_dir)
    states = {t.number: t.state.name for t in study.get_trials()}
    assert states[0] == "RUNNING"


def test_two_processes_on_one_storage_never_run_a_point_twice(tmp_path: Path) -> None:
    cfg = tiny_config(tmp_path)
    db = tmp_path / "shared.db"
    spec = sw.make_spec(cfg, [sw.parse_vary("hidden=1,2,3"), sw.parse_vary("layers=1,2")],
                        storage=f"sqlite:///{db}")
    sweep_dir = sw.sweep_dir_for(spec, cfg.train.runs_dir)
    sw.save_spec(spec, sweep_dir)
    # the database and its study exist before the two workers join it (as when a second machine
    # joins a running study); what is tested is that they never train the same point twice
    sw.open_study(spec, sweep_dir)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "seqlab.training.sweep", str(sweep_dir), "--threads", "1"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    ran = [json.loads(line) for out, _ in outs for line in out.splitlines() if line.strip()]
    keys = [sw._point_key(r["params"]) for r in ran]
    assert len(keys) == 6 and len(set(keys)) == 6, (keys, outs)  # each point once, overall
    assert all(r["state"] == "complete" for r in ran)
    study = sw.open_study(spec, sweep_dir)
    assert len(set(_complete_points(study))) == len(_complete_points(study)) == 6
    members = [d for d in sweep_dir.iterdir() if (d / "summary.json").is_file()]
    assert len(members) == 6


def test_pruning_stops_a_trial_whose_loss_is_poor(tmp_path: Path) -> None:
    cfg = tiny_config(tmp_path, epochs=4, patience=0)
    # levels: a model that barely moves stays a poor random start (a differenced model
    # would start as persistence, which is no poor forecast of the airline passengers)
    cfg.data.difference = "no"
    spec = sw.make_spec(cfg, [sw.parse_vary("lr=1e-6..1e-1:log")], trials=2,
                        prune_startup=1, prune_warmup=0)
    sweep_dir = sw.sweep_dir_for(spec, cfg.train.runs_dir)
    runner = sw.SweepRunner(spec, sweep_dir)
    runner.study.enqueue_trial({"lr": 1e-2})  # learns
    runner.study.enqueue_trial({"lr": 1e-6})  # barely moves: poor at every epoch
    good, poor = runner.run()
    assert good.state == "complete" and good.summary["epochs"] == 4
    assert poor.state == "pruned"
    assert poor.summary["epochs"] < 4
    assert poor.summary["status"] == "stopped" and "pruned" in poor.summary["reason"]
    rows = sw.trial_rows(runner.study)
    assert [r.state for r in rows] == ["complete", "pruned"]


def test_a_grid_is_never_pruned(tmp_path: Path) -> None:
    cfg = tiny_config(tmp_path)
    spec = sw.make_spec(cfg, [sw.parse_vary("lr=1e-2,1e-6")], prune_startup=0)
    assert not spec.prune


# ----------------------------------------------------------------------------- the table
def _render(renderable, width: int = 100) -> str:
    from rich.console import Console

    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None).print(renderable)
    return buf.getvalue()


def test_the_table_lists_trials_in_the_given_order_with_baselines() -> None:
    from seqlab.render.sweep import baseline_rows, sweep_table

    trials = [
        {"trial": 3, "state": "complete", "model": "GRU 1×2", "params": {"lr": 0.01},
         "n_params": 33, "epochs": 7, "seconds": 1.25, "val_loss": 0.01,
         "val": {"mae": 12.5}, "test": {"mae": 20.0}, "baseline_val": {"mae": 38.0},
         "baseline_test": {"mae": 45.1}, "snaive_val": {"mae": 30.0},
         "snaive_test": {"mae": 31.0}},  # the keys a run summary holds
        {"trial": 1, "state": "pruned", "model": "RNN 1×1", "params": {"lr": 1e-5},
         "n_params": 6, "epochs": 2, "seconds": 0.5, "val_loss": 2.5,
         "val": {"mae": 400.0}, "test": {"mae": 500.0}},
    ]
    assert set(baseline_rows(trials[0])) == {"persistence", "seasonal naive"}
    text = _render(sweep_table(trials))
    lines = [ln for ln in text.splitlines() if ln.strip()]
    first = next(i for i, ln in enumerate(lines) if "GRU 1×2" in ln)
    second = next(i for i, ln in enumerate(lines) if "RNN 1×1" in ln)
    assert first < second
    assert "pruned" in lines[second] and "0.01" in lines[first]
    assert any("persistence" in ln and "38.00" in ln and "45.10" in ln for ln in lines)
    assert any("seasonal naive" in ln and "30.00" in ln for ln in lines)
    assert "snaive" not in text


def test_the_cells_table_fits_80_columns_with_every_state_whole() -> None:
    from seqlab.render.sweep import sweep_table

    trials = []
    for number, (model, state) in enumerate([("LSTM 1×128 bi", "complete"),
                                             ("RNN 1×128", "running"), ("GRU 1×128", "pruned"),
                                             ("LSTM 1×128", "waiting"), ("GRU 2×64", "failed")]):
        trials.append({
            "trial": number + 10, "state": state, "model": model, "params": {},
            "n_params": 134_657, "epochs": 200, "seconds": 1234.5, "val_loss": 0.001234,
            "val": {"mae": 0.03081, "mase": 0.2}, "test": {"mae": 0.03081, "mase": 0.171},
            "baseline_val": {"mae": 0.1791}, "baseline_test": {"mae": 0.1791, "mase": 1.0},
            "snaive_val": {"mae": 0.2}, "snaive_test": {"mae": 0.21, "mase": 1.2},
            "gradients": {"loss_ratio": 2.7e3}})
    text = _render(sweep_table(trials, title="sweep-long_dependency-66b44d28 (5 trials)"),
                   width=80)
    lines = text.splitlines()
    assert all(len(ln.rstrip()) <= 80 for ln in lines)
    assert "…" not in text  # nothing cut
    for t in trials:
        row = next(ln for ln in lines if ln.lstrip().startswith(f"{t['trial']} "))
        assert t["model"] in row and row.rstrip().endswith(t["state"])
    assert sum(ln.rstrip().endswith(" baseline") for ln in lines) == 2
    assert any("seasonal naive" in ln and ln.rstrip().endswith("baseline") for ln in lines)


def test_the_sweep_command_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "seqlab", "sweep", str(AIRLINE), "--window", "12",
           "--epochs", "1", "--probe-every", "0", "--threads", "1",
           "--runs-dir", str(tmp_path / "runs"), "--vary", "model=rnn,gru", "--vary", "hidden=1",
           "--json"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    trials, summary = lines[:-1], lines[-1]
    assert summary["summary"] and summary["states"] == {"complete": 2}
    assert [t["val_loss"] for t in trials] == sorted(t["val_loss"] for t in trials)
    assert {t["model"] for t in trials} == {"RNN 1×1", "GRU 1×1"}
    for t in trials:  # every member is an ordinary run
        assert (Path(t["run_dir"]) / "config.toml").is_file()
        assert "baseline_val" in t
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert "resuming: 2 trial(s) already finished" in again.stderr
    bad = subprocess.run(cmd[:5] + ["--vary", "lr=1e-4..1e-2:log", "--runs-dir",
                                    str(tmp_path / "r2")],
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--trials" in bad.stderr


def test_jobs_run_trials_in_worker_processes(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "seqlab", "sweep", str(AIRLINE), "--window", "12",
           "--epochs", "1", "--probe-every", "0", "--hidden", "1", "--device", "cpu",
           "--runs-dir", str(tmp_path / "runs"), "--vary", "model=rnn,gru",
           "--vary", "layers=1,2", "--jobs", "2", "--json"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    per = max(1, len(os.sched_getaffinity(0)) // 2)  # the cores divided between the workers
    assert f"2 workers: cpu × {per} threads, cpu × {per} threads" in out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert lines[-1]["states"] == {"complete": 4}
    sweep_dir = Path(lines[-1]["sweep_dir"])
    logs = sorted(p.name for p in sweep_dir.glob("worker-*.log"))
    assert logs == ["worker-0.log", "worker-1.log"]
    ran = [json.loads(x) for p in sweep_dir.glob("worker-*.log")
           for x in p.read_text().splitlines() if x.startswith("{")]
    # each grid point trained by exactly one worker, once (both workers enqueue the grid at
    # start; a duplicate trial is given back unrun)
    points = sorted(sw._point_key(r["params"]) for r in ran)
    assert len(points) == 4 == len(set(points)), ran
    assert len({r["trial"] for r in ran}) == 4
    members = [d for d in sweep_dir.iterdir() if (d / "summary.json").is_file()]
    assert len(members) == 4
