"""Public engine functions no test reached before: live runs listing, the backtest table and
the asyncio side of the control channel."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from seqlab.render import backtest_table
from seqlab.training.control import ControlClient, ControlError, ControlServer
from seqlab.training.record import host_name, live_runs, proc_start_time, write_state


# ----------------------------------------------------------------------------- live_runs
def _state(d: Path, pid: int, status: str, started: float) -> None:
    d.mkdir(parents=True)
    write_state(d, pid=pid, proc_start=proc_start_time(pid), host=host_name(), started=started,
                status=status, epoch=1, epochs=3)


def test_live_runs_lists_running_and_paused_runs_newest_first(tmp_path: Path) -> None:
    me = os.getpid()
    now = time.time()
    _state(tmp_path / "old", me, "running", now - 100)
    _state(tmp_path / "new", me, "paused", now - 10)
    _state(tmp_path / "done", me, "finished", now)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=60)
    _state(tmp_path / "gone", child.pid, "running", now - 5)  # its process has exited: crashed
    (tmp_path / "nostate").mkdir()
    (tmp_path / "afile.txt").write_text("not a run")
    runs = live_runs(tmp_path)
    assert [Path(r.run_dir).name for r in runs] == ["new", "old"]
    assert [r.status for r in runs] == ["paused", "running"]
    assert [r.started for r in runs] == [pytest.approx(now - 10), pytest.approx(now - 100)]
    assert live_runs(tmp_path / "missing") == []


# ------------------------------------------------------------------------ backtest_table
def _render(table: Any) -> list[str]:
    console = Console(width=140, record=True, color_system=None)
    console.print(table)
    return console.export_text().splitlines()


def test_backtest_table_rows_per_fold_and_mean() -> None:
    fold = {"model": {"mae": 1.5, "mase": 0.5}, "persistence": {"mae": 2.0, "mase": 0.8},
            "seasonal_naive": {"mae": 1.0, "mase": 0.4}, "coverage": {"80": 0.75, "95": 1.0}}
    result = {"folds": [{"fold": 1, "test_from": "2001-01", **fold},
                        {"fold": 2, "test_from": "2002-01", "model": {"mae": 3.0},
                         "coverage": {"80": None}}],
              "mean": {**fold, "coverage": {"80": 0.5, "95": float("nan")}}}
    lines = _render(backtest_table(result))
    assert lines[0].startswith("backtest: test metrics per fold")
    rows = {ln.split()[0]: ln.split() for ln in lines if ln.split()[:1] in (["1"], ["2"], ["mean"])}
    # four significant digits; the model's MAE, persistence, seasonal naive, then the MASEs
    assert rows["1"] == ["1", "2001-01", "1.500", "2.000", "1.000", "0.5000", "0.8000", "0.4000",
                         "75%", "100%"]
    # a fold without baselines or coverage shows dashes, not zeros
    assert rows["2"] == ["2", "2002-01", "3.000", "—", "—", "—", "—", "—", "—", "—"]
    assert rows["mean"] == ["mean", "1.500", "2.000", "1.000", "0.5000", "0.8000", "0.4000",
                            "50%", "—"]
    assert list(rows) == ["1", "2", "mean"]
    # no folds: no rows, and no mean row
    empty = _render(backtest_table({"folds": []}))
    assert not any(ln.split()[:1] in (["1"], ["mean"]) for ln in empty)


def test_backtest_table_marks_the_model_only_when_it_beats_both_baselines() -> None:
    def styled(model_mae: float) -> bool:
        r = {"fold": 1, "model": {"mae": model_mae}, "persistence": {"mae": 2.0},
             "seasonal_naive": {"mae": 3.0}}
        table = backtest_table({"folds": [r]})
        cell = table.columns[2]._cells[0]  # the model's MAE
        return bool(cell.spans)

    assert styled(1.0) and not styled(2.0) and not styled(2.5)


# ------------------------------------------------------------- ControlClient over asyncio
class _Writer:
    def __init__(self, fail: bool = False) -> None:
        self.data = b""
        self.fail = fail

    def write(self, b: bytes) -> None:
        if self.fail:
            raise BrokenPipeError
        self.data += b

    async def drain(self) -> None:
        return None


def _client(lines: list[dict[str, Any]], eof: bool = True, fail: bool = False
            ) -> tuple[ControlClient, _Writer]:
    reader = asyncio.StreamReader()
    for obj in lines:
        reader.feed_data((json.dumps(obj) + "\n").encode())
    if eof:
        reader.feed_eof()
    writer = _Writer(fail)
    return ControlClient.for_streams(reader, writer), writer


def test_arequest_sends_one_line_and_gathers_the_parts() -> None:
    async def go() -> None:
        client, writer = _client([{"ok": True, "more": True, "n": 1},
                                  {"ok": True, "more": True, "n": 2},
                                  {"ok": True, "done": 3}])
        reply = await client.arequest("probe", sample=2)
        assert json.loads(writer.data.decode()) == {"cmd": "probe", "sample": 2}
        assert writer.data.endswith(b"\n") and writer.data.count(b"\n") == 1
        assert reply == {"ok": True, "done": 3, "parts": [{"ok": True, "more": True, "n": 1},
                                                          {"ok": True, "more": True, "n": 2}]}
        single, _ = _client([{"ok": False, "error": "no"}])
        assert await single.arequest("status") == {"ok": False, "error": "no"}

    asyncio.run(go())


def test_astream_yields_every_line_until_the_last() -> None:
    async def go() -> None:
        client, _ = _client([{"ok": True, "more": True, "i": 0}, {"ok": True, "i": 1},
                             {"ok": True, "i": 2}])
        got = [r async for r in client.astream("sample", timeout=5)]
        assert got == [{"ok": True, "more": True, "i": 0}, {"ok": True, "i": 1}]

    asyncio.run(go())


def test_astream_failures_are_control_errors() -> None:
    async def go() -> None:
        silent, _ = _client([], eof=False)
        with pytest.raises(ControlError, match="no answer within 0.2 s"):
            await silent.arequest("status", timeout=0.2)
        closed, _ = _client([])
        with pytest.raises(ControlError, match="closed the channel"):
            await closed.arequest("status")
        broken, _ = _client([], fail=True)
        with pytest.raises(ControlError, match="has exited"):
            await broken.arequest("status")
        with pytest.raises(ControlError, match="use request"):
            await ControlClient().arequest("status")

    asyncio.run(go())


def test_arequest_over_a_runs_socket(tmp_path: Path) -> None:
    got: list[dict[str, Any]] = []
    server = ControlServer(tmp_path, lambda c: (got.append(c), {"ok": True, "n": len(got)})[1])
    server.start()
    try:
        client = ControlClient.for_run(tmp_path)
        assert asyncio.run(client.arequest("pause")) == {"ok": True, "n": 1}
        assert got == [{"cmd": "pause"}]
    finally:
        server.close()
    with pytest.raises(ControlError):
        asyncio.run(client.arequest("resume", timeout=2))


# ------------------------------------------------------------------------- write_failure
def test_write_failure_says_what_where_and_the_fix() -> None:
    import errno

    from seqlab.training.trainer import write_failure

    full = OSError(errno.ENOSPC, "No space left on device", "/r/run/model.pt")
    assert write_failure(full) == ("could not write /r/run/model.pt: No space left on device; "
                                   "free some space and re-run (what was written before is "
                                   "kept)")
    for code in (errno.EROFS, errno.EACCES, errno.EPERM):
        assert "; make the runs dir writable and re-run" in write_failure(OSError(code, "x", "f"))
    assert "; free some space" in write_failure(OSError(errno.EDQUOT, "quota", "f"))
    odd = write_failure(OSError("disk on fire"))
    assert odd.startswith("could not write a file of the run: disk on fire; check the runs dir")


# --------------------------------------------------------------- gradient profiles of a run
def _train_keeping_the_first_model(cfg: Any) -> tuple[Any, Any, Any]:
    """(run end, prepared data, the model as the run started) of a Trainer run."""
    import copy

    from seqlab.training.events import RunStarted
    from seqlab.training.trainer import Trainer

    start: dict[str, Any] = {}

    def on_event(event: object) -> None:
        if isinstance(event, RunStarted):
            start["model"] = copy.deepcopy(trainer.model)

    trainer = Trainer(cfg, callback=on_event)
    end = trainer.run()
    assert end.status == "finished" and trainer.prepared is not None
    return end, trainer.prepared, start["model"]


def _sample(prep: Any, k: int) -> tuple[Any, Any]:
    import numpy as np
    import torch

    return (torch.from_numpy(np.array(prep.val.X[k : k + 1], dtype=np.float32)),
            torch.from_numpy(np.array(prep.val.y[k : k + 1], dtype=np.float32)))


def test_untrained_profile_is_the_probe_of_the_weights_before_the_first_step(
        tmp_path: Path) -> None:

    import numpy as np

    from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
    from seqlab.models import probe
    from seqlab.training.gradients import run_profile, untrained_profile

    p = tmp_path / "wave.csv"
    p.write_text("t,y\n" + "".join(f"{i},{np.sin(i / 3):.5f}\n" for i in range(80)))
    cfg = RunConfig(data=DataConfig(path=str(p), window=6, difference="no", scale_x="minmax",
                                    scale_y="no"),
                    model=ModelConfig(cell="gru", hidden_size=4, num_layers=2),
                    train=TrainConfig(epochs=2, batch_size=16, patience=0, probe_every=1,
                                      probe_sample=3, threads=1, seed=5,
                                      runs_dir=str(tmp_path / "runs")))
    end, prep, first = _train_keeping_the_first_model(cfg)
    before = probe(first, *_sample(prep, 3))
    profile = untrained_profile(end.run_dir)
    assert profile["epoch"] == 0 and profile["sample"] == 3
    np.testing.assert_allclose(profile["loss_grad"], before.grads["1/fwd"][0], rtol=1e-5)
    np.testing.assert_allclose(profile["input_grad"], before.input_grads[0], rtol=1e-5)
    g = profile["loss_grad"]
    assert profile["loss_ratio"] == pytest.approx(g[-1] / g[0])
    # the trained run's own profile: from its probe.json, the best (here the last) epoch
    trained = run_profile(end.run_dir)
    assert trained is not None and trained["sample"] == 3 and trained["epoch"] == end.best_epoch
    assert len(trained["loss_grad"]) == 6
    assert run_profile(tmp_path) is None  # no probe.json


def test_untrained_profile_of_a_persistence_start_keeps_the_trainers_recurrent_weights(
        tmp_path: Path) -> None:
    """A differenced run starts from a zero head, through which no gradient reaches any
    timestep; the untrained profile probes the trainer's recurrent weights through the head
    the seed drew instead, so it shows how far back each cell carries a gradient."""

    import numpy as np
    import torch

    from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
    from seqlab.models import initial_model, probe
    from seqlab.training.gradients import untrained_profile

    p = tmp_path / "walk.csv"
    walk = np.cumsum(np.random.default_rng(1).normal(size=80)) + 50
    p.write_text("t,y\n" + "".join(f"{i},{v:.5f}\n" for i, v in enumerate(walk)))
    cfg = RunConfig(data=DataConfig(path=str(p), window=6, difference="yes"),
                    model=ModelConfig(cell="rnn", hidden_size=4),
                    train=TrainConfig(epochs=1, batch_size=16, patience=0, probe_sample=2,
                                      threads=1, seed=7, runs_dir=str(tmp_path / "runs")))
    end, prep, first = _train_keeping_the_first_model(cfg)
    assert prep.difference
    # the trainer's start: a zero head on the seed's recurrent weights
    assert not first.head.weight.any() and not first.head.bias.any()
    torch.manual_seed(7)
    drawn = initial_model(prep.n_features, prep.horizon, cfg.model, persistence_start=False)
    for name, value in first.rnn.state_dict().items():
        torch.testing.assert_close(drawn.rnn.state_dict()[name], value, rtol=0, atol=0)
    x, y = _sample(prep, 2)
    # through the zero head every timestep's gradient is zero: nothing to compare cells by
    assert not np.any(probe(first, x, y).grads["0/fwd"])
    profile = untrained_profile(end.run_dir)
    assert profile["persistence_start"] is True and profile["sample"] == 2
    first.head.load_state_dict(drawn.head.state_dict())
    np.testing.assert_allclose(profile["loss_grad"], probe(first, x, y).grads["0/fwd"][0],
                               rtol=1e-5)
    assert np.all(profile["loss_grad"] > 0) and np.isfinite(profile["loss_ratio"])


def test_an_interval_too_wide_for_its_windows_is_said_so_not_given_a_coverage() -> None:
    """14 validation windows place an 80 % interval but not a 95 % one (it needs 19): the
    summary says so instead of printing a width of '—' beside a coverage of 100 %."""
    import io

    from rich.console import Console

    from seqlab.cli import _print_result

    out = io.StringIO()
    summary = {"intervals": {
        "80": {"calibration_windows": 14, "halfwidth": [3.32], "coverage_test": 0.73},
        "95": {"calibration_windows": 14, "halfwidth": [None], "coverage_test": 1.0}}}
    _print_result(Console(file=out, width=200), summary, "finished", "done")
    text = out.getvalue()
    assert "80% interval (split-conformal on 14 validation windows): ± 3.32" in text
    assert "95% interval: 14 validation windows are too few to place it (it needs at least 19)" \
        in text
    assert "nominal 95%" not in text

