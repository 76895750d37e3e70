"""Look inside a recurrent stack: a step-by-step unroll with the fused module's own weights.

The fused cuDNN-style modules hide the per-timestep gates and the gradient reaching each hidden
state. :func:`probe` recomputes a few samples one timestep at a time from ``weight_ih_l{k}``,
``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``_reverse`` for the backward direction),
in PyTorch's gate orders (LSTM i, f, g, o; GRU r, z, n with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``), records every state and gate, and takes
``||dloss/dh_t||`` by autograd through the unroll (both paths: the next timestep and the layer
above), and for a time series ``||dy_hat/dx_t||``, how much the forecast depends on each input
step. Dropout between layers is not applied (eval semantics). The model's mode, its
parameters' ``requires_grad`` and ``.grad`` are left as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn

LossFn = Callable[[Tensor, Tensor], Tensor]
DIRS: tuple[str, str] = ("fwd", "bwd")


@dataclass
class ProbeResult:
    """Per-timestep internals of a few samples (numpy, float32)."""

    states: dict[str, np.ndarray]  # "{kind}/{layer}/{dir}" -> (S, T, Hd)
    grads: dict[str, np.ndarray]  # "{layer}/{dir}" -> (S, T) ||dloss/dh_t||
    loss: float
    max_abs_error: float  # max |unroll - fused| over the last layer's output sequence
    # time series: (S, T) ||dy_hat/dx_t||, the Frobenius norm of the Jacobian block of the
    # forecast (every horizon step) with respect to input step t (every feature); None for a
    # language model, whose inputs are token ids
    input_grads: np.ndarray | None = None


def cell_kind(rnn: nn.Module) -> str:
    """'lstm', 'gru' or 'rnn' for a fused torch module."""
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    if isinstance(rnn, nn.RNN):
        return "rnn"
    raise TypeError(f"cannot probe {type(rnn).__name__}: expected nn.RNN, nn.LSTM or nn.GRU")


def _weights(rnn: nn.RNNBase, layer: int, reverse: bool) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(W_ih, W_hh, b_ih, b_hh) of one layer/direction, detached (no parameter grads)."""
    sfx = f"_l{layer}" + ("_reverse" if reverse else "")
    w_ih = getattr(rnn, "weight_ih" + sfx).detach()
    w_hh = getattr(rnn, "weight_hh" + sfx).detach()
    if rnn.bias:
        b_ih = getattr(rnn, "bias_ih" + sfx).detach()
        b_hh = getattr(rnn, "bias_hh" + sfx).detach()
    else:
        b_ih = w_ih.new_zeros(w_ih.shape[0])
        b_hh = w_hh.new_zeros(w_hh.shape[0])
    return w_ih, w_hh, b_ih, b_hh


def _unroll_direction(
    kind: str,
    nonlinearity: str,
    xin: Tensor,
    weights: tuple[Tensor, Tensor, Tensor, Tensor],
    reverse: bool,
) -> tuple[list[Tensor], dict[str, list[Tensor]]]:
    """Run one layer/direction over (S, T, In); returns h_t per timestep and the other states."""
    w_ih, w_hh, b_ih, b_hh = weights
    s, t_len, _ = xin.shape
    hd = w_hh.shape[1]
    # F.linear, not x @ W.t(): a transposed view is ~50x slower in a CPU matmul this small
    xp = F.linear(xin, w_ih, b_ih)  # (S, T, In) -> (S, T, G*Hd), all timesteps at once
    h = xin.new_zeros(s, hd)
    c = xin.new_zeros(s, hd)
    hs: list[Tensor] = [h] * t_len
    extra_names = {"lstm": "cifgo", "gru": "rzn", "rnn": ""}[kind]
    extra: dict[str, list[Tensor]] = {k: [h] * t_len for k in extra_names}
    act = torch.tanh if nonlinearity == "tanh" else torch.relu
    order = range(t_len - 1, -1, -1) if reverse else range(t_len)
    for t in order:
        gx = xp[:, t]  # (S, G*Hd)
        gh = F.linear(h, w_hh, b_hh)  # (S, Hd) -> (S, G*Hd)
        if kind == "lstm":
            a_i, a_f, a_g, a_o = (gx + gh).chunk(4, dim=1)  # each (S, Hd)
            i, f, g, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            for name, v in zip("cifgo", (c, i, f, g, o), strict=True):
                extra[name][t] = v
        elif kind == "gru":
            x_r, x_z, x_n = gx.chunk(3, dim=1)  # each (S, Hd), input part incl. b_ih
            h_r, h_z, h_n = gh.chunk(3, dim=1)  # each (S, Hd), hidden part incl. b_hh
            r = torch.sigmoid(x_r + h_r)
            z = torch.sigmoid(x_z + h_z)
            n = torch.tanh(x_n + r * h_n)
            h = (1.0 - z) * n + z * h
            for name, v in zip("rzn", (r, z, n), strict=True):
                extra[name][t] = v
        else:
            h = act(gx + gh)
        hs[t] = h
    return hs, extra


def _np(xs: list[Tensor]) -> np.ndarray:
    return torch.stack(xs, dim=1).detach().float().cpu().numpy()  # T x (S, Hd) -> (S, T, Hd)


def probe(model: nn.Module, x: Tensor, y: Tensor, loss_fn: LossFn | None = None) -> ProbeResult:
    """Unroll ``model.rnn`` step by step on a few samples (keep S <= 8) and measure its insides.

    Time series (``SeqModel``): x (S, T, F) floats, y (S, H); loss = loss_fn(readout, y),
    default MSE. Language model (has ``embed``): x (S, T) token ids, y (S, T) next-token ids;
    loss = loss_fn(logits.reshape(-1, V), y.reshape(-1)), default cross entropy ignoring pad.
    On CPU it runs on one torch thread (restored afterwards): faster for these tiny ops.
    """
    rnn: nn.RNNBase = model.rnn  # type: ignore[assignment]
    kind = cell_kind(rnn)
    if getattr(rnn, "proj_size", 0):
        raise TypeError("cannot probe an LSTM with proj_size")
    is_lm = hasattr(model, "embed")
    param = next(rnn.parameters())
    device, dtype = param.device, param.dtype
    n_dirs = 2 if rnn.bidirectional else 1
    nonlin = getattr(rnn, "nonlinearity", "tanh")
    was_training = model.training
    model.eval()
    # hundreds of tiny sequential ops: one CPU thread is faster and immune to oversubscription
    threads = torch.get_num_threads()
    if device.type == "cpu" and threads > 1:
        torch.set_num_threads(1)
    try:
        with torch.enable_grad():
            if is_lm:
                ids = x.to(device).long()
                with torch.no_grad():
                    inp = model.embed(ids).to(dtype)  # (S, T) -> (S, T, E)
                target = y.to(device).long()
            else:
                inp = x.to(device=device, dtype=dtype)
                target = y.to(device=device, dtype=dtype)
            inp = inp.detach().requires_grad_(True)  # the graph's only leaf: weights are detached

            states: dict[str, np.ndarray] = {}
            h_tensors: list[Tensor] = []  # flat: per layer/direction, T tensors (S, Hd)
            keys: list[str] = []
            layer_in = inp
            for layer in range(rnn.num_layers):
                outs = []
                for d in range(n_dirs):
                    w = _weights(rnn, layer, reverse=d == 1)
                    hs, extra = _unroll_direction(kind, nonlin, layer_in, w, reverse=d == 1)
                    key = f"{layer}/{DIRS[d]}"
                    keys.append(key)
                    h_tensors.extend(hs)
                    states[f"h/{key}"] = _np(hs)
                    for name, vals in extra.items():
                        states[f"{name}/{key}"] = _np(vals)
                    outs.append(torch.stack(hs, dim=1))  # T x (S, Hd) -> (S, T, Hd)
                layer_in = torch.cat(outs, dim=-1)  # -> (S, T, D*Hd), next layer's input

            out = model.readout(layer_in)
            if is_lm:
                fn = loss_fn or (lambda a, b: F.cross_entropy(a, b, ignore_index=model.pad_id))
                loss = fn(out.reshape(-1, out.shape[-1]), target.reshape(-1))  # (S*T, V), (S*T,)
            else:
                loss = (loss_fn or F.mse_loss)(out, target)
            input_sq = None
            if not is_lm:
                # sample s's forecast depends on sample s's inputs only, so the gradient of
                # the batch sum of horizon step k gives every sample's row of the Jacobian
                for k in range(out.shape[-1]):
                    (g_x,) = torch.autograd.grad(out[:, k].sum(), inp, retain_graph=True)
                    sq = g_x.pow(2).sum(dim=-1)  # (S, T, F) -> (S, T)
                    input_sq = sq if input_sq is None else input_sq + sq
            grads_t = torch.autograd.grad(loss, h_tensors, allow_unused=True)

        t_len = layer_in.shape[1]
        grads: dict[str, np.ndarray] = {}
        for k, key in enumerate(keys):
            chunk = grads_t[k * t_len : (k + 1) * t_len]
            norms = [
                g.norm(dim=-1) if g is not None else h_tensors[0].new_zeros(h_tensors[0].shape[0])
                for g in chunk
            ]
            grads[key] = torch.stack(norms, dim=1).detach().float().cpu().numpy()  # (S, T)

        with torch.no_grad():
            fused, _ = rnn(inp.detach())  # eval mode: no dropout between layers
            err = (layer_in.detach() - fused).abs().max().item() if fused.numel() else 0.0
        input_grads = (None if input_sq is None
                       else input_sq.sqrt().detach().float().cpu().numpy())  # (S, T)
        return ProbeResult(states=states, grads=grads, loss=float(loss.item()), max_abs_error=err,
                           input_grads=input_grads)
    finally:
        model.train(was_training)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
