"""Gate labels mean what a course says they mean.

PyTorch documents the gate layout of its fused weights: ``weight_ih_l0`` of an LSTM stacks
``W_ii | W_if | W_ig | W_io`` (input, forget, cell candidate, output), a GRU's stacks
``W_ir | W_iz | W_in`` (reset, update, new), and so do ``weight_hh`` and both biases.
Two checks, both from that documentation and not from the probe's code:

* saturating one gate through its own slice of ``bias_ih`` drives exactly the state labelled with
  that gate to its limit, and no other;
* every gate, ``c_t`` and ``h_t`` rebuilt by hand from the documented equations, one timestep at
  a time with explicit row slices, equals what the probe labels with that name.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from seqlab.config import ModelConfig
from seqlab.models import build_model, probe

HIDDEN = 4
LSTM_GATES = ("i", "f", "g", "o")  # PyTorch's documented order of the four row blocks
GRU_GATES = ("r", "z", "n")


def model(cell: str, layers: int = 1, bi: bool = False) -> torch.nn.Module:
    torch.manual_seed(7)
    return build_model(2, 1, ModelConfig(cell=cell, hidden_size=HIDDEN, num_layers=layers,
                                         bidirectional=bi))


def inputs() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    return torch.randn(3, 6, 2, generator=g) * 0.5, torch.randn(3, 1, generator=g)


def saturated(values: np.ndarray, limit: float) -> bool:
    return bool(np.all(np.abs(values - limit) < 1e-6))


@pytest.mark.parametrize(("cell", "gates"), [("lstm", LSTM_GATES), ("gru", GRU_GATES)])
@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["open", "shut"])
def test_saturating_one_gate_bias_saturates_only_that_label(cell: str, gates: tuple[str, ...],
                                                            sign: float) -> None:
    x, y = inputs()
    for k, gate in enumerate(gates):
        m = model(cell)
        with torch.no_grad():
            m.rnn.bias_ih_l0[k * HIDDEN:(k + 1) * HIDDEN] = 40.0 * sign  # row block k only
        states = probe(m, x, y).states
        tanh_gate = gate in ("g", "n")
        limit = sign if tanh_gate else (1.0 if sign > 0 else 0.0)
        assert saturated(states[f"{gate}/0/fwd"], limit), (cell, gate)
        for other in gates:
            if other != gate:
                v = states[f"{other}/0/fwd"]
                assert not saturated(v, 1.0) and not saturated(v, 0.0), (gate, other)
                assert not saturated(v, -1.0), (gate, other)


def test_lstm_shut_forget_gate_means_no_memory_and_open_input_gate_means_write() -> None:
    """Meaning, not position: f = 0 makes c_t = i_t * g_t (the old cell is forgotten)."""
    x, y = inputs()
    m = model("lstm")
    with torch.no_grad():
        m.rnn.bias_ih_l0[HIDDEN:2 * HIDDEN] = -40.0  # the forget gate's block
    s = probe(m, x, y).states
    np.testing.assert_allclose(s["c/0/fwd"], s["i/0/fwd"] * s["g/0/fwd"], atol=1e-6)
    np.testing.assert_allclose(s["h/0/fwd"], s["o/0/fwd"] * np.tanh(s["c/0/fwd"]), atol=1e-6)


def test_gru_update_gate_one_means_keep_the_old_state() -> None:
    """z = 1 keeps h_{t-1} (h stays at its zero start), whatever r and n do."""
    x, y = inputs()
    m = model("gru")
    with torch.no_grad():
        m.rnn.bias_ih_l0[HIDDEN:2 * HIDDEN] = 40.0  # the update gate's block
    s = probe(m, x, y).states
    np.testing.assert_allclose(s["h/0/fwd"], 0.0, atol=1e-6)
    assert np.abs(s["n/0/fwd"]).max() > 0.05


def _blocks(w: torch.Tensor, n: int) -> list[torch.Tensor]:
    return [w[k * HIDDEN:(k + 1) * HIDDEN] for k in range(n)]


def _by_hand(cell: str, rnn: torch.nn.Module, x: torch.Tensor, layer: int,
             sfx: str, reverse: bool) -> dict[str, np.ndarray]:
    """The documented equations, one sample and one timestep at a time, row blocks by slice."""
    w_ih = getattr(rnn, f"weight_ih_l{layer}{sfx}").detach()
    w_hh = getattr(rnn, f"weight_hh_l{layer}{sfx}").detach()
    b_ih = getattr(rnn, f"bias_ih_l{layer}{sfx}").detach()
    b_hh = getattr(rnn, f"bias_hh_l{layer}{sfx}").detach()
    n_blocks = 4 if cell == "lstm" else 3
    wi, wh, bi, bh = (_blocks(w, n_blocks) for w in (w_ih, w_hh, b_ih, b_hh))
    names = ("h", "c", *LSTM_GATES) if cell == "lstm" else ("h", *GRU_GATES)
    out = {k: np.zeros((x.shape[0], x.shape[1], HIDDEN), dtype=np.float64) for k in names}
    steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
    for s in range(x.shape[0]):
        h = torch.zeros(HIDDEN, dtype=torch.float64)
        c = torch.zeros(HIDDEN, dtype=torch.float64)
        for t in steps:
            xt = x[s, t].double()

            def pre(k: int, xt: torch.Tensor = xt, h: torch.Tensor = h) -> torch.Tensor:
                return wi[k].double() @ xt + bi[k].double() + wh[k].double() @ h + bh[k].double()

            if cell == "lstm":
                i, f = torch.sigmoid(pre(0)), torch.sigmoid(pre(1))
                g, o = torch.tanh(pre(2)), torch.sigmoid(pre(3))
                c = f * c + i * g
                h = o * torch.tanh(c)
                vals = {"h": h, "c": c, "i": i, "f": f, "g": g, "o": o}
            else:
                r = torch.sigmoid(wi[0].double() @ xt + bi[0].double()
                                  + wh[0].double() @ h + bh[0].double())
                z = torch.sigmoid(wi[1].double() @ xt + bi[1].double()
                                  + wh[1].double() @ h + bh[1].double())
                n = torch.tanh(wi[2].double() @ xt + bi[2].double()
                               + r * (wh[2].double() @ h + bh[2].double()))
                h = (1 - z) * n + z * h
                vals = {"h": h, "r": r, "z": z, "n": n}
            for k, v in vals.items():
                out[k][s, t] = v.numpy()
    return out


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bi", [False, True], ids=["uni", "bi"])
def test_every_labelled_state_rebuilt_by_hand_from_the_weight_blocks(cell: str,
                                                                     bi: bool) -> None:
    m = model(cell, layers=2, bi=bi)
    x, y = inputs()
    states = probe(m, x, y, F.mse_loss).states
    layer_in = x
    for layer in range(2):
        outs = []
        for d, (sfx, reverse) in enumerate(((("", False)), ("_reverse", True))[: 2 if bi else 1]):
            want = _by_hand(cell, m.rnn, layer_in, layer, sfx, reverse)
            name = ("fwd", "bwd")[d]
            for key, v in want.items():
                np.testing.assert_allclose(states[f"{key}/{layer}/{name}"], v, atol=2e-6,
                                           err_msg=f"{key}/{layer}/{name}")
            outs.append(torch.from_numpy(want["h"]).float())
        layer_in = torch.cat(outs, dim=-1)  # the next layer reads both directions' h_t
