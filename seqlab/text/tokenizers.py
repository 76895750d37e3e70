"""Tokenizers: text -> list of token strings and back.

``char``, ``jamo`` and ``word`` are lossless: ``decode(encode(s)) == s`` for NFC text ``s``
(what :func:`seqlab.text.io.check_text` / ``read_text`` return). ``morph`` (Korean morphemes via
the optional ``kiwipiepy``) is lossy: morphemes are given in their dictionary form with Kiwi's
part-of-speech tag (했다 -> ``하/VV``, ``었/EP``, ``다/EF``), and ``decode`` joins them back into
words (Kiwi's own join: 했다), so generated text reads as words, not ``나 는 공원 에서``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from abc import ABC, abstractmethod
from typing import Any

from seqlab.errors import DataError
from seqlab.wording import KO_INSTALL

TOKENIZERS: tuple[str, ...] = ("char", "jamo", "word", "morph")

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_WORD_RUNS = re.compile(r"\S+|\s+")
MORPH_MISSING = (
    f"the morph tokenizer needs kiwipiepy: {KO_INSTALL} (or choose char, jamo or word)"
)


class Tokenizer(ABC):
    """Common interface: ``name``, ``lossless``, ``encode(text)``, ``decode(tokens)``."""

    name: str = ""
    lossless: bool = True
    description: str = ""

    @abstractmethod
    def encode(self, text: str) -> list[str]:
        """Text -> tokens."""

    @abstractmethod
    def decode(self, tokens: list[str]) -> str:
        """Tokens -> text (exactly the encoded text when ``lossless``)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class CharTokenizer(Tokenizer):
    """Every character (spaces and newlines included) is a token."""

    name = "char"
    description = "characters (spaces included)"

    def encode(self, text: str) -> list[str]:
        return list(text)

    def decode(self, tokens: list[str]) -> str:
        return "".join(tokens)


class JamoTokenizer(Tokenizer):
    """Hangul syllables split into conjoining jamo (NFD): '한' -> 'ᄒ', 'ᅡ', 'ᆫ'; others as char."""

    name = "jamo"
    description = "Hangul letters (jamo), other characters as char"

    def encode(self, text: str) -> list[str]:
        out: list[str] = []
        append, extend = out.append, out.extend
        for ch in text:
            if _HANGUL_FIRST <= ord(ch) <= _HANGUL_LAST:
                extend(_decompose(ch))
            else:
                append(ch)
        return out

    def decode(self, tokens: list[str]) -> str:
        return unicodedata.normalize("NFC", "".join(tokens))


@functools.cache
def _decompose(syllable: str) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFD", syllable))


class WordTokenizer(Tokenizer):
    """Whitespace-separated words; lossless.

    A single space between two words is implied (not a token); any other whitespace (a newline,
    double spaces, a tab, leading/trailing spaces) is kept as a token of its own, so
    ``decode`` re-inserts exactly one space between two consecutive word tokens and nothing else.
    """

    name = "word"
    description = "words between spaces"

    def encode(self, text: str) -> list[str]:
        runs = _WORD_RUNS.findall(text)
        out: list[str] = []
        last = len(runs) - 1
        for i, run in enumerate(runs):
            if run == " " and 0 < i < last:  # a lone space between two words is implied
                continue
            out.append(run)
        return out

    def decode(self, tokens: list[str]) -> str:
        parts: list[str] = []
        prev_word = False
        for tok in tokens:
            is_word = bool(tok) and not tok.isspace()
            if is_word and prev_word:
                parts.append(" ")
            parts.append(tok)
            prev_word = is_word
        return "".join(parts)


class MorphTokenizer(Tokenizer):
    """Korean morphemes with kiwipiepy (the ``ko`` extra, :data:`KO_INSTALL`): tokens are
    ``form/TAG`` (Kiwi's tags), decoded by joining them back into words."""

    name = "morph"
    lossless = False
    description = "Korean morphemes (kiwipiepy; decode joins them back into words)"

    def __init__(self) -> None:
        self._kiwi = _load_kiwi()

    def encode(self, text: str) -> list[str]:
        out: list[str] = []
        for i, line in enumerate(text.split("\n")):
            if i:
                out.append("\n")
            if line.strip():
                out.extend(f"{tok.form}/{tok.tag}" for tok in self._kiwi.tokenize(line))
        return out

    def decode(self, tokens: list[str]) -> str:
        return join_morphemes(tokens, self._kiwi)


# Kiwi tags of morphemes written onto the word before them: particles (J*), endings (E*),
# suffixes (XS*), the copula (VCP) and closing punctuation.
_BOUND = ("J", "E", "XS", "VCP", "SF", "SP", "SE", "SSC")


_KIWI_TAG = re.compile(
    r"(NN[GPB]|NR|NP|V[VAX]|VC[PN]|MM|MA[GJ]|IC|JK[SCGOBVQ]|JX|JC|E[PFC]|ET[NM]|XPN|XS[NVAM]|XR"
    r"|S[FPSEOWLHNB]|SSO|SSC|UN|W_[A-Z]+|Z_CODA|USER\d)(-[IR])?"
)


def split_morpheme(token: str) -> tuple[str, str]:
    """``'먹/VV'`` -> ``('먹', 'VV')``; a token without a Kiwi tag -> ``(token, '')``."""
    form, sep, tag = token.rpartition("/")
    if sep and form and _KIWI_TAG.fullmatch(tag):
        return form, tag
    return token, ""


def starts_word(token: str) -> bool:
    """Whether ``token`` begins a new word when written after text: not a bound morpheme
    (``는/JX``, ``었/EP``, ``./SF``, which attach to the word before them) and not whitespace."""
    if not token or token.isspace():
        return False
    return not split_morpheme(token)[1].startswith(_BOUND)


def join_morphemes(tokens: list[str], kiwi: Any = None) -> str:
    """Morpheme tokens (``form/TAG``) back into words, line by line (``\\n`` tokens).

    With Kiwi (``kiwi`` given, or one this process has loaded already) its own ``join``
    restores the surface forms (하/VV 었/EP 다/EF -> 했다); without it, bound morphemes
    (particles, endings, suffixes, closing punctuation) are attached to the word before them
    (나/NP 는/JX -> 나는). Tokens without a tag (older runs) are words of their own.
    """
    if kiwi is None and _load_kiwi.cache_info().currsize:
        kiwi = _load_kiwi()
    lines: list[list[tuple[str, str]]] = [[]]
    for tok in tokens:
        if tok == "\n":
            lines.append([])
        else:
            lines[-1].append(split_morpheme(tok))
    out = []
    for line in lines:
        if kiwi and line and all(tag for _f, tag in line):
            try:
                out.append(kiwi.join(line))
                continue
            except Exception:  # noqa: BLE001 - an unknown tag: fall back to the rule below
                pass
        words: list[str] = []
        for form, tag in line:
            if words and tag.startswith(_BOUND):
                words[-1] += form
            else:
                words.append(form)
        out.append(" ".join(words))
    return "\n".join(out)


@functools.lru_cache(maxsize=1)
def _load_kiwi() -> Any:
    try:
        from kiwipiepy import Kiwi
    except ImportError:
        raise DataError(MORPH_MISSING) from None
    return Kiwi()


_CLASSES: dict[str, type[Tokenizer]] = {
    "char": CharTokenizer,
    "jamo": JamoTokenizer,
    "word": WordTokenizer,
    "morph": MorphTokenizer,
}


def get_tokenizer(name: str | Tokenizer) -> Tokenizer:
    """A tokenizer by name (``char``, ``jamo``, ``word``, ``morph``); a Tokenizer is returned as is."""
    if isinstance(name, Tokenizer):
        return name
    key = str(name).strip().lower()
    cls = _CLASSES.get(key)
    if cls is None:
        raise DataError(f"unknown tokenizer {name!r}: choose one of {', '.join(TOKENIZERS)}.")
    return cls()


# --- showing tokens in a terminal -------------------------------------------------------------

_SHOWN = {" ": "␣", "\n": "⏎", "\t": "⇥", "\r": "␍", "\u3000": "␣", "\xa0": "⍽"}
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")  # Hangul fillers: drawn as nothing
_CONJOINING_PREFIXES = ("HANGUL CHOSEONG ", "HANGUL JUNGSEONG ", "HANGUL JONGSEONG ")


@functools.cache
def _compat_jamo(ch: str) -> str | None:
    """A conjoining jamo (U+1100..) -> its compatibility jamo (U+3131..), if one exists."""
    name = unicodedata.name(ch, "")
    for prefix in _CONJOINING_PREFIXES:
        if name.startswith(prefix):
            letter = name[len(prefix) :]
            for candidate in (f"HANGUL LETTER {letter}", f"HANGUL {letter}"):
                try:
                    return unicodedata.lookup(candidate)
                except KeyError:
                    continue
    return None


def _is_conjoining_jamo(ch: str) -> bool:
    o = ord(ch)
    return 0x1100 <= o <= 0x11FF or 0xA960 <= o <= 0xA97F or 0xD7B0 <= o <= 0xD7FF


def _zero_width(ch: str) -> bool:
    if _is_conjoining_jamo(ch):
        return not (0x1100 <= ord(ch) <= 0x115F or 0xA960 <= ord(ch) <= 0xA97F)
    return unicodedata.category(ch) in ("Mn", "Me", "Cf") or unicodedata.combining(ch) != 0


@functools.lru_cache(maxsize=4096)
def display_token(tok: str) -> str:
    """A token as a visible string of terminal width >= 1.

    Spaces show as '␣', newlines as '⏎', tabs as '⇥'; a lone conjoining jamo (which terminals
    draw with width 0) as its compatibility jamo ('ᆫ' -> 'ㄴ'); control characters as their
    control picture; a token of only combining marks on a dotted circle; ``''`` as '∅'.
    """
    if tok == "":
        return "∅"
    form, tag = split_morpheme(tok)
    if tag and form.strip():
        tok = form  # a morpheme 'form/TAG' reads as its form
    out: list[str] = []
    for ch in tok:
        shown = _SHOWN.get(ch)
        if shown is None and ch in _FILLERS:
            shown = "◌"
        if shown is None and _is_conjoining_jamo(ch):
            shown = _compat_jamo(ch)
            if shown is None:
                shown = "◌" + ch if _zero_width(ch) else ch
        if shown is None and ch < " ":
            shown = chr(0x2400 + ord(ch))
        if shown is None and ch == "\x7f":
            shown = "␡"
        if shown is None and ch.isspace():
            shown = "␣"
        out.append(ch if shown is None else shown)
    text = "".join(out)
    if all(_zero_width(ch) for ch in text):
        if all(unicodedata.category(ch) == "Cf" for ch in text):
            return "".join(f"<U+{ord(ch):04X}>" for ch in text)
        return "◌" + text
    return text
