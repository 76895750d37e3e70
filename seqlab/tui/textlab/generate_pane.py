"""The text mode's Generate pane: a prompt continued token by token, and a token's nearest
neighbours by embedding."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static, TabPane

from seqlab.errors import SeqlabError
from seqlab.text import display_token
from seqlab.text.lm_data import continuation_text


class GeneratePane(TabPane):
    """Drawn from what the text view hands down: the generation so far, the neighbours."""

    def __init__(self, prompt: str) -> None:
        super().__init__("Generate", id="tx-gen")
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Input(self.prompt, id="tx-prompt", compact=True,
                        placeholder="a prompt + Enter (ctrl+g)")
            yield Label("temp")
            yield Input("0.8", id="tx-temp", restrict=r"[0-9.]*", compact=True)
            yield Label("top-k")
            yield Input("5", id="tx-topk-k", restrict=r"[0-9]*", compact=True,
                        tooltip="0: sample from every token")
            yield Label("tokens")
            yield Input("60", id="tx-ntokens", restrict=r"[0-9]*", compact=True)
        yield Static("", id="tx-gen-status")
        with VerticalScroll(id="tx-gen-box", can_focus=False):
            yield Static("", id="tx-gen-out")
        with Horizontal(classes="row"):
            yield Label("nearest tokens to")
            yield Input(id="tx-nb-token", compact=True,
                        placeholder="a token + Enter (empty: the one at the Inside cursor)")
        yield Static("", id="tx-nb-out")

    def on_mount(self) -> None:
        for wid in ("#tx-temp", "#tx-topk-k", "#tx-ntokens"):
            self.query_one(wid, Input).styles.width = 7
        self.query_one("#tx-nb-token", Input).styles.width = "1fr"

    def settings(self) -> dict[str, Any]:
        """The generate command's arguments from the form (SeqlabError, one line, if refused)."""
        prompt = self.query_one("#tx-prompt", Input).value
        temperature = _number(self.query_one("#tx-temp", Input).value, "temperature", float)
        if temperature <= 0:
            raise SeqlabError(f"temperature must be above 0 (got {temperature:g}).")
        top_k = int(_number(self.query_one("#tx-topk-k", Input).value, "top-k", int))
        n = int(_number(self.query_one("#tx-ntokens", Input).value, "tokens", int))
        if not 1 <= n <= 2000:
            raise SeqlabError(f"tokens must be between 1 and 2000 (got {n}).")
        if not prompt.strip():
            raise SeqlabError("the prompt is empty: type the start of a sentence.")
        return {"prompt": prompt, "tokens": n, "temperature": temperature, "top_k": top_k}

    def show_generation(self, model_run: str, tokenizer: str, prompt: str,
                        generated: list[str], done: bool, decoded: str | None = None) -> None:
        """The prompt and its continuation as words: morphemes joined (by the rule while they
        stream in, then by the model process's Kiwi: ``decoded``), letters composed."""
        status = self.query_one("#tx-gen-status", Static)
        out = self.query_one("#tx-gen-out", Static)
        if not model_run:
            status.update(Text("Train a model first (ctrl+t); then Enter in the prompt samples "
                               "a continuation.", style="dim"))
            out.update("")
            return
        state = "generating…" if not done else (
            f"{len(generated)} tokens" if generated else "ready")
        status.update(Text(f"{Path(model_run).name} · {state} · temp > 1 bolder, < 1 safer",
                           style="dim"))
        if not prompt:
            out.update("")
            return
        text = Text()
        text.append(prompt, style="dim")
        text.append(continuation_text(prompt, generated, tokenizer, decoded if done else None),
                    style="bold")
        if not done:
            text.append("▌", style="blink")
        out.update(text)
        self.query_one("#tx-gen-box", VerticalScroll).scroll_end(animate=False)

    def show_neighbours(self, items: list[list[Any]], token: str = "") -> None:
        box = self.query_one("#tx-nb-out", Static)
        if not items:
            box.update(Text("Embedding neighbours: tokens the model uses alike (cosine "
                            "similarity of their vectors).", style="dim"))
            return
        out = Text()
        out.append(f"‘{display_token(token)}’ ≈ ", style="bold")
        for i, (tok, sim) in enumerate(items):
            if i:
                out.append(" · ")
            out.append(display_token(str(tok)), style="cyan")
            out.append(f" {float(sim):.2f}", style="dim")
        box.update(out)


def _number(raw: str, name: str, parser: type) -> float:
    raw = raw.strip()
    try:
        value = parser(raw)
    except ValueError:
        kind = "a whole number" if parser is int else "a number"
        raise SeqlabError(f"{name} must be {kind} (got {raw!r}).") from None
    if not math.isfinite(value):
        raise SeqlabError(f"{name} must be a finite number (got {raw!r}).")
    return value
