"""A modal box of text that scrolls from the keyboard: the help and the backtest table."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class ScrollModal(ModalScreen[None]):
    """``body()`` in a scrolling box over the view, with a key hint below; escape or q closes
    it (a subclass adds the key that opened it). The box has the focus, so ↑↓ scroll."""

    HINT: ClassVar[str] = " esc: close · ↑↓: scroll"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
    ]
    DEFAULT_CSS = """
    ScrollModal { align: center middle; }
    ScrollModal > VerticalScroll { width: 96%; max-width: 110; height: 94%;
        background: $surface; border: round $accent; padding: 0 1; }
    ScrollModal .hint { dock: bottom; color: $text-muted; }
    """

    def body(self) -> ComposeResult:
        """The widgets in the box."""
        yield from ()

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield from self.body()
        yield Static(self.HINT, classes="hint")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
