"""Quitting while a run trains or is paused: keep it (the default) or stop it, asked once."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class QuitRunScreen(ModalScreen[str | None]):
    """Dismissed with "keep", "stop", or None (escape: do not quit)."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("k", "dismiss('keep')", "Keep running"),
        Binding("s", "dismiss('stop')", "Stop it"),
    ]
    DEFAULT_CSS = """
    QuitRunScreen { align: center middle; }
    QuitRunScreen > Vertical { width: 64; height: auto; background: $surface;
        border: round $accent; padding: 0 1; }
    QuitRunScreen Label { width: 1fr; margin-bottom: 1; }
    QuitRunScreen Horizontal { height: auto; align-horizontal: center; }
    QuitRunScreen Button { margin: 0 1; }
    """

    def __init__(self, names: list[str], paused: list[bool] | None = None) -> None:
        super().__init__()
        self.names = names
        self.paused = paused if paused is not None else [False] * len(names)

    def question(self) -> str:
        """What the dialog says about the runs: training, paused, or some of each."""
        if not self.names:
            return "A run is not finished."
        if len(self.names) == 1:
            doing = "paused" if self.paused[0] else "still training"
            return f"The run is {doing}: {self.names[0]}."
        if all(self.paused) or not any(self.paused):
            doing = "paused" if all(self.paused) else "still training"
            return f"The runs are {doing}: {', '.join(self.names)}."
        which = ", ".join(f"{n} ({'paused' if p else 'training'})"
                          for n, p in zip(self.names, self.paused, strict=True))
        return f"The runs are not finished: {which}."

    def compose(self) -> ComposeResult:
        keep = ("Keep it after the lab closes (still paused; seqlab attach reopens it), or "
                "stop it now" if all(self.paused) and self.names else
                "Keep training after the lab closes (seqlab attach reopens it), or stop it now")
        with Vertical():
            yield Label(self.question(), markup=False)
            yield Label(f"{keep} (the run is saved as stopped)?")
            with Horizontal():
                yield Button("Keep it" if all(self.paused) and self.names else "Keep it running",
                             id="keep", variant="primary")
                yield Button("Stop it", id="stop", variant="error")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()  # Enter keeps it: the safe answer

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)
