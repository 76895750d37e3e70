"""ctrl+o: bundled samples, a path with completion, and a directory browser (CSV/TSV/TXT)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import DirectoryTree, Input, Label, OptionList
from textual.widgets.option_list import Option

from seqlab.tui.session import DATA_SUFFIXES, samples


class PathSuggester(Suggester):
    """Completes the last path component (directories get a trailing slash)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        p = Path(os.path.expanduser(value))
        folder, prefix = (p, "") if value.endswith(os.sep) else (p.parent, p.name)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return None
        for name in names:
            if name.startswith(prefix) and name != prefix and not name.startswith("."):
                full = folder / name
                if full.is_dir():
                    return value + name[len(prefix):] + os.sep
                if full.suffix.lower() in DATA_SUFFIXES:
                    return value + name[len(prefix):]
        return None


class DataTree(DirectoryTree):
    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [
            p for p in paths
            if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() in DATA_SUFFIXES)
        ]


class OpenFileScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    DEFAULT_CSS = """
    OpenFileScreen { align: center middle; }
    OpenFileScreen > Vertical { width: 96%; max-width: 100; height: 94%; background: $surface;
        border: round $accent; padding: 0 1; }
    OpenFileScreen #samples { height: auto; max-height: 6; }
    OpenFileScreen DataTree { height: 1fr; }
    OpenFileScreen Label { color: $text-muted; }
    """

    def __init__(self, start: str | None = None) -> None:
        super().__init__()
        self.start = Path(start) if start else Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Bundled samples (enter opens):")
            yield OptionList(*[Option(p.name, id=str(p)) for p in samples()], id="samples")
            yield Label("Path (→ accepts the completion, enter opens):")
            yield Input(str(self.start) + os.sep, id="path", suggester=PathSuggester())
            yield DataTree(self.start, id="tree")
            yield Label("tab: next box · esc: cancel")

    def on_mount(self) -> None:
        self.query_one("#samples", OptionList).focus()

    @on(OptionList.OptionSelected, "#samples")
    def _sample(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#path")
    def _path(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value and Path(os.path.expanduser(value)).is_dir():
            self.query_one("#tree", DataTree).path = Path(os.path.expanduser(value))
            return
        if value:
            self.dismiss(os.path.expanduser(value))

    @on(DirectoryTree.FileSelected)
    def _file(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(str(event.path))
