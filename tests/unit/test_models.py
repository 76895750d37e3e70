"""SeqModel, LanguageModel, parameter counts and the one-line model picture."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
import torch
from torch import nn

from seqlab.config import ModelConfig
from seqlab.errors import ConfigError
from seqlab.models import (
    LanguageModel,
    SeqModel,
    build_model,
    count_params,
    describe,
    estimate_lm_params,
    estimate_params,
)

CELLS = ("rnn", "lstm", "gru")


def cfg(cell: str = "lstm", hidden: int = 8, layers: int = 1, bi: bool = False, dropout=0.0):
    return ModelConfig(
        cell=cell, hidden_size=hidden, num_layers=layers, bidirectional=bi, dropout=dropout
    )


@pytest.mark.parametrize("cell", CELLS)
def test_fused_module_matches_config(cell: str) -> None:
    m = build_model(3, 2, cfg(cell, hidden=7, layers=2, bi=True, dropout=0.25))
    assert isinstance(m, SeqModel)
    assert isinstance(m.rnn, {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell])
    assert m.rnn.batch_first and m.rnn.bidirectional
    assert (m.rnn.input_size, m.rnn.hidden_size, m.rnn.num_layers) == (3, 7, 2)
    assert m.rnn.dropout == 0.25
    assert (m.head.in_features, m.head.out_features) == (14, 2)
    if cell == "rnn":
        assert m.rnn.nonlinearity == "tanh"


def test_dropout_only_between_layers() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns about dropout on a single layer
        m = build_model(2, 1, cfg("gru", layers=1, dropout=0.5))
    assert m.rnn.dropout == 0.0


def test_bad_config_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        build_model(2, 1, ModelConfig(cell="transformer"))  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        build_model(2, 1, cfg(hidden=0))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_unidirectional_reads_last_hidden_state(cell: str, layers: int) -> None:
    torch.manual_seed(0)
    m = build_model(3, 4, cfg(cell, layers=layers)).eval()
    x = torch.randn(5, 11, 3)
    out = m(x)
    assert out.shape == (5, 4)
    _, state = m.rnn(x)
    h_n = state[0] if cell == "lstm" else state  # (L*D, B, Hd)
    torch.testing.assert_close(out, m.head(h_n[-1]))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_bidirectional_readout_picks_right_halves(cell: str, layers: int) -> None:
    torch.manual_seed(1)
    m = build_model(3, 2, cfg(cell, hidden=6, layers=layers, bi=True)).eval()
    x = torch.randn(4, 9, 3)
    _, state = m.rnn(x)
    h_n = state[0] if cell == "lstm" else state  # (L*2, B, Hd): last layer fwd, then bwd
    expected = m.head(torch.cat([h_n[-2], h_n[-1]], dim=-1))
    torch.testing.assert_close(m(x), expected)
    seq, _ = m.rnn(x)
    torch.testing.assert_close(m.readout(seq), expected)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("bi", [False, True])
def test_param_counts(cell: str, layers: int, bi: bool) -> None:
    c = cfg(cell, hidden=5, layers=layers, bi=bi)
    m = build_model(4, 3, c)
    n = sum(p.numel() for p in m.parameters())
    assert count_params(m) == n
    assert estimate_params(c, 4, 3) == n


def test_count_params_skips_frozen() -> None:
    m = build_model(2, 1, cfg("rnn"))
    m.head.weight.requires_grad_(False)
    assert count_params(m) == sum(p.numel() for p in m.parameters()) - m.head.weight.numel()


def test_describe_from_config_and_model() -> None:
    c = cfg("lstm", hidden=64, layers=2, bi=True)
    line = "(batch, 24, 3) → LSTM ×2 (64, bi) → last h (128) → Dense → (batch, 1)"
    assert describe(c, 3, 24, 1) == line
    assert describe(build_model(3, 1, c), window=24) == line
    assert (
        describe(cfg("gru", hidden=16))
        == "(batch, T, F) → GRU (16) → last h (16) → Dense → (batch, H)"
    )
    assert "dropout 0.2" in describe(cfg("rnn", layers=2, dropout=0.2), 1, 5, 1)


def test_describe_language_model() -> None:
    lm = LanguageModel(500, 32, cfg("gru", hidden=64))
    line = "(batch, T) ids → Embedding (500 × 32) → GRU (64) → h every step (64) → Dense → (batch, T, 500)"
    assert describe(lm) == line
    assert describe(lm.cfg, vocab_size=500, emb_dim=32) == line


@pytest.mark.parametrize("cell", CELLS)
def test_language_model_shapes(cell: str) -> None:
    torch.manual_seed(0)
    lm = LanguageModel(30, 6, cfg(cell, hidden=10, layers=2), pad_id=0)
    ids = torch.randint(0, 30, (3, 12))
    logits = lm(ids)
    assert logits.shape == (3, 12, 30)
    assert lm.embed(ids).shape == (3, 12, 6)
    seq, _ = lm.rnn(lm.embed(ids))
    assert lm.readout(seq).shape == (3, 12, 30)
    assert torch.all(lm.embedding.weight[0] == 0)  # the pad row
    n = sum(p.numel() for p in lm.parameters())
    assert count_params(lm) == n == estimate_lm_params(lm.cfg, 30, 6)


def test_language_model_is_causal() -> None:
    """Changing a later token never changes the logits at earlier positions."""
    torch.manual_seed(0)
    lm = LanguageModel(20, 4, cfg("lstm", hidden=8, layers=2)).eval()
    ids = torch.randint(1, 20, (1, 10))
    other = ids.clone()
    other[0, 6] = (ids[0, 6] % 19) + 1
    torch.testing.assert_close(lm(ids)[:, :6], lm(other)[:, :6])


def test_bidirectional_language_model_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        LanguageModel(50, 8, cfg("lstm", bi=True))
    msg = str(err.value)
    assert "future" in msg and "bidirectional" in msg and "\n" not in msg


def test_bad_vocab_is_refused() -> None:
    with pytest.raises(ConfigError):
        LanguageModel(1, 8, cfg())


def test_describe_import_is_torch_free() -> None:
    code = (
        "import sys; import seqlab.models; from seqlab.models.info import describe; "
        "from seqlab.config import ModelConfig; describe(ModelConfig(), 1, 2, 3); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
