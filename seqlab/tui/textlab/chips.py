"""Token chips: each token of the typed text as ``token·id``, wrapped without splitting a chip.

Widths are measured with ``rich.cells.cell_len`` on the display form of each token
(``display_token``: a lone jamo shows as its 2-cell compatibility letter, a space as '␣'), so
Korean chips line up. Unknown tokens (id of ``<unk>``) are red; ``<eos>`` and other specials dim.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from seqlab.render import fit_cells
from seqlab.text import SPECIALS, UNK_ID, display_token

MAX_CHIPS = 2000  # a pasted book is summarised, not drawn chip by chip
MAX_LABEL_CELLS = 16

KNOWN = Style(color="white", bgcolor="grey23")
KNOWN_ID = Style(color="grey70", bgcolor="grey23")
UNKNOWN = Style(color="white", bgcolor="dark_red", bold=True)
UNKNOWN_ID = Style(color="grey85", bgcolor="dark_red")
SPECIAL = Style(color="grey62", bgcolor="grey15", italic=True)
SPECIAL_ID = Style(color="grey50", bgcolor="grey15")
DIM = Style(dim=True)


def chip_parts(token: str, token_id: int) -> tuple[str, str, Style, Style]:
    """(label, '·id', label style, id style) of one chip."""
    label = token if token in SPECIALS else display_token(token)
    if cell_len(label) > MAX_LABEL_CELLS:
        label = fit_cells(label, MAX_LABEL_CELLS)
    if token in SPECIALS:
        return label, f"·{token_id}", SPECIAL, SPECIAL_ID
    if token_id == UNK_ID:
        return label, f"·{token_id}", UNKNOWN, UNKNOWN_ID
    return label, f"·{token_id}", KNOWN, KNOWN_ID


def chip_lines(tokens: Sequence[str], ids: Sequence[int], width: int,
               limit: int = MAX_CHIPS) -> list[Text]:
    """Chips laid out in lines of at most ``width`` cells (one space between chips)."""
    width = max(width, 8)
    lines: list[Text] = []
    line = Text(no_wrap=True, overflow="crop")
    used = 0
    shown = min(len(tokens), limit)
    for tok, tid in zip(tokens[:shown], ids[:shown], strict=False):
        label, id_text, style, id_style = chip_parts(tok, int(tid))
        chip_w = 1 + cell_len(label) + len(id_text) + 1
        if chip_w > width:  # an enormous id on a tiny screen: crop the label
            label = fit_cells(label, max(1, width - len(id_text) - 2))
            chip_w = 1 + cell_len(label) + len(id_text) + 1
        gap = 1 if used else 0
        if used + gap + chip_w > width:
            lines.append(line)
            line, used, gap = Text(no_wrap=True, overflow="crop"), 0, 0
        if gap:
            line.append(" ")
        line.append(" " + label, style)
        line.append(id_text + " ", id_style)
        used += gap + chip_w
    if used:
        lines.append(line)
    if len(tokens) > shown:
        lines.append(Text(f"… and {len(tokens) - shown:,} more tokens", style=DIM))
    return lines


class TokenChips(Widget):
    """``data`` = (tokens, ids) or None; drawn as wrapped chips at the widget's width."""

    DEFAULT_CSS = "TokenChips { height: auto; width: 1fr; }"
    data: reactive[tuple[list[str], list[int]] | None] = reactive(None, always_update=True,
                                                                   layout=True)
    empty: reactive[str] = reactive("")

    def _lines(self, width: int) -> list[Text]:
        if not self.data:
            return [Text(self.empty, style=DIM)] if self.empty else []
        tokens, ids = self.data
        return chip_lines(tokens, ids, width)

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return max(1, len(self._lines(width)))

    def render(self) -> Text:
        lines = self._lines(self.size.width or 80)
        return Text("\n").join(lines) if lines else Text("")
