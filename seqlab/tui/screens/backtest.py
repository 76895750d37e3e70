"""`b` in the Train view: the rolling-origin backtest of a finished run's settings."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from seqlab.tui.screens.scroll import ScrollModal


class BacktestScreen(ScrollModal):
    """The per-fold table beside persistence and seasonal naive (scrolls at 80×24)."""

    BINDINGS = [Binding("b", "dismiss", "Close", show=False)]

    def __init__(self, result: dict[str, Any], run_name: str) -> None:
        super().__init__()
        self.result = result
        self.run_name = run_name

    def body(self) -> ComposeResult:
        from seqlab.render import backtest_table

        r = self.result
        head = Text.assemble(
            ("Backtest of ", "bold"), (self.run_name, "bold"),
            f": {r.get('completed')} of {r.get('n_folds')} folds, expanding window; each fold "
            "trains from scratch on the rows before its test block (scalers and the "
            f"differencing choice refit); seasonal naive uses season {r.get('season')}. "
            "Bold green: the model beats both baselines.\n")
        yield Static(Group(head, backtest_table(r)))
