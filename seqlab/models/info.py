"""Torch-free pictures and parameter counts of a model, for the TUI model view and the CLI.

Works from a :class:`ModelConfig` (before any model exists) or from a built model (duck-typed:
anything with ``.cfg`` and ``.rnn``), so importing this module never imports torch.
"""

from __future__ import annotations

from typing import Any

from seqlab.config import ModelConfig

GATES: dict[str, int] = {"rnn": 1, "lstm": 4, "gru": 3}
CELL_NAMES: dict[str, str] = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def rnn_param_count(cell: str, input_size: int, hidden: int, layers: int, bi: bool) -> int:
    """Parameters of a fused torch RNN/LSTM/GRU (both biases, every layer and direction)."""
    g = GATES[cell]
    d = 2 if bi else 1
    total = 0
    for layer in range(layers):
        n_in = input_size if layer == 0 else d * hidden
        total += d * (g * hidden * (n_in + hidden) + 2 * g * hidden)
    return total


def estimate_params(cfg: ModelConfig, n_features: int, horizon: int) -> int:
    """Parameter count of ``SeqModel(n_features, horizon, cfg)`` without building it."""
    d = 2 if cfg.bidirectional else 1
    rnn = rnn_param_count(cfg.cell, n_features, cfg.hidden_size, cfg.num_layers, d == 2)
    return rnn + d * cfg.hidden_size * horizon + horizon


def estimate_lm_params(cfg: ModelConfig, vocab_size: int, emb_dim: int) -> int:
    """Parameter count of ``LanguageModel(vocab_size, emb_dim, cfg)`` without building it."""
    rnn = rnn_param_count(cfg.cell, emb_dim, cfg.hidden_size, cfg.num_layers, False)
    return vocab_size * emb_dim + rnn + cfg.hidden_size * vocab_size + vocab_size


def _rnn_part(cfg: ModelConfig) -> str:
    name = CELL_NAMES.get(cfg.cell, cfg.cell.upper())
    if cfg.num_layers > 1:
        name += f" ×{cfg.num_layers}"
    opts = [str(cfg.hidden_size)]
    if cfg.bidirectional:
        opts.append("bi")
    if cfg.dropout > 0 and cfg.num_layers > 1:
        opts.append(f"dropout {cfg.dropout:g}")
    return f"{name} ({', '.join(opts)})"


def describe(
    model: Any,
    n_features: int | None = None,
    window: int | None = None,
    horizon: int | None = None,
    *,
    vocab_size: int | None = None,
    emb_dim: int | None = None,
) -> str:
    """One-line data flow, e.g. ``(batch, 24, 3) → LSTM ×2 (64, bi) → last h (128) → Dense → (batch, 1)``.

    ``model`` is a ModelConfig or a built SeqModel / LanguageModel (sizes are then read from it).
    A language model (a built one, or a config with ``vocab_size``) gives
    ``(batch, T) ids → Embedding (V × E) → GRU (64) → h every step (64) → Dense → (batch, T, V)``.
    """
    cfg: ModelConfig = model if isinstance(model, ModelConfig) else model.cfg
    t = "T" if window is None else str(window)
    is_lm = vocab_size is not None or hasattr(model, "embed")
    if is_lm:
        if not isinstance(model, ModelConfig):
            vocab_size = model.vocab_size
            emb_dim = model.emb_dim
        v = "V" if vocab_size is None else str(vocab_size)
        e = "E" if emb_dim is None else str(emb_dim)
        return (
            f"(batch, {t}) ids → Embedding ({v} × {e}) → {_rnn_part(cfg)} "
            f"→ h every step ({cfg.hidden_size}) → Dense → (batch, {t}, {v})"
        )
    if not isinstance(model, ModelConfig):
        n_features = model.n_features
        horizon = model.horizon
    f = "F" if n_features is None else str(n_features)
    h = "H" if horizon is None else str(horizon)
    d = 2 if cfg.bidirectional else 1
    return (
        f"(batch, {t}, {f}) → {_rnn_part(cfg)} → last h ({d * cfg.hidden_size}) "
        f"→ Dense → (batch, {h})"
    )
