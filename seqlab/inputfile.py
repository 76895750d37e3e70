"""Checks on a file the user names, before anything reads, hashes or parses it.

A FIFO or a device would block a reader forever, and a large binary file would be read whole
before a parser refuses it; so the file's type is checked with ``stat`` and its first bytes are
looked at (opened without blocking) before anything else touches it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from seqlab.errors import DataError, SeqlabError

HEAD_BYTES = 8192  # enough to tell text from binary
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_input_file(path: str | os.PathLike[str], what: str = "data file",
                     error: type[SeqlabError] = DataError, binary_ok: bool = False) -> bytes:
    """Refuse a missing, unreadable, non-regular or binary file with one line; return its
    first bytes. ``what`` names the file in messages ("data file", "config file", ...)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        raise error(f"{what} {p} not found; check the path (relative paths start in the "
                    "current folder).") from None
    except PermissionError:
        raise error(f"cannot reach {what} {p}: permission denied on a folder on the way; "
                    "check the folders' permissions.") from None
    except OSError as exc:
        raise error(f"cannot read {what} {p}: {exc.strerror or exc}.") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p} is a folder, not a file; pass the path of a file inside it.")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{p} is {_kind(st.st_mode)}, not a regular file; seqlab reads files only: "
                    "save the data to a file and pass that.")
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except PermissionError:
        raise error(f"cannot read {what} {p}: permission denied; check the file's permissions "
                    "or copy it somewhere readable.") from None
    except OSError as exc:
        raise error(f"cannot read {what} {p}: {exc.strerror or exc}.") from None
    try:
        head = os.read(fd, HEAD_BYTES)
    except OSError as exc:
        raise error(f"cannot read {what} {p}: {exc.strerror or exc}.") from None
    finally:
        os.close(fd)
    if not binary_ok and b"\x00" in head and not head.startswith(_UTF16_BOMS):
        raise error(f"{p} looks like a binary file, not text (it has NUL bytes in its first "
                    f"{len(head)} bytes); export or save it as CSV/text (UTF-8) and try again.")
    return head


def undecodable(raw: bytes, path: str | os.PathLike[str], save_as: str) -> DataError:
    """The one line for a file that is neither UTF-8 nor CP949/EUC-KR: where most of it does
    not read as text it is likely binary; else it names the first byte UTF-8 cannot read and
    its line (a Latin-1 or Windows-1252 export, say). ``save_as``: "CSV", "plain text"."""
    lossy = raw.decode("utf-8", errors="replace")
    if lossy.count("\ufffd") > 0.3 * max(len(lossy), 1):
        return DataError(f"{path} is not readable text: most of its bytes are neither UTF-8 nor "
                         f"CP949/EUC-KR, so it is likely a binary file; save it as {save_as} "
                         "(UTF-8) and try again.")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return DataError(f"{path} is not readable text: neither UTF-8 nor CP949/EUC-KR (byte "
                         f"0x{raw[exc.start]:02X} on line {line}: Latin-1 or Windows-1252, "
                         f"perhaps); re-save it as {save_as} (UTF-8) and try again.")
    return DataError(f"{path} is not readable text; save it as {save_as} (UTF-8) and try again.")


def _hangul(ch: str) -> bool:
    o = ord(ch)
    return 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F


def _hanja(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF


def decode_cp949(raw: bytes, path: str | os.PathLike[str], save_as: str) -> str:
    """``raw`` (not UTF-8) read as CP949/EUC-KR, the encoding Korean Windows saves in; else
    :func:`undecodable`'s line. Two accented Latin-1 or Windows-1252 letters in a row often
    pair up into a valid CP949 hanja ("Größe" reads "Gr秤e"), so a reading with hanja but not
    one Hangul letter is refused rather than passed on garbled (a Korean file with symbols
    only, such as "℃", still reads)."""
    try:
        text = raw.decode("cp949")
    except UnicodeDecodeError:
        raise undecodable(raw, path, save_as) from None
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if any(_hanja(ch) for ch in wide) and not any(_hangul(ch) for ch in wide):
        raise undecodable(raw, path, save_as)
    return text
