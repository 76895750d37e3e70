"""Next-token data: the stream, the chronological split, windows and the unigram baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqlab.errors import DataError
from seqlab.text import (
    EOS_ID,
    UNK_ID,
    Vocab,
    ids_to_text,
    make_lm_dataset,
    min_tokens_needed,
    tokenize_lines,
    unigram_perplexity,
)

KO = "나는 아침에 밥을 많이 먹었다.\n동생은 학교에 갔다.\n엄마는 시장에 갔다.\n" * 20


def test_stream_has_eos_after_each_line() -> None:
    tokens, n_lines = tokenize_lines("ab\n\n  cd  \n", "char")
    assert tokens == ["a", "b", "<eos>", "c", "d", "<eos>"]
    assert n_lines == 2


def test_windows_are_shifted_views() -> None:
    d = make_lm_dataset(KO, "char", window=8)
    for part in (d.train, d.val):
        assert part.x.dtype == np.int64 and part.y.dtype == np.int64
        assert part.x.shape == part.y.shape and part.x.shape[1] == 8
        np.testing.assert_array_equal(part.x[:, 1:], part.y[:, :-1])
        for i in (0, len(part) - 1):
            s = int(part.starts[i])
            np.testing.assert_array_equal(part.x[i], d.ids[s : s + 8])
            np.testing.assert_array_equal(part.y[i], d.ids[s + 1 : s + 9])
        assert np.shares_memory(part.x, d.ids) and np.shares_memory(part.y, d.ids)
    assert np.all(np.diff(d.train.starts) == 8)  # stride defaults to the window
    assert d.input_tokens("train", 0) == list("나는 아침에 밥")
    assert d.target_tokens("train", 0) == list("는 아침에 밥을")


def test_stride_option() -> None:
    d = make_lm_dataset(KO, "char", window=8, stride=1)
    assert len(d.train) == d.n_train - 8
    assert len(d.val) == len(d.ids) - d.n_train - 8
    assert d.stride == 1


def test_chronological_split() -> None:
    d = make_lm_dataset(KO, "word", window=4, split=(0.8, 0.2))
    n = len(d.ids)
    assert d.n_train == int(n * 0.8)
    np.testing.assert_array_equal(d.train.ids, d.ids[: d.n_train])
    np.testing.assert_array_equal(d.val.ids, d.ids[d.n_train :])
    assert d.val.starts.min() >= d.n_train
    assert d.train.starts.max() + 4 < d.n_train
    assert d.shapes()["train"][1] == 4


def test_vocab_built_on_train_only() -> None:
    text = "a b a b a b\n" * 9 + "a b zebra\n"
    d = make_lm_dataset(text, "word", window=2, split=(0.9, 0.1))
    assert "zebra" not in d.vocab
    assert d.tokens.count("zebra") == 1
    assert d.val_unknown == 1
    assert UNK_ID in d.val.ids
    assert len(d.vocab) == 6  # 4 specials + a + b
    assert any("not in the vocabulary" in note for note in d.notes)


def test_given_vocab_is_used_and_all_unknown_rejected() -> None:
    vocab = Vocab.build(list("abc"))
    d = make_lm_dataset("abcabc\n" * 10 + "abd\n", "char", vocab=vocab, window=3)
    assert d.vocab is vocab
    assert d.val_unknown == 1
    with pytest.raises(DataError, match="none of the text's char tokens"):
        make_lm_dataset("xyz\n" * 50, "char", vocab=vocab, window=3)


def test_unigram_perplexity_function() -> None:
    # p(4) = (2+1)/(4+6) = 0.3, p(5) = (1+1)/(4+6) = 0.2
    ppl = unigram_perplexity(np.array([4, 4, 5, 3]), np.array([4, 5]), vocab_size=6)
    assert ppl == pytest.approx(1 / math.sqrt(0.3 * 0.2))


def test_unigram_perplexity_of_dataset_by_hand() -> None:
    # stream a <eos> b <eos> ... (20 tokens); train = first 10: a x3, b x2, <eos> x5
    d = make_lm_dataset("a\nb\n" * 5, "char", window=1, split=(0.5, 0.5), stride=1)
    assert d.vocab.itos == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b"]
    assert d.n_train == 10
    # val targets: <eos> x5, a x2, b x2 ; p = (count + 1) / (10 + 6)
    expected = math.exp(-(5 * math.log(6 / 16) + 2 * math.log(4 / 16) + 2 * math.log(3 / 16)) / 9)
    assert d.val.y.reshape(-1).tolist().count(EOS_ID) == 5
    assert d.unigram_perplexity == pytest.approx(expected)


def test_corpus_too_small_names_the_minimum() -> None:
    need = min_tokens_needed(32, (0.9, 0.1))
    assert need == 321  # floor(321 * 0.9) = 288 train tokens, 33 val tokens = window + 1
    with pytest.raises(DataError) as exc:
        make_lm_dataset("나는 밥을 먹었다.", "char", window=32)
    msg = str(exc.value)
    assert "\n" not in msg and f"at least {need}" in msg and "11 tokens" in msg
    # exactly the minimum works, one token fewer does not (one line = its chars + <eos>)
    make_lm_dataset("x" * (need - 1), "char", window=32)
    with pytest.raises(DataError, match=f"at least {need}"):
        make_lm_dataset("x" * (need - 2), "char", window=32)


def test_bad_settings() -> None:
    with pytest.raises(DataError, match="window"):
        make_lm_dataset(KO, "char", window=0)
    with pytest.raises(DataError, match="stride"):
        make_lm_dataset(KO, "char", window=4, stride=0)
    with pytest.raises(DataError, match="split"):
        make_lm_dataset(KO, "char", window=4, split=(0.9, 0.2))
    with pytest.raises(DataError, match="min_freq"):
        make_lm_dataset(KO, "char", window=4, min_freq=10_000)
    with pytest.raises(DataError, match="empty"):
        make_lm_dataset("  \n ", "char")
    with pytest.raises(DataError, match="unknown tokenizer"):
        make_lm_dataset(KO, "bpe")


def test_max_size_makes_unknowns_in_train() -> None:
    d = make_lm_dataset(KO, "char", window=8, max_size=10)
    assert len(d.vocab) == 10
    assert UNK_ID in d.train.ids
    assert d.vocab_size == 10


def test_ids_back_to_text() -> None:
    d = make_lm_dataset(KO, "word", window=4)
    ids = d.ids[:10]
    assert d.text_of(ids) == "나는 아침에 밥을 많이 먹었다.\n동생은 학교에 갔다.\n"
    assert ids_to_text([2, 4, 0], d.vocab, "word") == d.vocab.itos[4]
    jamo = make_lm_dataset(KO, "jamo", window=8)
    assert jamo.text_of(jamo.ids[:20]).startswith("나는 아침에 밥을")


def test_one_megabyte_line_dataset() -> None:
    line = "나는 밥을 많이 먹었다 " * 75_000  # about 1.9 MB of UTF-8 in one line
    d = make_lm_dataset(line, "char", window=64)
    assert d.n_lines == 1 and len(d.ids) == len(line.strip()) + 1
    assert len(d.train) > 1000


def test_default_window_fits_a_few_typed_sentences() -> None:
    """40 short sentences are too few tokens for a 32-token window with a 0.1 validation share:
    asked to fit, the window shrinks to the longest that leaves each part a window, and says so."""
    words = ["the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "the", "dog"]
    text = "\n".join(" ".join(words[i % 5: i % 5 + 5]) + "." for i in range(40))
    with pytest.raises(DataError, match="needs at least"):
        make_lm_dataset(text, "word", window=32)
    data = make_lm_dataset(text, "word", window=32, stride=8, fit_window=True)
    assert 2 <= data.window < 32
    assert len(data.train) > 0 and len(data.val) > 0
    assert any(f"window 32 → {data.window}" in note for note in data.notes)
    with pytest.raises(DataError):  # one more token per window no longer fits
        make_lm_dataset(text, "word", window=data.window + 1)
    same = make_lm_dataset(text * 20, "word", window=32, fit_window=True)
    assert same.window == 32 and not any("→" in n for n in same.notes)  # fits: unchanged
def test_tokens_to_text_ends_lines_at_eos_and_drops_padding() -> None:
    from seqlab.text.lm_data import tokens_to_text

    assert tokens_to_text(["<bos>", "나", "는", "<eos>", "밥", "<pad>"], "char") == "나는\n밥"
    assert tokens_to_text(["ᄇ", "ᅡ", "ᆸ"], "jamo") == "밥"
    assert tokens_to_text(["나는", "밥을"], "word") == "나는 밥을"
    assert tokens_to_text(["나", "는"], "morph") == "나 는"  # without loading Kiwi


def test_morphemes_by_name_are_joined_into_words_without_loading_kiwi() -> None:
    from seqlab.text import tokenizers as tok_module
    from seqlab.text.lm_data import tokens_to_text

    tok_module._load_kiwi.cache_clear()  # no Kiwi in this process: the bound-morpheme rule
    tokens = ["나/NP", "는/JX", "공원/NNG", "에서/JKB", "놀/VV", "았/EP", "다/EF", "./SF",
              "<eos>", "밥/NNG", "을/JKO"]
    assert tokens_to_text(tokens, "morph") == "나는 공원에서 놀았다.\n밥을"
    assert tok_module._load_kiwi.cache_info().currsize == 0  # nothing was loaded


@pytest.mark.parametrize(("prompt", "tokens", "tokenizer", "shown"), [
    ("나는 공원", ["에서/JKB", "놀/VV", "았/EP", "다/EF"], "morph", "나는 공원에서 놀았다"),
    ("나는", ["공원/NNG", "에서/JKB"], "morph", "나는 공원에서"),
    ("나는 ", ["공원/NNG"], "morph", "나는 공원"),
    ("나는", ["<eos>", "밥/NNG", "을/JKO"], "morph", "나는\n밥을"),
    ("I ate", ["rice", "today"], "word", "I ate rice today"),
    ("I ate ", ["rice"], "word", "I ate rice"),
    ("나", ["는", " ", "밥"], "char", "나는 밥"),
    ("나", ["ᄂ", "ᅳ", "ᆫ"], "jamo", "나는"),
])
def test_continuation_reads_as_words_after_the_prompt(
        prompt: str, tokens: list[str], tokenizer: str, shown: str) -> None:
    from seqlab.text import continuation_text

    assert prompt + continuation_text(prompt, tokens, tokenizer) == shown


def test_continuation_uses_text_decoded_elsewhere() -> None:
    from seqlab.text import continuation_text

    # the model's process joined the morphemes with Kiwi (하 + 었 -> 했)
    tokens = ["공원/NNG", "에서/JKB", "하/VV", "었/EP", "다/EF"]
    assert continuation_text("나는", tokens, "morph", decoded="공원에서 했다") == " 공원에서 했다"
    assert continuation_text("나는", tokens, "morph") == " 공원에서 하었다"  # the rule alone
