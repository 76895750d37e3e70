"""Vocabulary: specials, ordering, min_freq, max_size, unknowns, saving."""

from __future__ import annotations

import json

import pytest

from seqlab.errors import DataError
from seqlab.text import SPECIALS, Vocab

TOKENS = ["b", "a", "c", "a", "b", "d", "a", "c", "e"]  # a:3 b:2 c:2 d:1 e:1


def test_specials_come_first() -> None:
    v = Vocab.build(TOKENS)
    assert SPECIALS == ("<pad>", "<unk>", "<bos>", "<eos>")
    assert v.itos[:4] == list(SPECIALS)
    assert (v.pad_id, v.unk_id, v.bos_id, v.eos_id) == (0, 1, 2, 3)
    assert v.stoi["<pad>"] == 0 and v.stoi["<eos>"] == 3


def test_order_by_frequency_then_first_appearance() -> None:
    v = Vocab.build(TOKENS)
    assert v.itos[4:] == ["a", "b", "c", "d", "e"]
    assert v.counts[4:] == [3, 2, 2, 1, 1]
    assert len(v) == 9
    assert Vocab.build(TOKENS) == v  # deterministic


def test_min_freq_and_max_size() -> None:
    assert Vocab.build(TOKENS, min_freq=2).itos[4:] == ["a", "b", "c"]
    v = Vocab.build(TOKENS, max_size=6)
    assert len(v) == 6 and v.itos[4:] == ["a", "b"]
    assert Vocab.build(TOKENS, min_freq=2, max_size=100).itos[4:] == ["a", "b", "c"]
    with pytest.raises(DataError, match="min_freq"):
        Vocab.build(TOKENS, min_freq=0)
    with pytest.raises(DataError, match="max_size"):
        Vocab.build(TOKENS, max_size=4)


def test_encode_decode_unknown() -> None:
    v = Vocab.build(TOKENS, min_freq=2)
    assert v.encode(["a", "z", "c", "<eos>"]) == [4, 1, 6, 3]
    assert v.decode([4, 1, 6, 3]) == ["a", "<unk>", "c", "<eos>"]
    assert v.unknown_count(["a", "d", "e", "z", "<eos>"]) == 3
    assert "a" in v and "d" not in v
    with pytest.raises(DataError, match="outside the vocabulary"):
        v.decode([99])


def test_special_strings_in_text_are_not_duplicated() -> None:
    v = Vocab.build(["<eos>", "x", "<unk>", "x"])
    assert v.itos == [*SPECIALS, "x"]


def test_dict_and_json_round_trip() -> None:
    v = Vocab.build(["나는", "밥을", "나는", "먹었다"], max_size=50)
    raw = json.loads(json.dumps(v.to_dict()))
    back = Vocab.from_dict(raw)
    assert back == v and back.counts == v.counts and back.max_size == 50
    assert Vocab.from_json(v.to_json()).itos == v.itos
    assert "나는" in v.to_json()  # readable JSON, not escaped
    with pytest.raises(DataError):
        Vocab.from_dict({"tokens": "oops"})
    with pytest.raises(DataError):
        Vocab.from_dict({"specials": ["<s>"], "tokens": []})
    with pytest.raises(DataError):
        Vocab.from_json("{not json")
