"""Cell-width-aware label helpers and compact number formatting (stdlib + rich only)."""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

from rich.cells import cell_len, set_cell_size

_CONTROL = {"\n": "↵", "\r": "↵", "\t": "⇥"}
_JAMO_PREFIXES = ("HANGUL CHOSEONG ", "HANGUL JUNGSEONG ", "HANGUL JONGSEONG ")


@lru_cache(maxsize=1)
def _compat_jamo() -> dict[str, str]:
    """Map jamo names (e.g. ``NIEUN``) to Hangul compatibility jamo (2 cells wide)."""
    table: dict[str, str] = {}
    for cp in range(0x3131, 0x318F):
        name = unicodedata.name(chr(cp), "")
        if name.startswith("HANGUL LETTER "):
            table[name[len("HANGUL LETTER ") :]] = chr(cp)
    return table


def _is_conjoining_jamo(cp: int) -> bool:
    return 0x1100 <= cp <= 0x11FF or 0xA960 <= cp <= 0xA97F or 0xD7B0 <= cp <= 0xD7FF


@lru_cache(maxsize=4096)
def display_label(label: str) -> str:
    """Make a label safe to lay out by cell width.

    NFC-composes Hangul, turns lone conjoining jamo (0 cells, e.g. 'ᆫ') into compatibility jamo
    ('ㄴ', 2 cells), shows control characters and all-space labels visibly, and gives combining
    marks with no base a dotted circle.
    """
    text = unicodedata.normalize("NFC", str(label))
    if text and text.strip(" ") == "":
        return "␣" * len(text)
    out: list[str] = []
    for ch in text:
        cp = ord(ch)
        if ch in _CONTROL:
            out.append(_CONTROL[ch])
            continue
        if _is_conjoining_jamo(cp):
            name = unicodedata.name(ch, "")
            key = next((name[len(p) :] for p in _JAMO_PREFIXES if name.startswith(p)), "")
            compat = _compat_jamo().get(key)
            if compat is not None:
                out.append(compat)
            else:
                out.append(ch if cell_len(ch) > 0 else "·")
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            out.append("·")
            continue
        if category == "Cf":
            continue
        if cell_len(ch) == 0 and (not out or out[-1] == " "):
            out.append("◌")
        out.append(ch)
    return "".join(out)


def fit_cells(text: str, width: int, align: str = "left") -> str:
    """Pad or crop ``text`` to exactly ``width`` cells (crop marks the cut with '…')."""
    if width <= 0:
        return ""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, 1)
    pad = width - length
    if align == "right":
        return " " * pad + text
    if align == "center":
        left = pad // 2
        return " " * left + text + " " * (pad - left)
    return text + " " * pad


def fmt_compact(value: float) -> str:
    """Short axis-style number: 0.0123, 1.5, 123, 4500, 12.3k, 1.2e-5."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e5:
        for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
            if a >= div:
                return f"{v / div:.3g}{suffix}"
    if a >= 1000:
        return f"{v:.0f}"
    if a >= 1e-3:
        return f"{v:.3g}"
    mant, exp = f"{v:.1e}".split("e")
    mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}"


def fmt_sig(value: float, digits: int = 4) -> str:
    """``digits`` significant digits, no exponent for everyday magnitudes; NaN -> '—'."""
    if value is None:
        return "—"
    v = float(value)
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    a = abs(v)
    if a == 0:
        return "0"
    if 1e-4 <= a < 10**digits:
        decimals = max(0, digits - 1 - math.floor(math.log10(a)))
        text = f"{v:.{decimals}f}"
        return text
    if 10**digits <= a < 1e9:
        return f"{v:,.0f}"
    return _clean_exp(f"{v:.{digits - 1}e}")


def _clean_exp(text: str) -> str:
    if "e" not in text:
        return text
    mant, exp = text.split("e")
    sign = "-" if exp.startswith("-") else ""
    return f"{mant}e{sign}{exp.lstrip('+-').lstrip('0') or '0'}"
