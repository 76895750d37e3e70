"""Tokenizers: round trips, jamo, words, the optional morph tokenizer, visible tokens."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

import pytest
from rich.cells import cell_len

from seqlab.errors import DataError
from seqlab.text import (
    MORPH_MISSING,
    TOKENIZERS,
    Tokenizer,
    Vocab,
    check_text,
    display_token,
    get_tokenizer,
    ids_to_text,
    join_morphemes,
    make_lm_dataset,
    split_morpheme,
)
from seqlab.text import tokenizers as tok_module

SAMPLES = [
    "나는 아침에 밥을 많이 먹었다.",
    "동생은  학교에 갔다!\n엄마는 시장에 갔다?\n\n",
    "  leading and trailing  ",
    "I ate a lot of rice.\nMy brother went to school, then home.",
    "tabs\tand\t\tdouble  spaces\n\n\nand newlines",
    "emoji 😀👍🏽 and 👨\u200d👩\u200d👧 family, 한글 🙂",
    "mixed 한국어 English 123 — «quotes» (parens) ㅋㅋㅋ ㅠㅠ",
    "\n",
    "x",
    "가",
    "é ñ ü ß 漢字 かな",
]


@pytest.mark.parametrize("name", ["char", "jamo", "word"])
@pytest.mark.parametrize("sample", SAMPLES)
def test_round_trip(name: str, sample: str) -> None:
    tok = get_tokenizer(name)
    text = unicodedata.normalize("NFC", sample)
    tokens = tok.encode(text)
    assert all(isinstance(t, str) and t for t in tokens)
    assert tok.decode(tokens) == text
    assert tok.lossless


def test_names_and_interface() -> None:
    assert TOKENIZERS == ("char", "jamo", "word", "morph")
    for name in ("char", "jamo", "word"):
        tok = get_tokenizer(name)
        assert isinstance(tok, Tokenizer) and tok.name == name
    assert get_tokenizer(" Word ").name == "word"
    same = get_tokenizer("char")
    assert get_tokenizer(same) is same
    with pytest.raises(DataError, match="unknown tokenizer 'bpe'"):
        get_tokenizer("bpe")


def test_char_keeps_spaces() -> None:
    assert get_tokenizer("char").encode("밥 먹") == ["밥", " ", "먹"]


def test_jamo_splits_han_into_three() -> None:
    tok = get_tokenizer("jamo")
    assert tok.encode("한") == ["\u1112", "\u1161", "\u11ab"]
    assert tok.encode("나는") == ["\u1102", "\u1161", "\u1102", "\u1173", "\u11ab"]
    assert tok.encode("a 한") == ["a", " ", "\u1112", "\u1161", "\u11ab"]
    assert tok.encode("ㅋ") == ["ㅋ"]  # compatibility jamo stay as characters
    assert tok.decode(["\u1112", "\u1161", "\u11ab", "\u1100", "\u1173", "\u11af"]) == "한글"
    assert len(tok.encode("밥을 많이 먹었다")) == 3 + 3 + 1 + 3 + 2 + 1 + 3 + 3 + 2


def test_word_tokens() -> None:
    tok = get_tokenizer("word")
    assert tok.encode("나는 밥을 많이 먹었다.") == ["나는", "밥을", "많이", "먹었다."]
    assert tok.encode("나는  밥을\n먹었다. ") == ["나는", "  ", "밥을", "\n", "먹었다.", " "]
    assert tok.encode(" a") == [" ", "a"]
    assert tok.decode(["I", "ate", "rice."]) == "I ate rice."  # generated words get spaces


def test_morph_missing_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "kiwipiepy", None)  # import now fails
    tok_module._load_kiwi.cache_clear()
    try:
        with pytest.raises(DataError) as exc:
            get_tokenizer("morph")
        assert str(exc.value) == MORPH_MISSING
        assert "python3 -m pip install kiwipiepy" in str(exc.value)
        assert "char, jamo or word" in str(exc.value)
        with pytest.raises(DataError, match="kiwipiepy"):
            make_lm_dataset("나는 밥을 먹었다.\n" * 100, "morph", window=4)
    finally:
        tok_module._load_kiwi.cache_clear()


def test_morph_real() -> None:
    pytest.importorskip("kiwipiepy")
    tok = get_tokenizer("morph")
    assert tok.name == "morph" and not tok.lossless
    tokens = tok.encode("나는 밥을 많이 먹었다.\n동생은 학교에 갔다.")
    assert "밥/NNG" in tokens and "\n" in tokens
    assert tok.decode(tokens).split("\n")[0].startswith("나는 밥을")


def test_text_package_imports_no_torch_or_textual() -> None:
    code = (
        "import sys, seqlab.text as t; t.make_lm_dataset('ab\\n' * 50, 'jamo', window=4); "
        "bad = [m for m in ('torch', 'textual') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_display_token_is_visible() -> None:
    assert display_token(" ") == "␣"
    assert display_token("\n") == "⏎"
    assert display_token("  ") == "␣␣"
    assert display_token("\t") == "⇥"
    assert display_token("\u11ab") == "ㄴ"  # final ㄴ (width 0 in Rich) -> compatibility jamo
    assert display_token("\u1112") == "ㅎ"
    assert display_token("\u1161") == "ㅏ"
    assert display_token("\u11b0") == "ㄺ"
    assert display_token("한") == "한"
    assert display_token("<eos>") == "<eos>"
    odd = ["", "\u200d", "\u0301", "\x01", "\x7f", "\u3000", "\xa0", "😀", "é", "abc"]
    jamo = get_tokenizer("jamo").encode(check_text("한국어 밥을 많이 먹었다 읽었다 닭 값"))
    for tok in odd + jamo + [chr(c) for c in range(0x1100, 0x1200)]:
        shown = display_token(tok)
        assert cell_len(shown) >= 1, (tok, shown)


class _FakeToken:
    def __init__(self, form: str, tag: str) -> None:
        self.form, self.tag = form, tag


class _FakeKiwi:
    """Stands in for kiwipiepy.Kiwi: a fixed analysis, and a join that contracts 하+었."""

    ANALYSIS = {"나는 공원에서 했다.": [("나", "NP"), ("는", "JX"), ("공원", "NNG"),
                                     ("에서", "JKB"), ("하", "VV"), ("었", "EP"), ("다", "EF"),
                                     (".", "SF")]}
    joined: list[list[tuple[str, str]]] = []

    def tokenize(self, line: str) -> list[_FakeToken]:
        return [_FakeToken(f, t) for f, t in self.ANALYSIS[line]]

    def join(self, morphs: list[tuple[str, str]]) -> str:
        _FakeKiwi.joined.append(list(morphs))
        text = join_morphemes([f"{f}/{t}" for f, t in morphs], kiwi=False)
        return text.replace("하었", "했")


def test_morph_tokens_carry_tags_and_join_back_into_words(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    fake = types.ModuleType("kiwipiepy")
    fake.Kiwi = _FakeKiwi  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kiwipiepy", fake)
    tok_module._load_kiwi.cache_clear()
    try:
        tok = get_tokenizer("morph")
        tokens = tok.encode("나는 공원에서 했다.")
        assert tokens[:4] == ["나/NP", "는/JX", "공원/NNG", "에서/JKB"]
        assert tok.decode(tokens + ["\n"] + tokens) == "나는 공원에서 했다.\n나는 공원에서 했다."
        assert _FakeKiwi.joined[-1][4:7] == [("하", "VV"), ("었", "EP"), ("다", "EF")]
        # generated ids go through the tokenizer's decode too
        vocab = Vocab.build(tokens)
        assert ids_to_text(vocab.encode(tokens), vocab, tok) == "나는 공원에서 했다."
        assert join_morphemes(tokens) == "나는 공원에서 했다."  # the loaded Kiwi is reused
    finally:
        tok_module._load_kiwi.cache_clear()


def test_morph_join_without_kiwi_attaches_bound_morphemes() -> None:
    tok_module._load_kiwi.cache_clear()
    tokens = ["나/NP", "는/JX", "공원/NNG", "에서/JKB", "놀/VV", "았/EP", "다/EF", "./SF"]
    assert join_morphemes(tokens) == "나는 공원에서 놀았다."
    assert join_morphemes(["밥", "을", "\n", "먹/VV"]) == "밥 을\n먹"  # untagged: as before
    assert display_token("먹/VV") == "먹" and display_token("AC/DC") == "AC/DC"
    assert split_morpheme("//SP") == ("/", "SP") and split_morpheme("a/b") == ("a/b", "")


def test_one_install_hint_for_the_korean_extra() -> None:
    """Every install command for Kiwi in the package and the README is the one KO_INSTALL."""
    import re
    from pathlib import Path

    from seqlab.wording import KO_INSTALL

    root = Path(__file__).resolve().parents[2]
    command = re.compile(r"(?:python3? -m )?pip3? install ['\"]?[^\s`'\")]+")
    files = [root / "README.md", *sorted((root / "seqlab").rglob("*.py"))]
    found = [(f.name, m) for f in files for m in command.findall(f.read_text(encoding="utf-8"))
             if "kiwi" in m or "[ko]" in m]
    assert found and all(m == KO_INSTALL for _f, m in found), found
    assert KO_INSTALL in MORPH_MISSING
