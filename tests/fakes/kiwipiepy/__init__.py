"""A stand-in for kiwipiepy in tests (also in the lab's child processes, through PYTHONPATH):
a fixed analysis of a few words, and a join that, like Kiwi's, contracts 하 + 었 into 했.

Put ``tests/fakes`` first on ``PYTHONPATH`` (children) or this module into ``sys.modules``.
"""

from __future__ import annotations

from dataclasses import dataclass

WORDS: dict[str, list[tuple[str, str]]] = {
    "나는": [("나", "NP"), ("는", "JX")],
    "동생은": [("동생", "NNG"), ("은", "JX")],
    "공원에서": [("공원", "NNG"), ("에서", "JKB")],
    "학교에서": [("학교", "NNG"), ("에서", "JKB")],
    "했다.": [("하", "VV"), ("었", "EP"), ("다", "EF"), (".", "SF")],
}
BOUND = ("J", "E", "XS", "VCP", "SF")


@dataclass
class Token:
    form: str
    tag: str


class Kiwi:
    def tokenize(self, line: str) -> list[Token]:
        return [Token(f, t) for word in line.split() for f, t in WORDS[word]]

    def join(self, morphs: list[tuple[str, str]]) -> str:
        words: list[str] = []
        for form, tag in morphs:
            if words and tag.startswith(BOUND):
                words[-1] += form
            else:
                words.append(form)
        return " ".join(words).replace("하었", "했")
