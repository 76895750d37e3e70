"""Reading a text corpus and checking typed text: encodings, newlines, Unicode normalisation."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from seqlab.errors import DataError
from seqlab.inputfile import check_input_file, decode_cp949

MAX_TEXT_BYTES = 64 * 1024 * 1024  # the text mode is for small corpora
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")


@dataclass
class LoadedText:
    """A corpus file's text (newlines normalised, NFC) and how it was read."""

    path: str
    text: str
    encoding: str  # "utf-8", "utf-8-sig", "utf-16" or "cp949"
    notes: list[str] = field(default_factory=list)


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a .txt corpus (UTF-8 with or without BOM, or CP949/EUC-KR) as normalised text."""
    return load_text(path).text


def load_text(path: str | os.PathLike[str]) -> LoadedText:
    """Like :func:`read_text` but also says which encoding was used."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"text file {p} not found: check the path (or type the text instead).")
    if p.is_dir():
        raise DataError(f"{p} is a directory: give the path of a .txt file inside it.")
    check_input_file(p, "text file")  # a FIFO, a device or a binary file is refused unread
    try:
        size = p.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise DataError(
                f"{p} is {size / 1e6:.0f} MB; the text mode reads at most "
                f"{MAX_TEXT_BYTES // (1024 * 1024)} MB: use a smaller sample of the corpus."
            )
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {p}: {exc.strerror or exc}; check its permissions.") from None
    text, encoding = _decode(raw, p)
    notes: list[str] = []
    if encoding == "cp949":
        notes.append("read as CP949/EUC-KR (not UTF-8)")
    elif encoding in ("utf-8-sig", "utf-16"):
        notes.append(f"read as {encoding} (byte-order mark found)")
    if "\r" in text:
        notes.append("Windows/old Mac line ends were changed to \\n")
    normal = normalize_text(text)
    if normal != text.replace("\r\n", "\n").replace("\r", "\n"):
        notes.append("Unicode was normalised to NFC")
    _check_nonblank(
        normal, f"{p} has no text (it is empty or only whitespace): give a file with text."
    )
    return LoadedText(path=str(p), text=normal, encoding=encoding, notes=notes)


def check_text(text: str) -> str:
    """Check typed text and return it normalised (\\n line ends, NFC)."""
    if not isinstance(text, str):
        raise DataError(
            f"expected text, got {type(text).__name__}: type a sentence or open a file."
        )
    normal = normalize_text(text)
    _check_nonblank(
        normal, "the text is empty (or only whitespace): type a sentence or open a .txt file."
    )
    return normal


def normalize_text(text: str) -> str:
    """\\r\\n and \\r -> \\n, then Unicode NFC (so a syllable typed as jamo equals the composed one)."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _check_nonblank(text: str, message: str) -> None:
    if not text or text.isspace():
        raise DataError(message)


def _decode(raw: bytes, p: Path) -> tuple[str, str]:
    if not raw:
        raise DataError(f"{p} is empty: give a file with text (one sentence per line works best).")
    if raw.startswith(_UTF8_BOM):
        return _strict(raw[len(_UTF8_BOM) :], "utf-8", p, "utf-8-sig"), "utf-8-sig"
    if raw.startswith(_UTF16_BOMS):
        return _strict(raw, "utf-16", p, "utf-16"), "utf-16"
    if b"\x00" in raw:
        raise DataError(
            f"{p} looks like a binary file (it contains NUL bytes): give a plain .txt file."
        )
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = decode_cp949(raw, p, "plain text"), "cp949"
    _reject_controls(text, p)
    return text, encoding


def _strict(raw: bytes, encoding: str, p: Path, label: str) -> str:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{p} starts with a {label} byte-order mark but is not valid {encoding} "
            f"(bad byte at offset {exc.start}): re-save it as UTF-8."
        ) from None
    _reject_controls(text, p)
    return text


def _reject_controls(text: str, p: Path) -> None:
    # A decodable file full of control characters is still binary (e.g. a packed data file).
    sample = text[:200_000]
    controls = sum(1 for ch in sample if ch < " " and ch not in _ALLOWED_CONTROLS)
    if controls > 0.1 * max(len(sample), 1):
        raise DataError(
            f"{p} looks like a binary file (many control characters): give a plain .txt file."
        )
