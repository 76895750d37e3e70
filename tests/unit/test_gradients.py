"""How much the forecast depends on each input step, and the vanishing-gradient figure."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.config import ModelConfig, RunConfig
from seqlab.data import prepare
from seqlab.models import build_model, probe
from seqlab.render.gradients import GradientFigure, GradientProfile, ratio_text
from seqlab.training.events import ProbeSnapshot, dumps, loads
from seqlab.training.gradients import last_layer_fwd, ratio

ROOT = Path(__file__).resolve().parents[2]
LONG = ROOT / "sample_data" / "long_dependency.csv"


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers, bi, horizon", [(1, False, 1), (2, True, 3)])
def test_input_gradient_is_the_jacobian_norm_from_autograd(cell: str, layers: int, bi: bool,
                                                           horizon: int) -> None:
    torch.manual_seed(3)
    model = build_model(4, horizon, ModelConfig(cell=cell, hidden_size=5, num_layers=layers,
                                                bidirectional=bi))
    model.eval()
    x, y = torch.randn(3, 9, 4), torch.randn(3, horizon)
    result = probe(model, x, y)
    assert result.input_grads is not None and result.input_grads.shape == (3, 9)
    # the fused module's full Jacobian: (S, H, S, T, F); sample s only sees its own inputs
    jac = torch.autograd.functional.jacobian(lambda inp: model(inp), x)
    for s in range(3):
        block = jac[s, :, s]  # (H, T, F)
        expected = block.pow(2).sum(dim=(0, 2)).sqrt().numpy()  # (T,)
        np.testing.assert_allclose(result.input_grads[s], expected, rtol=1e-4, atol=1e-7)
        others = [jac[s, :, o].abs().max().item() for o in range(3) if o != s]
        assert max(others) == 0.0


def test_snapshot_carries_the_input_gradient_through_json() -> None:
    snap = ProbeSnapshot(epoch=2, split="val", sample=0, labels=["a", "b"],
                         states={"h/0/fwd": np.ones((2, 3), np.float32)},
                         grads={"0/fwd": np.array([1e-3, 1.0], np.float32)}, loss=0.1,
                         max_abs_error=0.0, input_grad=np.array([0.5, 2.0], np.float32))
    back = loads(dumps(snap))
    np.testing.assert_array_equal(back.input_grad, snap.input_grad)
    old_line = dumps(snap).replace(',"input_grad":', ',"ignored":')  # runs from before
    assert loads(old_line.split(',"ignored":')[0] + "}").input_grad is None


def test_ratios_and_the_last_layer() -> None:
    grads = {"0/fwd": np.array([1.0, 2.0]), "1/fwd": np.array([0.01, 1.0]),
             "1/bwd": np.array([5.0, 5.0])}
    np.testing.assert_array_equal(last_layer_fwd(grads), [0.01, 1.0])
    assert ratio(last_layer_fwd(grads)) == pytest.approx(100.0)
    assert math.isnan(ratio(np.array([0.0, 1.0])))
    assert ratio_text(2.93e5) == "2.9e5" and ratio_text(412.0) == "412"


def _long_sample() -> tuple[torch.Tensor, torch.Tensor, int]:
    cfg = RunConfig()
    cfg.data.path = str(LONG)
    cfg.data.target = "target"
    prep = prepare(cfg.data)
    x = torch.from_numpy(np.array(prep.val.X[:1], dtype=np.float32))
    y = torch.from_numpy(np.array(prep.val.y[:1], dtype=np.float32))
    return x, y, prep.n_features


def test_a_plain_rnn_loses_the_gradient_far_more_than_an_lstm() -> None:
    """On the long-dependency sample, at initialisation (seeds 0-2): ‖∂loss/∂h_T‖ over
    ‖∂loss/∂h_1‖ is ~1e5-1e6 for the tanh RNN and ~1e2-1e3 for the LSTM (forget gate open)."""
    x, y, n_features = _long_sample()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for seed in range(3):
            ratios = {}
            for cell in ("rnn", "lstm"):
                torch.manual_seed(seed)
                model = build_model(n_features, 1, ModelConfig(cell=cell, hidden_size=32))
                grads = {k: v[0] for k, v in probe(model, x, y).grads.items()}
                ratios[cell] = ratio(last_layer_fwd(grads))
            assert ratios["rnn"] > 50 * ratios["lstm"], ratios
    finally:
        torch.set_num_threads(threads)


def test_the_figure_draws_shared_log_bars_and_ratios() -> None:
    from rich.console import Console

    t = np.arange(1, 25, dtype=float)
    steep = 10.0 ** (t - 24)  # 1e-23 ... 1: a vanishing gradient
    flat = np.full(24, 0.5)
    fig = GradientFigure([GradientProfile("RNN", steep, steep * 2),
                          GradientProfile("LSTM", flat, None)], rows=1, title="demo")
    buf = io.StringIO()
    Console(file=buf, width=80, color_system=None).print(fig)
    lines = buf.getvalue().splitlines()
    rnn = next(ln for ln in lines if ln.startswith("RNN") and "‖" not in ln)
    lstm = next(ln for ln in lines if ln.startswith("LSTM"))
    assert "1.0e23" in rnn and lstm.rstrip().endswith("1")
    bars = rnn.split()[1]
    assert bars[0] in " ▁" and bars[-1] == "█"  # the oldest step lowest on the shared scale
    assert all(ln.count("▁") + ln.count("█") < 80 for ln in lines)
    assert sum("‖∂ŷ/∂x_t‖" in ln for ln in lines) == 1  # the input block, for the RNN only
    assert max(len(ln) for ln in lines) <= 80
