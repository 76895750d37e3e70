"""The text model: Embedding -> fused recurrent stack -> Dense on every timestep (next token)."""

from __future__ import annotations

from torch import Tensor, nn

from seqlab.config import ModelConfig
from seqlab.errors import ConfigError
from seqlab.models.seq import make_rnn


class LanguageModel(nn.Module):
    """(B, T) token ids -> (B, T, V) logits of the next token at every position."""

    rnn: nn.RNNBase
    head: nn.Linear

    def __init__(self, vocab_size: int, emb_dim: int, cfg: ModelConfig, pad_id: int = 0) -> None:
        super().__init__()
        if cfg.bidirectional:
            raise ConfigError(
                "a next-token language model cannot be bidirectional: its backward direction "
                "would see the future (the very token it must predict); turn bidirectional off "
                "(use bidirectional for the time-series task instead)."
            )
        if vocab_size < 2:
            raise ConfigError(f"the vocabulary needs at least 2 tokens (got {vocab_size}).")
        if emb_dim < 1:
            raise ConfigError(f"embedding size must be at least 1 (got {emb_dim}).")
        self.cfg = cfg
        self.vocab_size = vocab_size
        self.emb_dim = emb_dim
        self.pad_id = pad_id
        self.hidden_size = cfg.hidden_size
        self.num_directions = 1
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        self.rnn = make_rnn(emb_dim, cfg)
        self.head = nn.Linear(cfg.hidden_size, vocab_size)

    def embed(self, ids: Tensor) -> Tensor:
        """(B, T) long ids -> (B, T, E) vectors."""
        return self.embedding(ids)

    def forward(self, ids: Tensor) -> Tensor:
        seq, _ = self.rnn(self.embed(ids))  # (B, T, E) -> (B, T, Hd)
        return self.readout(seq)

    def readout(self, seq: Tensor) -> Tensor:
        """Last-layer output sequence (B, T, Hd) -> (B, T, V) logits."""
        return self.head(seq)
