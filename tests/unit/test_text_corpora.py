"""The bundled corpora: size, encoding, determinism, Korean particles, usable for the LM."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from seqlab.text import get_tokenizer, make_lm_dataset, read_text

TEXT_DIR = Path(__file__).resolve().parents[2] / "sample_data" / "text"


def _maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpora", TEXT_DIR / "make_corpora.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["ko_sentences.txt", "en_sentences.txt"])
def test_corpus_files(name: str) -> None:
    text = read_text(TEXT_DIR / name)
    lines = text.split("\n")
    assert lines[-1] == ""
    sentences = lines[:-1]
    assert len(sentences) >= 400
    assert all(s.strip() == s and s.endswith(".") for s in sentences)
    for tok in ("char", "jamo", "word"):
        d = make_lm_dataset(text, tok, window=16)
        assert d.n_lines == len(sentences)
        assert d.unigram_perplexity > 1
        assert get_tokenizer(tok).decode(get_tokenizer(tok).encode(text)) == text


def test_files_are_what_the_script_writes() -> None:
    pairs = _maker().diary()
    ko = (TEXT_DIR / "ko_sentences.txt").read_text(encoding="utf-8")
    en = (TEXT_DIR / "en_sentences.txt").read_text(encoding="utf-8")
    assert ko == "".join(k + "\n" for k, _ in pairs)
    assert en == "".join(e + "\n" for _, e in pairs)
    assert "나는 밥을 많이 먹었다." in ko.split("\n")
    assert (TEXT_DIR / "README.md").read_text(encoding="utf-8").count("CC0") >= 1


def test_korean_particles_follow_batchim() -> None:
    m = _maker()
    assert [m.topic(w) for w in ("나", "동생", "지영", "민수")] == [
        "나는",
        "동생은",
        "지영은",
        "민수는",
    ]
    assert [m.subj(w) for w in ("엄마", "동생", "눈")] == ["엄마가", "동생이", "눈이"]
    assert [m.obj(w) for w in ("밥", "사과", "물")] == ["밥을", "사과를", "물을"]
    assert [m.with_(w) for w in ("친구", "동생")] == ["친구와", "동생과"]
    assert [m.josa(w, "으로", "로") for w in ("버스", "지하철", "집")] == [
        "버스로",
        "지하철로",
        "집으로",
    ]


def test_korean_corpus_particles_are_consistent() -> None:
    m = _maker()
    pairs = {"은": "는", "이": "가", "을": "를", "과": "와"}
    nouns = {p[0] for p in m.PEOPLE} | {f for f, _ in m.FOODS} | {d for d, *_ in m.DRINKS}
    nouns |= {i for i, _ in m.ITEMS} | {a for a, _ in m.ANIMALS}
    text = (TEXT_DIR / "ko_sentences.txt").read_text(encoding="utf-8")
    checked = 0
    for word in text.replace(".", " ").split():
        stem, particle = word[:-1], word[-1]
        if stem in nouns and (particle in pairs or particle in pairs.values()):
            first = particle in pairs
            pair = (
                (particle, pairs[particle])
                if first
                else (next(k for k, v in pairs.items() if v == particle), particle)
            )
            assert m.josa(stem, *pair) == word, word
            checked += 1
    assert checked > 500
