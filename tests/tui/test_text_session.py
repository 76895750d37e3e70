"""The text mode's Textual-free session: tokenization cached once, the run config it makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqlab.config import ModelConfig, TrainConfig
from seqlab.errors import SeqlabError
from seqlab.tui.textlab.session import BUNDLED, DEFAULT_TEXT, TextSession


def _config(session: TextSession, window: int = 16):
    return session.config(ModelConfig(cell="gru", hidden_size=8), TrainConfig(epochs=1),
                          window=window, embedding=8)


def test_showing_the_tokens_and_starting_a_run_tokenize_the_corpus_once() -> None:
    session = TextSession("runs")
    corpus = str(BUNDLED["ko"])
    result = session.tokenize(DEFAULT_TEXT, "char", corpus, 1, 0)
    session.adopt(DEFAULT_TEXT, result, 1, 0)
    assert session.tokenize_calls == 2  # the corpus, and the typed text against its vocabulary
    assert result.source_lines > 100 and result.n_tokens == len(DEFAULT_TEXT.replace("\n", ""))
    cfg = _config(session)
    session.check_fits(cfg)  # ctrl+t: the text is checked from the cached tokens
    session.tokenize(DEFAULT_TEXT, "char", corpus, 2, 0)  # a vocabulary limit changed
    assert session.tokenize_calls == 2
    assert cfg.text.path == str(Path(corpus).absolute()) and cfg.text.text is None


def test_a_text_too_small_for_the_window_is_refused_in_one_line() -> None:
    session = TextSession("runs", "가나다\n")
    session.adopt("가나다\n", session.tokenize("가나다\n", "char", "", 1, 0), 1, 0)
    with pytest.raises(SeqlabError, match="window 16"):
        session.check_fits(_config(session))


def test_bad_vocabulary_limits_and_files_are_refused() -> None:
    session = TextSession("runs")
    with pytest.raises(SeqlabError, match="minimum frequency"):
        session.tokenize(DEFAULT_TEXT, "char", "", 0, 0)
    with pytest.raises(SeqlabError, match="cannot read"):
        session.stream("char", "/no/such/corpus.txt")
    empty = session.tokenize("   ", "char", "", 1, 0)
    assert empty.error and empty.n_tokens == 0


def test_only_the_default_window_is_fitted_to_a_small_text() -> None:
    text = "나는 밥을 먹었다.\n" * 6  # 66 char tokens: too few for window 16, enough for 4
    session = TextSession("runs", text)
    session.adopt(text, session.tokenize(text, "char", "", 1, 0), 1, 0)
    default = session.config(ModelConfig(hidden_size=8), TrainConfig(epochs=1), window=16,
                             embedding=8)
    note = session.check_fits(default)
    assert note.startswith("window 16 → ") and "choose a window" in note  # said, in one line
    chosen = session.config(ModelConfig(hidden_size=8), TrainConfig(epochs=1), window=16,
                            embedding=8, fit_window=False)
    with pytest.raises(SeqlabError) as exc:  # a chosen window is kept: refused with the remedy
        session.check_fits(chosen)
    assert "window 16" in str(exc.value) and "lower the window" in str(exc.value)
    assert "\n" not in str(exc.value)
    fits = session.config(ModelConfig(hidden_size=8), TrainConfig(epochs=1), window=4,
                          embedding=8, fit_window=False)
    assert session.check_fits(fits) == "" and fits.text.window == 4
