"""`b` in the Train view: the rolling-origin backtest of a finished run's settings."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class BacktestScreen(ModalScreen[None]):
    """The per-fold table beside persistence and seasonal naive (scrolls at 80×24)."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("b", "dismiss", "Close", show=False),
    ]
    DEFAULT_CSS = """
    BacktestScreen { align: center middle; }
    BacktestScreen > VerticalScroll { width: 96%; max-width: 110; height: 94%;
        background: $surface; border: round $accent; padding: 0 1; }
    BacktestScreen .hint { dock: bottom; color: $text-muted; }
    """

    def __init__(self, result: dict[str, Any], run_name: str) -> None:
        super().__init__()
        self.result = result
        self.run_name = run_name

    def compose(self) -> ComposeResult:
        from seqlab.render import backtest_table

        r = self.result
        head = Text.assemble(
            ("Backtest of ", "bold"), (self.run_name, "bold"),
            f": {r.get('completed')} of {r.get('n_folds')} folds, expanding window; each fold "
            "trains from scratch on the rows before its test block (scalers and the "
            f"differencing choice refit); seasonal naive uses season {r.get('season')}. "
            "Bold green: the model beats both baselines.\n")
        with VerticalScroll():
            yield Static(Group(head, backtest_table(r)))
        yield Static(" esc: close · ↑↓: scroll", classes="hint")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
