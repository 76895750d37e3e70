"""The text mode's Text pane: the typed text (or a corpus), the tokenizer and vocabulary limits,
and the text's tokens as chips with the vocabulary's summary."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static, TabPane, TextArea

from seqlab.text import SPECIALS, TOKENIZERS
from seqlab.tui.textlab.chips import TokenChips
from seqlab.tui.textlab.session import Tokenized


class TextInputPane(TabPane):
    """Edited by the user; the text view tokenizes (in a thread) and hands the result down."""

    def __init__(self, text: str) -> None:
        super().__init__("Text", id="tx-text")
        self.initial_text = text

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("corpus")
            yield Input(placeholder="path of a .txt corpus + Enter · F8 Korean · F9 English",
                        id="tx-corpus", compact=True)
        with Horizontal(classes="row"):
            yield Label("tokenizer")
            yield Select([(t, t) for t in TOKENIZERS], value="char", allow_blank=False,
                         id="tx-tokenizer", compact=True)
            yield Label("min freq")
            yield Input("1", id="tx-min-freq", restrict=r"[0-9]*", compact=True)
            yield Label("max vocab")
            yield Input("0", id="tx-max-size", restrict=r"[0-9]*", compact=True,
                        tooltip="0: no limit")
        yield TextArea(self.initial_text, id="tx-input", compact=True,
                       placeholder="Type one or more sentences (one per line).")
        yield Static("", id="tx-summary")
        with VerticalScroll(id="tx-chips-box", can_focus=False):
            yield TokenChips(id="tx-chips")

    def on_mount(self) -> None:
        for wid in ("#tx-min-freq", "#tx-max-size"):
            self.query_one(wid, Input).styles.width = 7

    def show(self, result: Tokenized) -> None:
        """The chips and the vocabulary summary of a tokenization (or why there is none)."""
        chips = self.query_one("#tx-chips", TokenChips)
        summary = self.query_one("#tx-summary", Static)
        if result.error:
            chips.empty = "no tokens"
            chips.data = None
            summary.update(Text(result.error, style="bold red"))
            return
        chips.data = (result.tokens, result.ids)
        vocab = result.vocab
        n_vocab = len(vocab) if vocab is not None else len(SPECIALS)
        line1 = Text()
        line1.append(f"vocabulary {n_vocab:,}", style="bold")
        line1.append(f" = 4 specials + {n_vocab - len(SPECIALS):,} · ")
        line1.append(result.source, style="bold")
        line1.append(f": {result.source_lines:,} lines, {result.source_tokens:,} tokens")
        line2 = Text()
        line2.append(f"typed text: {result.n_tokens:,} {result.tokenizer} tokens, ")
        line2.append(f"{result.unknown:,} unknown", style="bold red" if result.unknown
                     else "green")
        line2.append(" (→ <unk>·1) · <eos>·3 ends each line", style="dim")
        summary.update(Text("\n").join([line1, line2]))
