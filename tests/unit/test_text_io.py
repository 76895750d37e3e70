"""Reading corpora and checking typed text."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from seqlab.errors import DataError
from seqlab.text import check_text, get_tokenizer, load_text, read_text

KO = "나는 아침에 밥을 많이 먹었다.\n동생은 학교에 갔다.\n"


def _one_line(exc: pytest.ExceptionInfo[DataError]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg
    return msg


def test_utf8_with_and_without_bom(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_bytes(KO.encode("utf-8"))
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + KO.encode("utf-8"))
    assert read_text(plain) == KO
    assert read_text(bom) == KO
    assert load_text(plain).encoding == "utf-8"
    assert load_text(bom).encoding == "utf-8-sig"
    assert not read_text(bom).startswith("\ufeff")


@pytest.mark.parametrize("encoding", ["cp949", "euc-kr"])
def test_korean_legacy_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"{encoding}.txt"
    path.write_bytes(KO.encode(encoding))
    loaded = load_text(path)
    assert loaded.text == KO
    assert loaded.encoding == "cp949"
    assert any("CP949" in note for note in loaded.notes)


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes(KO.encode("utf-16"))
    assert read_text(path) == KO


def test_newlines_and_nfc(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    decomposed = unicodedata.normalize("NFD", "한국어")
    path.write_bytes(f"a\r\nb\rc\n{decomposed}".encode())
    text = read_text(path)
    assert text == "a\nb\nc\n한국어"
    assert len(text.split("\n")[-1]) == 3
    assert check_text("x\r\ny") == "x\ny"
    assert check_text(decomposed) == "한국어"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        read_text(tmp_path / "nope.txt")
    assert "not found" in _one_line(exc)
    with pytest.raises(DataError) as exc:
        read_text(tmp_path)
    assert "directory" in _one_line(exc)


@pytest.mark.parametrize(
    "payload",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # NUL bytes
        bytes([0x80, 0xFF, 0xFE, 0x81]) * 300,  # mostly undecodable
        bytes(range(1, 9)) * 200,  # decodable but only control characters
    ],
)
def test_binary_files(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(payload)
    with pytest.raises(DataError) as exc:
        read_text(path)
    assert "binary" in _one_line(exc)


def test_few_bad_bytes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"hello world\n" * 50 + b"caf\xff\n" + b"more text\n" * 50)
    with pytest.raises(DataError) as exc:
        read_text(path)
    msg = _one_line(exc)
    assert "line 51" in msg and "UTF-8" in msg


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  "])
def test_empty_and_whitespace_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(DataError) as exc:
        read_text(path)
    assert "empty" in _one_line(exc)


@pytest.mark.parametrize("typed", ["", "   ", "\n\n", " \t\r\n "])
def test_check_text_rejects_blank(typed: str) -> None:
    with pytest.raises(DataError) as exc:
        check_text(typed)
    assert "empty" in _one_line(exc)


def test_one_megabyte_single_line(tmp_path: Path) -> None:
    line = ("나는 밥을 많이 먹었다. I ate rice. " * 40_000)[:600_000]
    path = tmp_path / "big.txt"
    path.write_bytes(line.encode("utf-8"))
    assert path.stat().st_size > 1_000_000
    text = read_text(path)
    assert text == line
    for name in ("char", "jamo", "word"):
        tok = get_tokenizer(name)
        tokens = tok.encode(text)
        assert tok.decode(tokens) == text


def test_a_latin1_text_is_refused_naming_the_byte_and_line(tmp_path: Path) -> None:
    path = tmp_path / "l1.txt"
    path.write_bytes("Hallo\nGröße\n".encode("latin-1"))  # "öß" reads as a CP949 hanja
    with pytest.raises(DataError) as info:
        load_text(path)
    msg = str(info.value)
    assert "byte 0xF6 on line 2" in msg and "Latin-1" in msg and "plain text (UTF-8)" in msg
