"""Language-model data: one token-id stream, a chronological train/val split, next-token windows.

Each non-blank line (a sentence) is tokenized and followed by ``<eos>``; the lines are joined into
one long stream. The first ``split[0]`` of the stream is training, the rest validation (cut at a
token, not shuffled). The vocabulary is built on the training part only, so validation tokens it
has never seen become ``<unk>``. Window ``i`` of a part has inputs ``ids[s:s+W]`` and targets
``ids[s+1:s+W+1]`` with ``s = i * stride``: both are numpy views into the part's int64 ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from seqlab.errors import DataError
from seqlab.text.io import check_text
from seqlab.text.tokenizers import Tokenizer, get_tokenizer, join_morphemes, starts_word
from seqlab.text.vocab import BOS, EOS, PAD, Vocab


@dataclass
class LMSplit:
    """One part of the stream and its windows."""

    name: str  # "train" | "val"
    ids: np.ndarray  # (n,) int64 token ids of this part of the stream
    x: np.ndarray  # (N, W) int64 input windows (views of ids)
    y: np.ndarray  # (N, W) int64 next-token targets (views of ids, shifted by one)
    starts: np.ndarray  # (N,) int64 stream position of each window's first input token
    offset: int  # stream position of ids[0]

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass
class LMData:
    """Everything a next-token run needs from a text."""

    tokenizer: Tokenizer
    vocab: Vocab
    tokens: list[str]  # the whole stream as token strings (before <unk>), "<eos>" after each line
    ids: np.ndarray  # (n,) int64, the whole stream as ids
    n_train: int  # stream positions [0, n_train) are training
    train: LMSplit
    val: LMSplit
    window: int
    stride: int
    n_lines: int
    unigram_perplexity: float  # baseline on val targets: add-one unigram from training counts
    val_unknown: int  # val tokens that became <unk>
    notes: list[str] = field(default_factory=list)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def split(self, name: str) -> LMSplit:
        if name not in ("train", "val"):
            raise DataError(f"unknown split {name!r}: use train or val.")
        return self.train if name == "train" else self.val

    def input_tokens(self, split: LMSplit | str, i: int) -> list[str]:
        """The original token strings of window ``i``'s inputs."""
        s = self._start(split, i)
        return self.tokens[s : s + self.window]

    def target_tokens(self, split: LMSplit | str, i: int) -> list[str]:
        """The original token strings of window ``i``'s targets (inputs shifted by one)."""
        s = self._start(split, i)
        return self.tokens[s + 1 : s + 1 + self.window]

    def text_of(self, ids: list[int] | np.ndarray) -> str:
        """Ids -> readable text: ``<eos>`` ends a line, ``<pad>``/``<bos>`` are dropped."""
        return ids_to_text(ids, self.vocab, self.tokenizer)

    def shapes(self) -> dict[str, list[int]]:
        return {"train": list(self.train.x.shape), "val": list(self.val.x.shape)}

    def _start(self, split: LMSplit | str, i: int) -> int:
        part = self.split(split) if isinstance(split, str) else split
        if not 0 <= i < len(part):
            raise DataError(f"window {i} does not exist: the {part.name} part has {len(part)}.")
        return int(part.starts[i])


def ids_to_text(ids: list[int] | np.ndarray, vocab: Vocab, tokenizer: Tokenizer | str) -> str:
    """Decode model ids to text with the tokenizer; ``<eos>`` becomes a newline."""
    return tokens_to_text(vocab.decode(int(i) for i in ids), get_tokenizer(tokenizer))


# tokenizers that decode without loading anything (a morpheme tokenizer loads Kiwi's model)
_LIGHT_DECODERS = ("char", "jamo", "word")


def tokens_to_text(tokens: Iterable[str], tokenizer: Tokenizer | str) -> str:
    """Tokens to text: ``<eos>`` ends a line, ``<pad>`` / ``<bos>`` are dropped.

    A tokenizer given by name is only built when it decodes without loading a model (char, jamo,
    word); morphemes given by name are joined into words without loading Kiwi's model (with Kiwi's
    own join only if this process has loaded it already; see :func:`join_morphemes`).
    """
    if isinstance(tokenizer, Tokenizer):
        decode = tokenizer.decode
    elif tokenizer in _LIGHT_DECODERS:
        decode = get_tokenizer(tokenizer).decode
    elif tokenizer == "morph":
        decode = join_morphemes
    else:
        decode = " ".join
    lines: list[list[str]] = [[]]
    for tok in tokens:
        if tok == EOS:
            lines.append([])
        elif tok not in (PAD, BOS):
            lines[-1].append(tok)
    return "\n".join(decode(line) for line in lines)


def continuation_text(prompt: str, tokens: list[str], tokenizer: Tokenizer | str,
                      decoded: str | None = None) -> str:
    """The text to write after ``prompt`` for the generated ``tokens``.

    ``decoded`` is the tokens' text when it was decoded elsewhere (the model's process, where
    Kiwi is loaded); otherwise :func:`tokens_to_text` decodes them. Word and morpheme tokenizers
    separate words with a space: one goes between the prompt and the first generated token
    unless the prompt ends in whitespace, the generation starts a new line, or the first token
    attaches to the prompt's last word (a particle or ending: 공원 + 에서 -> 공원에서).
    """
    body = tokens_to_text(tokens, tokenizer) if decoded is None else decoded
    name = tokenizer.name if isinstance(tokenizer, Tokenizer) else tokenizer
    first = next((t for t in tokens if t not in (PAD, BOS)), "")
    if (name in ("word", "morph") and body and prompt and not prompt[-1].isspace()
            and not body[0].isspace() and first != EOS and starts_word(first)):
        return " " + body
    return body


def tokenize_lines(text: str, tokenizer: Tokenizer | str) -> tuple[list[str], int]:
    """Stream of tokens of every non-blank (stripped) line, each line followed by ``<eos>``."""
    tok = get_tokenizer(tokenizer)
    stream: list[str] = []
    n_lines = 0
    for line in check_text(text).split("\n"):
        line = line.strip()
        if not line:
            continue
        stream.extend(tok.encode(line))
        stream.append(EOS)
        n_lines += 1
    return stream, n_lines


def min_tokens_needed(window: int, split: tuple[float, float]) -> int:
    """Fewest stream tokens (``<eos>`` included) giving each part one window of ``window``."""
    need = window + 1
    lower = max(2 * need, (need - 1) / split[1], need / split[0])
    n = max(2 * need, int(lower) - 2)  # a lower bound; step up to the exact minimum
    while not _fits(n, need, split[0]):
        n += 1
    return n


def make_lm_dataset(
    text: str,
    tokenizer: Tokenizer | str = "char",
    vocab: Vocab | None = None,
    window: int = 32,
    split: tuple[float, float] = (0.9, 0.1),
    min_freq: int = 1,
    max_size: int | None = None,
    stride: int | None = None,
    fit_window: bool = False,
    tokens: tuple[list[str], int] | None = None,
) -> LMData:
    """Tokenize ``text``, split the stream chronologically and cut next-token windows.

    ``tokens``: ``tokenize_lines(text, tokenizer)`` already computed (a front end that has
    tokenized the text to show it passes it here instead of tokenizing it again).

    ``vocab`` None: build one from the training part (``min_freq``, ``max_size``); otherwise use
    the given one (e.g. a trained model's) for both parts. ``stride`` defaults to ``window``
    (windows side by side, no overlap). ``fit_window``: a text too short for ``window`` gets the
    longest window that gives each part one (stride scaled with it), and a note says so; a few
    typed sentences are what a learner starts with.
    """
    tok = get_tokenizer(tokenizer)
    stride = window if stride is None else stride
    if window < 1:
        raise DataError(f"window must be at least 1 token (got {window}).")
    if stride < 1:
        raise DataError(f"stride must be at least 1 token (got {stride}).")
    fractions = tuple(float(f) for f in split)
    if len(fractions) != 2 or min(fractions) <= 0 or abs(sum(fractions) - 1.0) > 1e-6:
        raise DataError(
            f"text split needs two fractions above 0 adding up to 1, train and val (got {split})."
        )
    train_frac = fractions[0]

    tokens, n_lines = tokens if tokens is not None else tokenize_lines(text, tok)
    n = len(tokens)
    notes: list[str] = []
    if fit_window and not _fits(n, window + 1, train_frac):
        fitted = next((w for w in range(window - 1, 1, -1) if _fits(n, w + 1, train_frac)), None)
        if fitted is not None:
            notes.append(f"window {window} → {fitted} tokens: the longest that leaves both parts "
                         f"a window in {n} tokens (choose a window to set it)")
            stride = max(1, round(stride * fitted / window))
            window = fitted
    need = window + 1
    if not _fits(n, need, train_frac):
        raise DataError(
            f"the text gives {n} tokens with the {tok.name} tokenizer (an <eos> ends each line), "
            f"but window {window} with a {fractions[1]:g} validation share needs at least "
            f"{min_tokens_needed(window, (fractions[0], fractions[1]))}: "
            f"{_FINER.get(tok.name, 'add text or lower the window')}."
        )
    n_train = _n_train(n, train_frac)
    if vocab is None:
        vocab = Vocab.build(tokens[:n_train], min_freq=min_freq, max_size=max_size)
        if len(vocab) <= 4:
            raise DataError(
                f"min_freq {min_freq} leaves no token in the vocabulary: lower min_freq (1 keeps all)."
            )
        notes.append(f"vocabulary of {len(vocab)} built on the training part only")
    else:
        non_eos = [t for t in tokens if t != EOS]
        if non_eos and vocab.unknown_count(non_eos) == len(non_eos):
            raise DataError(
                f"none of the text's {tok.name} tokens are in the model's vocabulary: use text in "
                "the model's language and its tokenizer, or train a new model on this text."
            )
        notes.append(f"using the given vocabulary of {len(vocab)}")

    ids = np.asarray(vocab.encode(tokens), dtype=np.int64)
    train = _windows("train", ids[:n_train], 0, window, stride)
    val = _windows("val", ids[n_train:], n_train, window, stride)
    val_unknown = vocab.unknown_count(tokens[n_train:])
    train_unknown = vocab.unknown_count(tokens[:n_train])
    if train_unknown:
        notes.append(f"{train_unknown} training tokens are <unk> (rare or unseen)")
    if val_unknown:
        notes.append(
            f"{val_unknown} of {len(val.ids)} validation tokens are not in the vocabulary (<unk>)"
        )
    ppl = unigram_perplexity(train.ids, val.y.reshape(-1), len(vocab))
    notes.append(f"unigram baseline perplexity on val: {ppl:.1f} (the model must beat it)")
    return LMData(
        tokenizer=tok,
        vocab=vocab,
        tokens=tokens,
        ids=ids,
        n_train=n_train,
        train=train,
        val=val,
        window=window,
        stride=stride,
        n_lines=n_lines,
        unigram_perplexity=ppl,
        val_unknown=val_unknown,
        notes=notes,
    )


def unigram_perplexity(train_ids: np.ndarray, eval_ids: np.ndarray, vocab_size: int) -> float:
    """Perplexity of ``eval_ids`` under add-one smoothed unigram frequencies of ``train_ids``.

    p(w) = (count_train(w) + 1) / (len(train_ids) + vocab_size), over every id of the vocabulary
    (what the model's softmax covers); perplexity = exp(-mean log p(w) over ``eval_ids``).
    """
    train_ids = np.asarray(train_ids, dtype=np.int64).reshape(-1)
    eval_ids = np.asarray(eval_ids, dtype=np.int64).reshape(-1)
    if eval_ids.size == 0:
        raise DataError("no validation tokens to score: add text or raise the validation share.")
    counts = np.bincount(train_ids, minlength=vocab_size).astype(np.float64)
    log_p = np.log(counts + 1.0) - np.log(train_ids.size + vocab_size)
    return float(np.exp(-log_p[eval_ids].mean()))


_FINER = {
    "word": "add text, lower the window, or choose a finer tokenizer (char or jamo)",
    "morph": "add text, lower the window, or choose a finer tokenizer (char or jamo)",
    "char": "add text or lower the window (for Korean, the jamo tokenizer gives more tokens)",
}


def _n_train(n: int, train_frac: float) -> int:
    return int(n * train_frac + 1e-9)


def _fits(n: int, need: int, train_frac: float) -> bool:
    n_train = _n_train(n, train_frac)
    return n_train >= need and n - n_train >= need


def _windows(name: str, ids: np.ndarray, offset: int, window: int, stride: int) -> LMSplit:
    x = sliding_window_view(ids[:-1], window)[::stride]
    y = sliding_window_view(ids[1:], window)[::stride]
    starts = offset + np.arange(x.shape[0], dtype=np.int64) * stride
    return LMSplit(name=name, ids=ids, x=x, y=y, starts=starts, offset=offset)
