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
