"""The text mode's state, free of Textual: the typed text, the corpus, the tokenizer and the
vocabulary limits, their tokenization (cached), and the run config they make.

Tokenizing is the costly part (a corpus of thousands of lines, or Kiwi's morphemes), so each
stream is tokenized once per (text or file, tokenizer) and reused: showing the chips, checking
that the text fits a window before a run starts, and the run config all read the same cache.
Methods may run in a worker thread; one lock guards the caches.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqlab.config import ModelConfig, TextConfig, TextRunConfig, TrainConfig
from seqlab.errors import SeqlabError
from seqlab.samples import sample_dir
from seqlab.text import EOS, SPECIALS, UNK_ID, Vocab

TEXT_SAMPLES = sample_dir() / "text"
BUNDLED = {"ko": TEXT_SAMPLES / "ko_sentences.txt", "en": TEXT_SAMPLES / "en_sentences.txt"}
DEFAULT_TEXT = (
    "나는 밥을 많이 먹었다.\n"
    "오늘은 비가 조금 왔다.\n"
    "친구와 함께 학교에 갔다.\n"
    "나는 밥을 먹고 학교에 갔다.\n"
)
DEFAULT_TEXT_EN = (
    "I ate a lot of rice.\n"
    "It rained a little today.\n"
    "I went to school with a friend.\n"
    "I ate rice and went to school.\n"
)
DEFAULT_TEXTS = {"ko": DEFAULT_TEXT, "en": DEFAULT_TEXT_EN}


@dataclass
class Tokenized:
    """The typed text's tokens against the current vocabulary."""

    tokenizer: str
    tokens: list[str] = field(default_factory=list)  # typed text, <eos> after each line
    ids: list[int] = field(default_factory=list)
    n_tokens: int = 0  # typed tokens without <eos>
    unknown: int = 0
    vocab: Vocab | None = None
    source: str = "typed text"
    source_tokens: int = 0
    source_lines: int = 0
    error: str = ""  # the typed text cannot be tokenized (empty, ...)
    corpus: str = ""  # the corpus file it was built with ("" = the typed text)


def vocab_limits(min_freq: int, max_size: int) -> tuple[int, int | None]:
    """Checked vocabulary limits (max_size 0 = no limit)."""
    if min_freq < 1:
        raise SeqlabError("minimum frequency must be at least 1.")
    if 0 < max_size <= len(SPECIALS):
        raise SeqlabError(f"maximum vocabulary size must be 0 (no limit) or above "
                          f"{len(SPECIALS)} (the special tokens).")
    return min_freq, (max_size or None)


class TextSession:
    """What the text mode trains on and how it tokenizes it."""

    def __init__(self, runs_dir: str = "runs", text: str = DEFAULT_TEXT) -> None:
        self.runs_dir = runs_dir
        self.text = text
        self.tokenizer = "char"
        self.corpus = ""  # a .txt file in use ("" = the typed text is the corpus)
        self.min_freq = 1
        self.max_size = 0
        self.tokenized: Tokenized | None = None
        self._lock = threading.Lock()
        self._streams: dict[tuple[Any, ...], tuple[list[str], int]] = {}
        self.tokenize_calls = 0  # tokenizer passes over any text (measured by the tests)

    # -- tokenizing, cached ----------------------------------------------------------------
    def stream(self, tokenizer: str, corpus: str = "", text: str | None = None
               ) -> tuple[list[str], int]:
        """``tokenize_lines`` of the corpus file (or of ``text``), computed once per content
        and tokenizer. Raises SeqlabError (one line) for an unreadable file or empty text."""
        from seqlab.text import get_tokenizer, load_text, tokenize_lines

        if corpus:
            p = Path(corpus).expanduser()
            try:
                key: tuple[Any, ...] = ("file", str(p.resolve()), p.stat().st_mtime, tokenizer)
            except OSError as exc:
                raise SeqlabError(f"cannot read {corpus}: {exc.strerror or exc}") from None
        else:
            key = ("text", text if text is not None else self.text, tokenizer)
        with self._lock:
            cached = self._streams.get(key)
        if cached is not None:
            return cached
        tok = get_tokenizer(tokenizer)
        body = load_text(p).text if corpus else key[1]
        result = tokenize_lines(body, tok)
        with self._lock:
            self.tokenize_calls += 1
            # keep the newest few: the corpus, and the typed text as it is being edited
            while len(self._streams) >= 4:
                self._streams.pop(next(iter(self._streams)))
            self._streams[key] = result
        return result

    def tokenize(self, text: str, tokenizer: str, corpus: str, min_freq: int,
                 max_size: int) -> Tokenized:
        """The typed ``text`` against the vocabulary of the corpus (or of the text itself).

        Raises SeqlabError for a tokenizer that cannot be made, an unreadable corpus or bad
        vocabulary limits; an empty typed text is reported in ``error``. Adopted (``self``
        changes) only by :meth:`adopt`."""
        from seqlab.text import get_tokenizer

        min_freq, max_size_or_none = vocab_limits(min_freq, max_size)
        tok = get_tokenizer(tokenizer)
        source_stream, source_lines = self.stream(tok.name, corpus) if corpus else (None, 0)
        result = Tokenized(tokenizer=tok.name, corpus=corpus)
        try:
            stream, n_lines = self.stream(tok.name, "", text)
        except SeqlabError as exc:
            stream, n_lines = [], 0
            result.error = str(exc)
        result.tokens = stream
        base = source_stream if source_stream is not None else stream
        result.source = Path(corpus).name if corpus else "typed text"
        result.source_tokens = sum(1 for t in base if t != EOS)
        result.source_lines = source_lines if corpus else n_lines
        if base:
            result.vocab = Vocab.build(base, min_freq=min_freq, max_size=max_size_or_none)
            result.ids = result.vocab.encode(stream)
        else:
            result.ids = [UNK_ID] * len(stream)
        typed = [t for t in stream if t != EOS]
        result.n_tokens = len(typed)
        result.unknown = result.vocab.unknown_count(typed) if result.vocab else len(typed)
        return result

    def adopt(self, text: str, result: Tokenized, min_freq: int, max_size: int) -> None:
        """Make a tokenization the one in use (with the settings that produced it)."""
        self.text = text
        self.tokenizer = result.tokenizer
        self.corpus = result.corpus
        self.min_freq, self.max_size = min_freq, max_size
        self.tokenized = result

    # -- the run ---------------------------------------------------------------------------
    def config(self, model: ModelConfig, train: TrainConfig, *, window: int,
               embedding: int, fit_window: bool = True) -> TextRunConfig:
        """The TextRunConfig of the session and these settings, validated (SeqlabError).

        ``fit_window``: True for the default window, which a short text shortens (and a note
        says so); False for a window the user chose, which is kept or refused with the reason,
        as ``seqlab text-train --window`` does."""
        from seqlab.text import check_text

        min_freq, max_size = vocab_limits(self.min_freq, self.max_size)
        if not self.corpus:
            check_text(self.text)  # empty / whitespace only: the engine's one line
        text_cfg = TextConfig(
            path=str(Path(self.corpus).expanduser().absolute()) if self.corpus else "",
            text=None if self.corpus else self.text,
            tokenizer=self.tokenizer,
            window=window,
            min_freq=min_freq,
            max_size=max_size or 0,
            embedding=embedding,
            fit_window=fit_window,
        )
        cfg = TextRunConfig(text=text_cfg, model=model, train=train)
        cfg.validate()
        return cfg

    def check_fits(self, cfg: TextRunConfig) -> str:
        """Refuse (SeqlabError, one line) a text too small for the window and a validation
        split, from the cached tokens: nothing is tokenized again here. Returns the engine's
        note when the default window was shortened to fit the text ("" otherwise)."""
        from seqlab.text import make_lm_dataset

        t = cfg.text
        stream = self.stream(t.tokenizer, self.corpus) if self.corpus else \
            self.stream(t.tokenizer, "", self.text)
        data = make_lm_dataset("", tokenizer=t.tokenizer, window=t.window, split=t.split,
                               min_freq=t.min_freq, max_size=t.max_size or None,
                               stride=t.effective_stride, tokens=stream,
                               fit_window=t.fit_window)
        if len(data.train) == 0 or len(data.val) == 0:
            raise SeqlabError("the text is too small for a validation split: add text or lower "
                              "the window.")
        if data.window == t.window:
            return ""
        return next((n for n in data.notes if n.startswith(f"window {t.window} ")), "")
