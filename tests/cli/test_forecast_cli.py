"""End to end: the differencing flag, baselines in the report, long format, backtests and
re-running a config from another folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data"
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "100", "PYTHONPATH": str(ROOT)}
TINY = ["--epochs", "2", "--hidden", "4", "--threads", "1", "--probe-every", "0"]


def seqlab(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seqlab", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL)


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_report_has_both_baselines_intervals_and_auto_reason(tmp_path: Path) -> None:
    r = seqlab("train", str(SAMPLES / "airline_passengers.csv"), *TINY, "--horizon", "2",
               "--runs-dir", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    res = last_json(r.stdout)
    assert res["difference"] is True and "ADF" in res["difference_reason"]
    assert res["season"] == 12
    for key in ("test", "baseline_test", "snaive_test"):
        assert {"mae", "rmse", "mape", "smape", "mase"} <= set(res[key])
    assert len(res["test_by_step"]) == 2
    assert set(res["intervals"]) == {"80", "95"}
    assert "seasonal naive test" in r.stderr and "MASE" in r.stderr
    assert "test coverage" in r.stderr and "forecasting changes (differenced)" in r.stderr
    header = (Path(res["run_dir"]) / "predictions.csv").read_text().splitlines()[0]
    assert header == "label,split,step,actual,predicted,baseline,snaive,lo80,hi80,lo95,hi95"


def test_old_difference_switch_still_works(tmp_path: Path) -> None:
    csv = str(SAMPLES / "sunspots_yearly.csv")
    for args in (["--difference", csv], [csv, "--difference"], [csv, "--difference", "no"]):
        r = seqlab("train", *args, *TINY, "--runs-dir", str(tmp_path), "--json")
        assert r.returncode == 0, r.stderr
        assert last_json(r.stdout)["difference"] is (args[-1] != "no")


def test_long_format_named_and_series_id(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = ["date,store,sales"]
    for d in range(120):
        for s in range(3):
            rows.append(f"2021-{1 + d // 28:02d}-{1 + d % 28:02d},S{s},"
                        f"{100 * (s + 1) + 10 * np.sin(d / 3) + rng.normal():.3f}")
    p = tmp_path / "stores.csv"
    p.write_text("\n".join(rows) + "\n")
    r = seqlab("train", str(p), *TINY, "--runs-dir", str(tmp_path))
    assert r.returncode == 2 and "--series-id store" in r.stderr and "long format" in r.stderr
    r = seqlab("train", str(p), "--series-id", "store", "--window", "7", *TINY, "--runs-dir",
               str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    res = last_json(r.stdout)
    assert set(res["test_by_series"]) == {"S0", "S1", "S2"}
    r = seqlab("train", str(p), "--aggregate", "mean", "--window", "7", *TINY, "--runs-dir",
               str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr


def test_backtest_json(tmp_path: Path) -> None:
    r = seqlab("backtest", str(SAMPLES / "airline_passengers.csv"), "--folds", "2",
               "--window", "12", *TINY, "--json")
    assert r.returncode == 0, r.stderr
    res = last_json(r.stdout)
    assert res["completed"] == 2 and len(res["folds"]) == 2
    assert {"model", "persistence", "seasonal_naive"} <= set(res["mean"])
    assert "backtest: test metrics per fold" in r.stderr


def test_config_reruns_from_another_folder(tmp_path: Path) -> None:
    data = tmp_path / "data" / "air.csv"
    data.parent.mkdir()
    data.write_bytes((SAMPLES / "airline_passengers.csv").read_bytes())
    work = tmp_path / "work"
    work.mkdir()
    r = seqlab("train", "data/air.csv", *TINY, "--runs-dir", "runs", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    run = tmp_path / last_json(r.stdout)["run_dir"]
    first = last_json(r.stdout)
    again = seqlab("train", "--config", str(run / "config.toml"), "--runs-dir", "runs",
                   "--json", cwd=work)
    assert again.returncode == 0, again.stderr
    assert last_json(again.stdout)["test"] == first["test"]
    # a config written with a relative path (older runs) resolves against the folders above it
    text = (run / "config.toml").read_text()
    old = run.parent / "old"
    old.mkdir()
    (old / "config.toml").write_text(text.replace(str(data), "data/air.csv"))
    r = seqlab("train", "--config", str(old / "config.toml"), "--runs-dir", "runs", "--json",
               cwd=work)
    assert r.returncode == 0, r.stderr
    assert "changed since" not in r.stderr  # same file, same hash
