"""The probe: a step-by-step unroll that must agree with the fused module, and its gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from seqlab.config import ModelConfig
from seqlab.models import LanguageModel, ProbeResult, build_model, probe

CELLS = ("rnn", "lstm", "gru")
GATE_KINDS = {"rnn": (), "lstm": ("c", "i", "f", "g", "o"), "gru": ("r", "z", "n")}


def cfg(cell: str, hidden: int = 6, layers: int = 1, bi: bool = False, dropout: float = 0.0):
    return ModelConfig(
        cell=cell, hidden_size=hidden, num_layers=layers, bidirectional=bi, dropout=dropout
    )


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("bi", [False, True], ids=["uni", "bi"])
def test_unroll_matches_fused_module(cell: str, layers: int, bi: bool) -> None:
    torch.manual_seed(layers * 10 + bi)
    m = build_model(3, 2, cfg(cell, hidden=6, layers=layers, bi=bi, dropout=0.3))
    s, t_len, hd, n_dirs = 4, 13, 6, 2 if bi else 1
    x, y = torch.randn(s, t_len, 3), torch.randn(s, 2)
    r = probe(m, x, y, F.mse_loss)
    assert isinstance(r, ProbeResult)

    dirs = ("fwd", "bwd")[:n_dirs]
    kinds = ("h", *GATE_KINDS[cell])
    expected_keys = {f"{k}/{layer}/{d}" for k in kinds for layer in range(layers) for d in dirs}
    assert set(r.states) == expected_keys
    assert set(r.grads) == {f"{layer}/{d}" for layer in range(layers) for d in dirs}
    for v in r.states.values():
        assert v.shape == (s, t_len, hd) and v.dtype == np.float32
    for g in r.grads.values():
        assert g.shape == (s, t_len) and np.all(np.isfinite(g)) and np.all(g >= 0)

    m.eval()
    with torch.no_grad():
        seq, state = m.rnn(x)
        expected_loss = F.mse_loss(m(x), y).item()
    h_n, c_n = state if cell == "lstm" else (state, None)  # (L*D, S, Hd)

    # the whole last-layer output sequence
    last = np.concatenate([r.states[f"h/{layers - 1}/{d}"] for d in dirs], axis=-1)
    np.testing.assert_allclose(last, seq.numpy(), atol=1e-5, rtol=0)
    assert r.max_abs_error < 1e-5
    assert r.loss == pytest.approx(expected_loss, rel=1e-5, abs=1e-7)

    # final states of every layer and direction (bwd finishes at t=0)
    for layer in range(layers):
        for di, d in enumerate(dirs):
            at = -1 if d == "fwd" else 0
            idx = layer * n_dirs + di
            np.testing.assert_allclose(
                r.states[f"h/{layer}/{d}"][:, at], h_n[idx].numpy(), atol=1e-5, rtol=0
            )
            if c_n is not None:
                np.testing.assert_allclose(
                    r.states[f"c/{layer}/{d}"][:, at], c_n[idx].numpy(), atol=1e-5, rtol=0
                )

    for key, v in r.states.items():
        kind = key.split("/")[0]
        if kind in ("i", "f", "o", "r", "z"):
            assert v.min() >= 0.0 and v.max() <= 1.0, key
        elif kind in ("g", "n", "h"):
            assert v.min() >= -1.0 and v.max() <= 1.0, key


def test_probe_leaves_model_untouched() -> None:
    torch.manual_seed(0)
    m = build_model(2, 1, cfg("lstm", layers=2, dropout=0.5))
    m.train()
    m.head.bias.requires_grad_(False)
    marker = torch.full_like(m.head.weight, 7.0)
    m.head.weight.grad = marker.clone()
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    threads = torch.get_num_threads()

    r = probe(m, torch.randn(2, 8, 2), torch.randn(2, 1), F.mse_loss)

    assert r.max_abs_error < 1e-5  # dropout is not applied inside the probe
    assert m.training and m.rnn.training
    assert torch.equal(m.head.weight.grad, marker)
    for n, p in m.named_parameters():
        assert torch.equal(p, before[n])
        if n != "head.weight":
            assert p.grad is None, n
        assert p.requires_grad == (n != "head.bias")
    assert torch.get_num_threads() == threads

    m.eval()
    probe(m, torch.randn(2, 8, 2), torch.randn(2, 1))
    assert not m.training


def test_probe_works_under_no_grad() -> None:
    torch.manual_seed(0)
    m = build_model(2, 1, cfg("gru"))
    with torch.no_grad():
        r = probe(m, torch.randn(2, 5, 2), torch.randn(2, 1))
    assert r.grads["0/fwd"].max() > 0


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bi", [False, True], ids=["uni", "bi"])
def test_grad_at_readout_equals_head_gradient(cell: str, bi: bool) -> None:
    """Where only the head reads h_t (last layer, end of each direction) the gradient is analytic."""
    torch.manual_seed(3)
    m = build_model(3, 2, cfg(cell, hidden=5, layers=2, bi=bi))
    x, y = torch.randn(4, 7, 3), torch.randn(4, 2)
    r = probe(m, x, y, F.mse_loss)
    with torch.no_grad():
        out = m.eval()(x)
        d_out = 2.0 * (out - y) / out.numel()  # d mean((out - y)^2) / d out
        d_last = d_out @ m.head.weight  # (S, D*Hd)
    hd = 5
    np.testing.assert_allclose(
        r.grads["1/fwd"][:, -1], d_last[:, :hd].norm(dim=1).numpy(), rtol=1e-4, atol=1e-7
    )
    if bi:
        np.testing.assert_allclose(
            r.grads["1/bwd"][:, 0], d_last[:, hd:].norm(dim=1).numpy(), rtol=1e-4, atol=1e-7
        )


def _single_layers(m: nn.Module) -> list[nn.RNNBase]:
    """The fused stack split into one fused single-layer module per layer (same weights)."""
    rnn = m.rnn
    out = []
    for k in range(rnn.num_layers):
        in_size = rnn.input_size if k == 0 else rnn.hidden_size
        kw = {"nonlinearity": "tanh"} if isinstance(rnn, nn.RNN) else {}
        one = type(rnn)(in_size, rnn.hidden_size, batch_first=True, **kw)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(one, f"{name}_l0").copy_(getattr(rnn, f"{name}_l{k}"))
        out.append(one)
    return out


def _stitched_grad_norm(m: nn.Module, x: torch.Tensor, y: torch.Tensor, layer: int, t: int):
    """||dloss/dh_t|| of one layer with fused kernels only: cut the layer at t, make h_t a leaf
    that both the rest of that layer (as its initial state) and the layer above consume."""
    inp = x
    leaf = None
    for k, one in enumerate(_single_layers(m)):
        if k != layer:
            inp, _ = one(inp)
            continue
        pre, state = one(inp[:, : t + 1])
        leaf = pre[:, t].detach().requires_grad_(True)  # (S, Hd)
        # LSTM: c_t is a separate state, held fixed
        init = (leaf[None], state[1].detach()) if isinstance(state, tuple) else leaf[None]
        parts = [pre[:, :t].detach(), leaf[:, None]]
        if t + 1 < x.shape[1]:
            post, _ = one(inp[:, t + 1 :], init)
            parts.append(post)
        inp = torch.cat(parts, dim=1)  # (S, T, Hd)
    loss = F.mse_loss(m.readout(inp), y)
    (g,) = torch.autograd.grad(loss, leaf)
    return g.norm(dim=1).numpy()


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_grad_norms_match_independent_computation(cell: str, layers: int) -> None:
    torch.manual_seed(5)
    m = build_model(3, 2, cfg(cell, hidden=5, layers=layers)).eval()
    x, y = torch.randn(3, 9, 3), torch.randn(3, 2)
    r = probe(m, x, y, F.mse_loss)
    for layer in range(layers):
        for t in (0, 4, 7, 8):
            expected = _stitched_grad_norm(m, x, y, layer, t)
            np.testing.assert_allclose(
                r.grads[f"{layer}/fwd"][:, t],
                expected,
                rtol=1e-4,
                atol=1e-7,
                err_msg=f"{layer=} {t=}",
            )


def test_vanishing_gradient_in_small_tanh_rnn() -> None:
    torch.manual_seed(0)
    m = build_model(1, 1, cfg("rnn", hidden=16))
    with torch.no_grad():
        for p in m.rnn.parameters():
            p.uniform_(-0.1, 0.1)
    r = probe(m, torch.randn(4, 50, 1), torch.randn(4, 1), F.mse_loss)
    g = r.grads["0/fwd"]
    assert np.all(g[:, -1] > 0)
    assert np.all(g[:, 0] < 1e-6 * g[:, -1])
    assert np.all(np.diff(g.mean(axis=0)) >= 0)  # grows toward the readout (early ones underflow)


@pytest.mark.parametrize("cell", CELLS)
def test_language_model_probe(cell: str) -> None:
    torch.manual_seed(2)
    lm = LanguageModel(25, 6, cfg(cell, hidden=8, layers=2), pad_id=0)
    ids = torch.randint(1, 25, (3, 10))
    nxt = torch.roll(ids, -1, dims=1)
    r = probe(lm, ids, nxt, F.cross_entropy)
    assert r.max_abs_error < 1e-5
    assert set(r.grads) == {"0/fwd", "1/fwd"}
    assert r.states["h/1/fwd"].shape == (3, 10, 8)
    with torch.no_grad():
        logits = lm.eval()(ids)
    assert r.loss == pytest.approx(F.cross_entropy(logits.reshape(-1, 25), nxt.reshape(-1)).item())
    # every position is predicted, so the gradient reaches every timestep of the top layer
    assert np.all(r.grads["1/fwd"] > 0)
    seq, _ = lm.rnn(lm.embed(ids))
    np.testing.assert_allclose(r.states["h/1/fwd"], seq.detach().numpy(), atol=1e-5, rtol=0)


def test_language_model_probe_default_loss_ignores_pad() -> None:
    torch.manual_seed(2)
    lm = LanguageModel(12, 4, cfg("gru", hidden=4), pad_id=0)
    ids = torch.randint(1, 12, (2, 6))
    nxt = torch.roll(ids, -1, dims=1)
    nxt[:, -1] = 0  # nothing to predict after the end
    r = probe(lm, ids, nxt)
    with torch.no_grad():
        logits = lm.eval()(ids)
    expected = F.cross_entropy(logits.reshape(-1, 12), nxt.reshape(-1), ignore_index=0).item()
    assert r.loss == pytest.approx(expected)
