"""Comparing runs: the config diff, the comparison table, the overlay's glyphs, sweep members."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from seqlab.config import RunConfig
from seqlab.render.compare import GLYPHS, Curve, OverlayPlot, config_diff, diff_table
from seqlab.training.compare import load_compare_run, same_sample
from seqlab.training.events import ProbeSnapshot, dumps


def _render(renderable, width: int = 80) -> str:
    from rich.console import Console

    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None).print(renderable)
    return buf.getvalue()


def fake_run(root: Path, name: str, cell: str, hidden: int, lr: float, val_mae: float,
             status: str = "finished", reason: str = "trained 3 epochs") -> Path:
    d = root / name
    d.mkdir(parents=True)
    cfg = RunConfig()
    cfg.data.path = "sample_data/airline_passengers.csv"
    cfg.model.cell, cfg.model.hidden_size, cfg.train.lr = cell, hidden, lr
    (d / "config.toml").write_text(cfg.to_toml())
    rows = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": val_mae / 100 / e,
             "val": {"mae": val_mae}} for e in (1, 2, 3)]
    (d / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    if status != "running":
        (d / "summary.json").write_text(json.dumps({
            "status": status, "reason": reason, "epochs": 3, "params": 100 * hidden,
            "seconds": 1.0, "val": {"mae": val_mae}, "test": {"mae": val_mae * 1.5},
            "baseline_val": {"mae": 38.0}, "baseline_test": {"mae": 45.0}}))
    snap = ProbeSnapshot(epoch=3, split="val", sample=0, labels=[str(i) for i in range(4)],
                         states={"h/0/fwd": np.zeros((4, hidden), np.float32)},
                         grads={"0/fwd": np.array([1e-4, 1e-3, 1e-2, 1e-1], np.float32)},
                         loss=0.1, max_abs_error=0.0,
                         input_grad=np.array([0.1, 0.1, 0.2, 0.4], np.float32))
    (d / "probe.json").write_text(dumps(snap))
    return d


def test_config_diff_shows_only_what_differs() -> None:
    a = {"model": {"cell": "lstm", "hidden_size": 32}, "train": {"lr": 0.003, "seed": 0}}
    b = {"model": {"cell": "gru", "hidden_size": 32}, "train": {"lr": 0.003, "seed": 0}}
    c = {"model": {"cell": "lstm", "hidden_size": 32}, "train": {"lr": 0.01, "seed": 0},
         "versions": {"torch": "2.13.0"}}
    diff = config_diff([a, b, c])
    assert diff == {"model.cell": ["lstm", "gru", "lstm"], "train.lr": [0.003, 0.003, 0.01],
                    "versions.torch": [None, None, "2.13.0"]}
    text = _render(diff_table(["A", "B", "C"], [a, b, c]))
    assert "model.cell" in text and "hidden_size" not in text and "seed" not in text
    assert "identical" in _render(diff_table(["A", "B"], [a, a]))


def test_overlay_gives_each_run_its_own_glyph_without_colour() -> None:
    curves = [Curve(f"run{i}", [1, 2, 3], [1.0 * (i + 1), 0.5 * (i + 1), 0.2 * (i + 1)])
              for i in range(6)]
    text = _render(OverlayPlot(curves, height=10))
    lines = text.splitlines()
    legend = lines[-1]
    for i, glyph in enumerate(GLYPHS):
        assert f"{glyph} run{i}" in legend
        assert sum(ln.count(glyph) for ln in lines[:-1]) > 0  # drawn in the plot itself
    assert len(set(GLYPHS)) == 6
    assert max(len(ln) for ln in lines) <= 80


def test_compare_runs_from_disk(tmp_path: Path) -> None:
    from seqlab.tui.views.compare import compare_renderables

    a = load_compare_run(fake_run(tmp_path, "a", "lstm", 8, 0.003, 20.0))
    b = load_compare_run(fake_run(tmp_path, "b", "gru", 8, 0.01, 30.0, status="stopped",
                                  reason="pruned after epoch 3"))
    live = load_compare_run(fake_run(tmp_path, "c", "rnn", 4, 0.003, 50.0, status="running"))
    assert (a.status, b.status) == ("finished", "pruned")
    assert live.status in ("running", "crashed") and live.summary == {}
    assert same_sample([a, b, live]) == 0
    out = "".join(_render(r, 80) for r in compare_renderables([a, b, live], width=80))
    lines = out.splitlines()
    # the metrics table: in pinning order, beside the persistence baseline
    rows = [(i, ln) for i, ln in enumerate(lines) if ln.count(" A ") + ln.count(" B ") == 1]
    ia = next(i for i, ln in rows if "● A" in ln and "LSTM" in ln)  # not the legend line
    ib = next(i for i, ln in rows if "▲ B" in ln and "GRU" in ln)
    assert ia < ib and "20.00" in lines[ia] and "pruned" in lines[ib]
    assert any("persistence" in ln and "38.00" in ln for ln in lines)
    # the config diff: cell, hidden size and lr differ; nothing else is listed
    diff_rows = [ln.split()[0] for ln in lines if ln.startswith(("model.", "train.", "data."))]
    assert sorted(diff_rows) == ["model.cell", "model.hidden_size", "train.lr"]
    assert "‖∂loss/∂h_t‖" in out and "validation sample 0" in out
    assert max(len(ln) for ln in lines) <= 80
    maps = "".join(_render(r, 80) for r in compare_renderables([a, b], maps=True, width=80))
    assert "A LSTM 1×8 h_t" in maps and "B GRU 1×8 h_t" in maps


def test_sweep_members_are_read_from_their_run_directories(tmp_path: Path) -> None:
    from seqlab.training.sweep import list_sweeps, sweep_members

    sweep = tmp_path / "sweep-x-1234"
    fake_run(sweep, "t0000-lstm-1x8", "lstm", 8, 0.003, 30.0)
    fake_run(sweep, "t0001-gru-1x8", "gru", 8, 0.003, 20.0)
    fake_run(sweep, "t0002-rnn-1x8", "rnn", 8, 0.003, 90.0, status="stopped",
             reason="pruned after epoch 2")
    spec = {"mode": "grid", "params": [{"name": "model", "choices": ["lstm", "gru", "rnn"]}],
            "points": [{"model": "lstm"}, {"model": "gru"}, {"model": "rnn"}]}
    (sweep / "sweep.json").write_text(json.dumps(spec))
    (tmp_path / "plain-run").mkdir()
    assert [Path(d).name for d, _ in list_sweeps(tmp_path)] == ["sweep-x-1234"]
    members = sweep_members(sweep)
    assert [m["trial"] for m in members] == ["1", "0", "2"]  # best validation loss first
    assert [m["state"] for m in members] == ["complete", "complete", "pruned"]
    assert members[0]["params"] == {"model": "gru"}
