"""The time-series model: a fused recurrent stack read at its last hidden state, then a Dense head."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqlab.config import ModelConfig

RNN_CLASSES: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def make_rnn(input_size: int, cfg: ModelConfig, bidirectional: bool | None = None) -> nn.RNNBase:
    """The fused torch module for ``cfg`` (batch_first; dropout only between stacked layers)."""
    cfg.validate()
    kwargs: dict[str, object] = {
        "input_size": input_size,
        "hidden_size": cfg.hidden_size,
        "num_layers": cfg.num_layers,
        "batch_first": True,
        "bidirectional": cfg.bidirectional if bidirectional is None else bidirectional,
        "dropout": cfg.dropout if cfg.num_layers > 1 else 0.0,
    }
    if cfg.cell == "rnn":
        kwargs["nonlinearity"] = "tanh"
    rnn = RNN_CLASSES[cfg.cell](**kwargs)
    if cfg.cell == "lstm":
        init_forget_bias(rnn)
    return rnn


def init_forget_bias(lstm: nn.RNNBase, value: float = 1.0) -> None:
    """Start every LSTM forget gate open (bias_ih + bias_hh = ``value`` for gate f).

    With PyTorch's default uniform init the forget gate starts near 0.5, so a signal 20 steps
    back is scaled by ~0.5**20 before training can learn to keep it; a forget bias of 1 (the
    usual practice since Gers et al. 2000 and Jozefowicz et al. 2015) lets LSTMs learn long lags.
    """
    h = lstm.hidden_size
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih"):
                param[h : 2 * h].fill_(value)  # gate order i, f, g, o
            elif name.startswith("bias_hh"):
                param[h : 2 * h].zero_()


class SeqModel(nn.Module):
    """(B, T, F) windows -> (B, H) forecasts from the last hidden state of a recurrent stack."""

    rnn: nn.RNNBase
    head: nn.Linear

    def __init__(self, n_features: int, horizon: int, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.n_features = n_features
        self.horizon = horizon
        self.hidden_size = cfg.hidden_size
        self.num_directions = 2 if cfg.bidirectional else 1
        self.rnn = make_rnn(n_features, cfg)
        self.head = nn.Linear(self.num_directions * cfg.hidden_size, horizon)

    def forward(self, x: Tensor) -> Tensor:
        seq, _ = self.rnn(x)  # (B, T, F) -> (B, T, D*Hd)
        return self.readout(seq)

    def last_hidden(self, seq: Tensor) -> Tensor:
        """The summary the head reads: fwd at t=T-1 (++ bwd at t=0, having read the whole window)."""
        hd = self.hidden_size
        if self.num_directions == 1:
            return seq[:, -1, :]  # (B, T, Hd) -> (B, Hd)
        fwd = seq[:, -1, :hd]  # (B, T, 2*Hd) -> (B, Hd): forward direction after x_{T-1}
        bwd = seq[:, 0, hd:]  # (B, T, 2*Hd) -> (B, Hd): backward direction after x_{T-1}..x_0
        return torch.cat([fwd, bwd], dim=-1)  # -> (B, 2*Hd)

    def readout(self, seq: Tensor) -> Tensor:
        """Last-layer output sequence (B, T, D*Hd) -> (B, H)."""
        return self.head(self.last_hidden(seq))  # (B, D*Hd) -> (B, H)


def build_model(n_features: int, horizon: int, cfg: ModelConfig) -> SeqModel:
    """A fresh :class:`SeqModel` (torch's default initialisation; seed torch before for repeats)."""
    return SeqModel(n_features, horizon, cfg)


def initial_model(n_features: int, horizon: int, cfg: ModelConfig, *,
                  persistence_start: bool) -> SeqModel:
    """The model a run starts from (seed torch before; the trainer seeds with its run's seed).

    With ``persistence_start`` (a differenced target, scaled without a shift) the head starts
    at zero: the model forecasts changes and they are re-integrated from the last value, so a
    zero head forecasts "no change", the untrained model is the persistence forecast, and
    training learns a correction to it instead of starting from a random offset. The head is
    drawn first and zeroed after, so the recurrent weights a seed gives are the same with or
    without it.
    """
    model = build_model(n_features, horizon, cfg)
    if persistence_start:
        nn.init.zeros_(model.head.weight)
        nn.init.zeros_(model.head.bias)
    return model


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
