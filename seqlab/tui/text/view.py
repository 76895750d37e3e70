"""Text mode: type sentences (or open a corpus), see their tokens, train an RNN language model,
and look inside it token by token.

``TextView`` is one container with five sub-panes (Text, Model, Train, Inside, Generate), made to
fit 80×24 inside a tab. Nothing here imports torch: training runs in
``python -m seqlab.training.worker CONFIG --text`` and the trained model answers in
``python -m seqlab.training.lm_service RUN_DIR``; tokenizing runs in a thread worker.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import (
    Checkbox,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
    Tabs,
    TextArea,
)
from textual.worker import get_current_worker

from seqlab.config import ModelConfig, TextConfig, TextRunConfig, TrainConfig
from seqlab.errors import SeqlabError
from seqlab.render import fit_cells, fmt_compact
from seqlab.samples import sample_dir
from seqlab.text import EOS, SPECIALS, TOKENIZERS, UNK_ID, Vocab, display_token
from seqlab.training.events import ProbeSnapshot, RunEnd, RunStarted
from seqlab.tui.messages import ModelReply, ModelServiceExited, StartRun, StopRun, WatchSample
from seqlab.tui.runstate import RunState
from seqlab.tui.text.chips import TokenChips
from seqlab.tui.widgets.plots import HeatmapView, PlotView, Series, StripView
from seqlab.tui.worker_client import LMService, worker_threads

TEXT_SAMPLES = sample_dir() / "text"
BUNDLED = {"ko": TEXT_SAMPLES / "ko_sentences.txt", "en": TEXT_SAMPLES / "en_sentences.txt"}
DEFAULT_TEXT = (
    "나는 밥을 많이 먹었다.\n"
    "오늘은 비가 조금 왔다.\n"
    "친구와 함께 학교에 갔다.\n"
    "나는 밥을 먹고 학교에 갔다.\n"
)
DEFAULT_TEXT_EN = (
    "I ate a lot of rice.\n"
    "It rained a little today.\n"
    "I went to school with a friend.\n"
    "I ate rice and went to school.\n"
)
DEFAULT_TEXTS = {"ko": DEFAULT_TEXT, "en": DEFAULT_TEXT_EN}
LANG_DEFAULTS = {
    "ko": {"probe": "나는 밥을 많이 먹었다.", "prompt": "나는 "},
    "en": {"probe": "I ate a lot of rice.", "prompt": "I "},
}
PANES = ("tx-text", "tx-model", "tx-train", "tx-inside", "tx-gen")
KIND_ORDER = ("h", "c", "i", "f", "g", "o", "r", "z", "n")
GATES = {"i", "f", "o", "r", "z"}  # sigmoid: [0, 1], sequential scale; h, c, g, n diverge
KIND_NAMES = {
    "h": "h hidden", "c": "c cell", "i": "i input gate", "f": "f forget gate",
    "g": "g candidate", "o": "o output gate", "r": "r reset gate", "z": "z update gate",
    "n": "n candidate",
}
CELL_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
MODEL_HELP = (
    "",
    "embedding  length of the vector that stands for each token",
    "hidden     size of the state h_t carried from token to token",
    "window     tokens per training sequence (the unrolled length)",
    "dropout    between stacked layers only (needs layers > 1)",
    "epochs     at most: stops after 5 epochs without a better val loss",
    "one direction only: a next-token model must not see what it predicts",
)
# (title, help, action) for the app's command palette: run with ``view.run_action(action)``
TEXT_COMMANDS = (
    ("Text: train", "Train a next-token language model on the text (ctrl+t)", "train"),
    ("Text: stop", "Stop the text training after the current batch (ctrl+s)", "stop"),
    ("Text: look inside", "Probe the Inside pane's sentence with the trained model (ctrl+r)",
     "probe"),
    ("Text: generate", "Continue the prompt token by token (ctrl+g)", "generate"),
    ("Text: neighbours", "Nearest tokens by embedding cosine (ctrl+n)", "neighbours"),
    ("Text: Korean corpus", "Use the bundled Korean sentences (F8)", "corpus('ko')"),
    ("Text: English corpus", "Use the bundled English sentences (F9)", "corpus('en')"),
    ("Text: typed text only", "Build the vocabulary from the typed text (ctrl+l)", "corpus('')"),
    ("Text: next pane", "Text → Model → Train → Inside → Generate (alt+→)", "pane(1)"),
)
DEBOUNCE_S = 0.15
REDRAW_S = 0.2  # training redraws at most 5 times a second


@dataclass
class Tokenized:
    """The typed text's tokens against the current vocabulary (built in a thread)."""

    tokenizer: str
    tokens: list[str] = field(default_factory=list)  # typed text, <eos> after each line
    ids: list[int] = field(default_factory=list)
    n_tokens: int = 0  # typed tokens without <eos>
    unknown: int = 0
    vocab: Vocab | None = None
    source: str = "typed text"
    source_tokens: int = 0
    source_lines: int = 0
    error: str = ""  # the typed text cannot be tokenized (empty, ...)


class TokenHeatmap(HeatmapView):
    """The heatmap of the Inside pane (its own empty message)."""

    def render(self) -> Any:
        if not self.data:
            return Text("No snapshot yet: train a model (ctrl+t) — the watched validation "
                        "window appears every epoch — or type a sentence above and press Enter.",
                        style="dim")
        return super().render()


class TextView(Vertical):
    """The text mode in one widget: mount it with ``yield TextView(runs_dir="runs")``.

    Actions (bind them in the app if it takes these keys first): ``train``, ``stop``,
    ``probe``, ``generate``, ``neighbours``, ``corpus('ko'|'en'|'')``, ``pane(±1)``.
    Call :meth:`shutdown` before the app exits (it stops the training cleanly);
    :meth:`kill_now` is the synchronous last resort.
    """

    DEFAULT_CSS = """
    TextView { height: 1fr; }
    TextView > TabbedContent { height: 1fr; }
    TextView TabPane { padding: 0; height: 1fr; }
    TextView .row { height: 1; width: 1fr; }
    TextView .row Label { width: auto; padding: 0 1 0 0; }
    TextView .row Input { width: 8; margin-right: 1; }
    TextView #tx-corpus, TextView #tx-probe-text, TextView #tx-prompt { width: 1fr; }
    TextView #tx-tokenizer { width: 12; margin-right: 1; }
    TextView #tx-input { height: 6; }
    TextView #tx-summary { height: auto; max-height: 3; }
    TextView #tx-chips-box { height: 1fr; }
    TextView .form-row { height: 1; }
    TextView .form-row Label { width: 12; }
    TextView .form-row Input, TextView .form-row Select { width: 14; margin-right: 4; }
    TextView .form-row Checkbox { width: auto; }
    TextView #tx-model-info { height: auto; margin-top: 1; }
    TextView #tx-train-status { height: 2; }
    TextView #tx-plots { height: 1fr; }
    TextView #tx-loss-plot, TextView #tx-ppl-plot { width: 1fr; height: 1fr; }
    TextView #tx-kind { width: 18; }
    TextView #tx-layer { width: 11; }
    TextView #tx-inside-mid { height: 1fr; }
    TextView #tx-heatmap { width: 1fr; height: 1fr; }
    TextView #tx-inside-side { width: 27; height: 1fr; padding-left: 1; }
    TextView #tx-inside-title { height: auto; max-height: 4; }
    TextView #tx-topk { height: auto; }
    TextView #tx-strip { height: 2; }
    TextView #tx-gen-box { height: 1fr; }
    TextView #tx-gen-status { height: 1; }
    TextView #tx-nb-out { height: auto; max-height: 4; }
    """

    BINDINGS = [
        # f8 / f9 and the pane keys are written on the view itself, so the footer keeps room
        # at 80 columns for the actions
        Binding("ctrl+t", "train", "Train"),
        Binding("ctrl+s", "stop", "Stop"),
        Binding("ctrl+r", "probe", "Inside"),
        Binding("ctrl+g", "generate", "Gen"),
        Binding("ctrl+n", "neighbours", "Near"),
        Binding("f8", "corpus('ko')", "ko corpus", show=False),
        Binding("f9", "corpus('en')", "en corpus", show=False),
        Binding("ctrl+l", "corpus('')", "Typed text only", show=False),
        Binding("alt+right", "pane(1)", "Next pane", key_display="alt+→", show=False),
        Binding("alt+left", "pane(-1)", "Prev pane", show=False),
        Binding("ctrl+pagedown", "pane(1)", "Next pane", show=False),
        Binding("ctrl+pageup", "pane(-1)", "Prev pane", show=False),
        Binding("k", "cycle_kind", "State/gate", show=False),
        Binding("left_square_bracket", "watch(-1)", "Prev window", key_display="[", show=False),
        Binding("right_square_bracket", "watch(1)", "Next window", key_display="]", show=False),
        Binding("y", "cycle_layer", "Layer", show=False),
    ]

    def __init__(
        self,
        runs_dir: str | os.PathLike[str] = "runs",
        *,
        text: str = DEFAULT_TEXT,
        id: str | None = "text-view",  # noqa: A002 - Textual's name
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.runs_dir = str(runs_dir)
        self.initial_text = text
        self.tokenizer = "char"
        self.corpus: str = ""  # adopted corpus path ("" = the typed text is the corpus)
        self.tokenized: Tokenized | None = None
        self.run = RunState(kind="text")  # handed down by the app's run controller
        self.model_run: str = ""  # the finished run that probe / generate / neighbours use
        self.inside: Any = None  # the ProbeSnapshot shown in the Inside pane
        self.inside_source = "live"  # live (watched validation window) | probe (typed sentence)
        self.sel_kind, self.sel_layer = "h", "0"
        self.generated: list[str] = []
        self.gen_prompt = ""
        self.gen_done = True
        self.neighbour_items: list[list[Any]] = []
        self._service: LMService | None = None
        self._service_info: dict[str, Any] = {}
        self._corpus_cache: dict[tuple[str, float, str], tuple[list[str], int]] = {}
        self._retok_timer: Timer | None = None
        self._want_corpus: str | None = None  # asked for, not yet read
        self._dirty = False
        self._was_empty = False
        self._was_all_unknown = False
        self._was_no_vocab = False
        self._gen_seed = 0

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with TabbedContent(initial="tx-text", id="tx-tabs"):
            with TabPane("Text", id="tx-text"):
                with Horizontal(classes="row"):
                    yield Label("corpus")
                    yield Input(placeholder="path of a .txt corpus + Enter · F8 Korean · F9 English", id="tx-corpus", compact=True)
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
            with TabPane("Model", id="tx-model"):
                with Horizontal(classes="form-row"):
                    yield Label("embedding")
                    yield Input("32", id="tx-emb", restrict=r"[0-9]*", compact=True)
                    yield Label("cell")
                    yield Select([("RNN", "rnn"), ("LSTM", "lstm"), ("GRU", "gru")],
                                 value="lstm", allow_blank=False, id="tx-cell", compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("layers")
                    yield Input("1", id="tx-layers", restrict=r"[0-9]*", compact=True)
                    yield Label("hidden")
                    yield Input("128", id="tx-hidden", restrict=r"[0-9]*", compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("dropout")
                    yield Input("0", id="tx-dropout", restrict=r"[0-9.]*", compact=True)
                    yield Label("direction")
                    yield Checkbox("bidirectional", False, id="tx-bidir", compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("window")
                    yield Input("32", id="tx-window", restrict=r"[0-9]*", compact=True)
                    yield Label("batch")
                    yield Input("32", id="tx-batch", restrict=r"[0-9]*", compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("epochs")
                    yield Input("20", id="tx-epochs", restrict=r"[0-9]*", compact=True)
                    yield Label("lr")
                    yield Input("0.003", id="tx-lr", restrict=r"[0-9.eE-]*", compact=True)
                yield Static("", id="tx-model-info")
            with TabPane("Train", id="tx-train"):
                yield Static("", id="tx-train-status")
                with Horizontal(id="tx-plots"):
                    yield PlotView(id="tx-loss-plot")
                    yield PlotView(id="tx-ppl-plot")
            with TabPane("Inside", id="tx-inside"):
                with Horizontal(classes="row"):
                    yield Input(LANG_DEFAULTS["ko"]["probe"], id="tx-probe-text", compact=True,
                                placeholder="a sentence to look inside + Enter (ctrl+r)")
                    yield Select([(KIND_NAMES["h"], "h")], value="h", allow_blank=False,
                                 id="tx-kind", compact=True)
                    yield Select([("layer 0", "0")], value="0", allow_blank=False,
                                 id="tx-layer", compact=True)
                with Horizontal(id="tx-inside-mid"):
                    yield TokenHeatmap(id="tx-heatmap")
                    with Vertical(id="tx-inside-side"):
                        yield Static("", id="tx-inside-title")
                        yield Static("", id="tx-topk")
                yield StripView(id="tx-strip")
            with TabPane("Generate", id="tx-gen"):
                with Horizontal(classes="row"):
                    yield Input(LANG_DEFAULTS["ko"]["prompt"], id="tx-prompt", compact=True,
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
        for wid in ("#tx-min-freq", "#tx-max-size", "#tx-window", "#tx-temp", "#tx-topk-k",
                    "#tx-ntokens", "#tx-emb", "#tx-layers", "#tx-hidden", "#tx-dropout",
                    "#tx-batch", "#tx-epochs", "#tx-lr"):
            self.query_one(wid, Input).styles.width = 7
        self.query_one("#tx-nb-token", Input).styles.width = "1fr"
        self._show_train()
        self._show_inside()
        self._show_generation()
        self._show_neighbours()
        self._show_model_info()
        self.set_interval(REDRAW_S, self._flush)
        self._retokenize()

    def on_unmount(self) -> None:
        self.kill_now()

    # -- actions -------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.run.active
        if action == "train":
            return not self.run.active
        if action in ("cycle_kind", "cycle_layer", "watch"):
            return self.pane == "tx-inside"
        return True

    @property
    def pane(self) -> str:
        return str(self.query_one("#tx-tabs", TabbedContent).active)

    def show_pane(self, pane: str) -> None:
        """Switch the sub-pane: text, model, train, inside or gen (with or without 'tx-')."""
        pane = pane if pane.startswith("tx-") else f"tx-{pane}"
        tabs = self.query_one("#tx-tabs", TabbedContent)
        if tabs.active == pane:
            return
        focused = self.screen.focused
        inside = focused is None or self in focused.ancestors
        if inside:
            # Park the focus on the tab strip first: when a focused widget is hidden, Textual
            # focuses a neighbour in the same (hidden) pane, which switches straight back.
            self.screen.set_focus(tabs.query_one(Tabs), scroll_visible=False)
        tabs.active = pane
        if inside:
            self.call_after_refresh(self._focus_pane, pane)

    def focus_default(self) -> None:
        """Focus the current pane's main widget (e.g. when the app shows this view's tab)."""
        target = {"tx-inside": "#tx-heatmap", "tx-text": "#tx-input",
                  "tx-gen": "#tx-prompt"}.get(self.pane)
        if target is not None:
            self.query_one(target).focus()
        else:
            self.query_one("#tx-tabs", TabbedContent).query_one(Tabs).focus()

    def _focus_pane(self, pane: str) -> None:
        """Focus the pane's main widget (so the view's keys keep working)."""
        target = {"tx-inside": "#tx-heatmap", "tx-text": "#tx-input",
                  "tx-gen": "#tx-prompt"}.get(pane)
        if target is not None and self.pane == pane and isinstance(self.screen.focused, Tabs):
            self.screen.set_focus(self.query_one(target), scroll_visible=False)

    def action_pane(self, delta: int) -> None:
        i = PANES.index(self.pane) if self.pane in PANES else 0
        self.show_pane(PANES[(i + delta) % len(PANES)])

    def action_corpus(self, which: str) -> None:
        """Use a bundled corpus ('ko', 'en') or only the typed text ('')."""
        if not which:
            self.set_corpus("")
            return
        path = BUNDLED[which]
        if self.typed_text in DEFAULT_TEXTS.values():  # untouched example: match the language
            self.set_text(DEFAULT_TEXTS[which])
        self.set_corpus(str(path))
        for wid, key in (("#tx-probe-text", "probe"), ("#tx-prompt", "prompt")):
            inp = self.query_one(wid, Input)
            if inp.value in {d[key] for d in LANG_DEFAULTS.values()}:
                inp.value = LANG_DEFAULTS[which][key]

    def action_cycle_kind(self) -> None:
        self._cycle("#tx-kind", "sel_kind")

    def action_cycle_layer(self) -> None:
        self._cycle("#tx-layer", "sel_layer")

    def action_watch(self, delta: int) -> None:
        """While training: watch another validation window (from the next epoch's snapshot)."""
        if not self.run.active or self.run.n_val <= 0:
            self.notify("While a text model trains, [ and ] choose which validation window the "
                        "Inside pane watches.", timeout=4, markup=False)
            return
        current = self.run.probe.sample if self.run.probe is not None else 0
        n = max(0, min(self.run.n_val - 1, int(current) + delta))
        self.post_message(WatchSample("text", n))
        self.inside_source = "live"
        self.notify(f"Watching validation window {n} of {self.run.n_val} from the next epoch.",
                    timeout=3, markup=False)

    def _cycle(self, sel_id: str, attr: str) -> None:
        values = getattr(self.query_one(sel_id, Select), "_tx_values", None) or []
        if not values:
            return
        cur = getattr(self, attr)
        setattr(self, attr, values[(values.index(cur) + 1) % len(values)]
                if cur in values else values[0])
        self._show_inside()

    def _error(self, message: str, title: str = "seqlab") -> None:
        self.notify(message, title=title, severity="error", timeout=8, markup=False)

    # -- text, tokenizer, vocabulary -----------------------------------------------------------
    @property
    def typed_text(self) -> str:
        return self.query_one("#tx-input", TextArea).text

    def set_text(self, text: str) -> None:
        """Replace the typed text (re-tokenized shortly after)."""
        self.query_one("#tx-input", TextArea).text = text

    def set_tokenizer(self, name: str) -> None:
        """Choose a tokenizer; refused (with a notification) when it cannot be made."""
        sel = self.query_one("#tx-tokenizer", Select)
        if sel.value != name:
            sel.value = name  # Select.Changed -> _tokenizer_changed
        else:
            self._retokenize(tokenizer=name)

    def set_corpus(self, path: str) -> None:
        """Use a .txt corpus (kept only when it reads and tokenizes) or '' for the typed text."""
        inp = self.query_one("#tx-corpus", Input)
        if inp.value != path:
            inp.value = path
        self._retokenize(corpus=path.strip())

    @on(TextArea.Changed, "#tx-input")
    def _text_changed(self) -> None:
        self._schedule_retokenize()

    @on(Select.Changed, "#tx-tokenizer")
    def _tokenizer_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.tokenizer:
            self._retokenize(tokenizer=str(event.value))

    @on(Input.Submitted, "#tx-corpus")
    def _corpus_submitted(self, event: Input.Submitted) -> None:
        self._retokenize(corpus=event.value.strip())

    @on(Input.Submitted, "#tx-min-freq, #tx-max-size")
    @on(Input.Blurred, "#tx-min-freq, #tx-max-size")
    def _vocab_settings(self, _event: Any) -> None:
        self._schedule_retokenize()

    def _vocab_limits(self) -> tuple[int, int | None]:
        raw_min = self.query_one("#tx-min-freq", Input).value.strip() or "1"
        raw_max = self.query_one("#tx-max-size", Input).value.strip() or "0"
        min_freq, max_size = int(raw_min), int(raw_max)
        if min_freq < 1:
            raise SeqlabError("minimum frequency must be at least 1.")
        if 0 < max_size <= len(SPECIALS):
            raise SeqlabError(f"maximum vocabulary size must be 0 (no limit) or above "
                              f"{len(SPECIALS)} (the special tokens).")
        return min_freq, (max_size or None)

    def _schedule_retokenize(self) -> None:
        if self._retok_timer is not None:
            self._retok_timer.stop()
        self._retok_timer = self.set_timer(DEBOUNCE_S, self._retokenize)

    def _retokenize(self, tokenizer: str | None = None, corpus: str | None = None) -> None:
        if self._retok_timer is not None:
            self._retok_timer.stop()
            self._retok_timer = None
        try:
            min_freq, max_size = self._vocab_limits()
        except (SeqlabError, ValueError) as exc:
            self._error(str(exc), "Vocabulary")
            return
        if corpus is not None:
            self._want_corpus = corpus
        sel = self.query_one("#tx-tokenizer", Select)
        self._tokenize_worker(
            self.typed_text,
            tokenizer or (str(sel.value) if sel.value is not Select.NULL else self.tokenizer),
            self._want_corpus if self._want_corpus is not None else self.corpus,
            min_freq,
            max_size,
        )

    @work(thread=True, exclusive=True, group="tx-tokenize")
    def _tokenize_worker(self, text: str, tokenizer: str, corpus: str, min_freq: int,
                         max_size: int | None) -> None:
        from seqlab.text import get_tokenizer, load_text, tokenize_lines

        worker = get_current_worker()
        try:
            tok = get_tokenizer(tokenizer)
        except SeqlabError as exc:
            self._from_thread(self._tokenizer_refused, str(exc))
            return
        source_stream: list[str] | None = None
        source_lines = 0
        if corpus:
            try:
                p = Path(corpus).expanduser()
                key = (str(p.resolve()), p.stat().st_mtime if p.exists() else 0.0, tok.name)
                cached = self._corpus_cache.get(key)
                if cached is None:
                    loaded = load_text(p)
                    cached = tokenize_lines(loaded.text, tok)
                    self._corpus_cache.clear()
                    self._corpus_cache[key] = cached
                source_stream, source_lines = cached
            except SeqlabError as exc:
                self._from_thread(self._corpus_refused, corpus, str(exc))
                return
            except (OSError, ValueError) as exc:
                self._from_thread(self._corpus_refused, corpus, f"cannot read {corpus}: "
                                          f"{exc}")
                return
        if worker.is_cancelled:
            return
        result = Tokenized(tokenizer=tok.name)
        try:
            stream, n_lines = tokenize_lines(text, tok)
        except SeqlabError as exc:
            stream, n_lines = [], 0
            result.error = str(exc)
        result.tokens = stream
        base = source_stream if source_stream is not None else stream
        result.source = Path(corpus).name if corpus else "typed text"
        result.source_tokens = sum(1 for t in base if t != EOS)
        result.source_lines = source_lines if corpus else n_lines
        if base:
            try:
                result.vocab = Vocab.build(base, min_freq=min_freq, max_size=max_size)
            except SeqlabError as exc:
                self._from_thread(self._error, str(exc), "Vocabulary")
                return
            result.ids = result.vocab.encode(stream)
        else:
            result.ids = [UNK_ID] * len(stream)
        typed = [t for t in stream if t != EOS]
        result.n_tokens = len(typed)
        result.unknown = result.vocab.unknown_count(typed) if result.vocab else len(typed)
        if worker.is_cancelled:
            return
        self._from_thread(self._show_tokens, result, corpus)

    def _from_thread(self, callback: Any, *args: Any) -> None:
        """Run ``callback`` on the UI thread unless this worker was cancelled or the view left."""
        if get_current_worker().is_cancelled or not self.is_attached:
            return
        with contextlib.suppress(RuntimeError):  # the app closed meanwhile
            self.app.call_from_thread(callback, *args)

    def _tokenizer_refused(self, reason: str) -> None:
        self._error(reason, "Tokenizer")
        sel = self.query_one("#tx-tokenizer", Select)
        if sel.value != self.tokenizer:
            with sel.prevent(Select.Changed):
                sel.value = self.tokenizer

    def _corpus_refused(self, path: str, reason: str) -> None:
        if self._want_corpus == path:
            self._want_corpus = None
        kept = f" Kept {Path(self.corpus).name}." if self.corpus else " Using the typed text."
        self._error(reason + kept, f"Cannot open {Path(path).name}")
        inp = self.query_one("#tx-corpus", Input)
        if inp.value != self.corpus:
            inp.value = self.corpus

    def _show_tokens(self, result: Tokenized, corpus: str) -> None:
        switched = corpus != self.corpus
        if self._want_corpus == corpus:
            self._want_corpus = None
        self.tokenizer = result.tokenizer
        self.corpus = corpus
        self.tokenized = result
        chips = self.query_one("#tx-chips", TokenChips)
        summary = self.query_one("#tx-summary", Static)
        if switched and corpus:
            self.notify(f"Corpus {Path(corpus).name}: {result.source_lines:,} lines, "
                        f"{result.source_tokens:,} {result.tokenizer} tokens.", timeout=3,
                        markup=False)
        if result.error:
            chips.empty = "no tokens"
            chips.data = None
            summary.update(Text(result.error, style="bold red"))
            if not self._was_empty:
                self._error(result.error, "Text")
            self._was_empty = True
            self._show_model_info()
            return
        self._was_empty = False
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
        unk_style = "bold red" if result.unknown else "green"
        line2.append(f"{result.unknown:,} unknown", style=unk_style)
        line2.append(" (→ <unk>·1) · <eos>·3 ends each line", style="dim")
        summary.update(Text("\n").join([line1, line2]))
        all_unknown = result.n_tokens > 0 and result.unknown == result.n_tokens
        no_vocab = vocab is not None and len(vocab) <= len(SPECIALS) and result.source_tokens > 0
        if no_vocab and not self._was_no_vocab:
            self._error(f"min freq {vocab.min_freq} leaves no token in the vocabulary: "
                        "lower it (1 keeps every token).", "Vocabulary")
        elif all_unknown and not no_vocab and not self._was_all_unknown:
            self.notify(f"None of the typed text's {result.n_tokens} tokens are in the "
                        f"{result.source} vocabulary: type text in its language.",
                        title="Unknown tokens", severity="warning", timeout=6, markup=False)
        self._was_all_unknown = all_unknown
        self._was_no_vocab = no_vocab
        self._show_model_info()

    # -- model settings ------------------------------------------------------------------------
    @on(Checkbox.Changed, "#tx-bidir")
    def _bidir_changed(self, event: Checkbox.Changed) -> None:
        if not event.value:
            return
        reason = bidirectional_refusal()
        with event.checkbox.prevent(Checkbox.Changed):
            event.checkbox.value = False
        self.notify(reason, title="Bidirectional refused", severity="warning", timeout=10,
                    markup=False)

    @on(Select.Changed, "#tx-cell")
    @on(Input.Changed, "#tx-emb, #tx-layers, #tx-hidden, #tx-window")
    def _model_changed(self) -> None:
        self._show_model_info()

    def _int(self, wid: str, name: str) -> int:
        raw = self.query_one(wid, Input).value.strip()
        try:
            return int(raw)
        except ValueError:
            raise SeqlabError(f"{name} must be a whole number (got {raw!r}).") from None

    def _float(self, wid: str, name: str) -> float:
        raw = self.query_one(wid, Input).value.strip()
        try:
            value = float(raw)
        except ValueError:
            raise SeqlabError(f"{name} must be a number (got {raw!r}).") from None
        if not math.isfinite(value):
            raise SeqlabError(f"{name} must be a finite number (got {raw!r}).")
        return value

    def build_config(self) -> TextRunConfig:
        """The TextRunConfig of the current settings (raises SeqlabError with one line)."""
        from seqlab.text import check_text

        min_freq, max_size = self._vocab_limits()
        if not self.corpus:
            check_text(self.typed_text)  # empty / whitespace only: the engine's one line
        text_cfg = TextConfig(
            path=str(Path(self.corpus).expanduser().absolute()) if self.corpus else "",
            text=None if self.corpus else self.typed_text,
            tokenizer=self.tokenizer,
            window=self._int("#tx-window", "window"),
            min_freq=min_freq,
            max_size=max_size or 0,
            embedding=self._int("#tx-emb", "embedding size"),
        )
        model = ModelConfig(
            cell=str(self.query_one("#tx-cell", Select).value),  # type: ignore[arg-type]
            hidden_size=self._int("#tx-hidden", "hidden size"),
            num_layers=self._int("#tx-layers", "layers"),
            bidirectional=False,
            dropout=self._float("#tx-dropout", "dropout"),
        )
        train = TrainConfig(
            epochs=self._int("#tx-epochs", "epochs"),
            batch_size=self._int("#tx-batch", "batch size"),
            lr=self._float("#tx-lr", "learning rate"),
            patience=5,
            runs_dir=str(Path(self.runs_dir).absolute()),
            threads=worker_threads(),
        )
        cfg = TextRunConfig(text=text_cfg, model=model, train=train)
        cfg.validate()
        return cfg

    def _show_model_info(self) -> None:
        info = self.query_one("#tx-model-info", Static)
        try:
            emb = self._int("#tx-emb", "embedding size")
            hidden = self._int("#tx-hidden", "hidden size")
            layers = self._int("#tx-layers", "layers")
            window = self._int("#tx-window", "window")
        except SeqlabError as exc:
            info.update(Text(str(exc), style="red"))
            return
        cell = str(self.query_one("#tx-cell", Select).value)
        vocab = self.tokenized.vocab if self.tokenized is not None else None
        v = len(vocab) if vocab is not None else len(SPECIALS)
        params = lm_params(v, emb, cell, hidden, layers)
        name = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}.get(cell, cell)
        stack = f"{name}({hidden})" + (f" ×{layers}" if layers > 1 else "")
        src = Path(self.corpus).name if self.corpus else "the typed text"
        out = Text()
        out.append(f"(batch, {window}) token ids → Embedding({v}→{emb}) → {stack} → "
                   f"Linear({hidden}→{v}) → next token at every position\n")
        out.append(f"≈ {params:,} parameters", style="bold")
        out.append(f" · trains on {src} ({self.tokenizer} tokens) · ")
        out.append("ctrl+t", style="bold")
        out.append(" to train\n")
        out.append("\n".join(MODEL_HELP), style="dim")
        info.update(out)

    # -- training ------------------------------------------------------------------------------
    def action_train(self) -> None:
        """Check the settings and the text, then start the training worker."""
        if self.run.active:
            self.notify("A text training is already running: ctrl+s stops it.",
                        severity="warning", markup=False)
            return
        try:
            cfg = self.build_config()
        except SeqlabError as exc:
            self._error(str(exc), "Cannot train")
            return
        self.run = RunState(kind="text", status="starting", epochs_total=cfg.train.epochs)
        self._show_train()
        self.refresh_bindings()
        self._pretrain_worker(cfg)

    @work(thread=True, exclusive=True, group="tx-pretrain")
    def _pretrain_worker(self, cfg: TextRunConfig) -> None:
        """Tokenize and window the text once here so bad input is refused before a process."""
        from seqlab.text import load_text, make_lm_dataset

        try:
            t = cfg.text
            text = load_text(t.path).text if t.path else (t.text or "")
            data = make_lm_dataset(text, tokenizer=t.tokenizer, window=t.window, split=t.split,
                                   min_freq=t.min_freq, max_size=t.max_size or None,
                                   stride=t.effective_stride)
            if len(data.train) == 0 or len(data.val) == 0:
                raise SeqlabError("the text is too small for a validation split: add text or "
                                  "lower the window.")
        except SeqlabError as exc:
            self._from_thread(self._train_refused, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - still one line, never a traceback
            self._from_thread(self._train_refused, f"{type(exc).__name__}: {exc}")
            return
        self._from_thread(self._launch, cfg)

    def _train_refused(self, reason: str) -> None:
        self.run = RunState(kind="text")
        self._show_train()
        self.refresh_bindings()
        self._error(reason, "Cannot train")

    def _launch(self, cfg: TextRunConfig) -> None:
        self.inside_source = "live"
        self.show_pane("train")
        self.post_message(StartRun("text", cfg))  # the app's run controller starts it

    def action_stop(self) -> None:
        """Stop the training after the current batch (the run is saved as stopped)."""
        if not self.run.active:
            self.notify("Nothing is training.", severity="warning", markup=False)
            return
        self.post_message(StopRun("text"))

    # -- the run, handed down by the app -------------------------------------------------------
    def show_run(self, state: RunState) -> None:
        """The text run the app follows (a new one, or one whose status changed)."""
        self.run = state
        self.refresh_bindings()
        self._flush(force=True)

    def run_event(self, state: RunState, event: Any) -> None:
        """One event of the followed text run, already folded into ``state``."""
        self.run = state
        self._dirty = True
        match event:
            case RunStarted():
                self.notify(f"Training {Path(state.run_dir).name} ({state.params:,} "
                            f"parameters, {state.device}).", timeout=3, markup=False)
                self.refresh_bindings()
            case ProbeSnapshot() if self.inside_source == "live":
                self.inside = state.probe
                self._show_inside()
            case RunEnd():
                self._flush()
                if event.status in ("failed", "diverged"):
                    self._error(event.reason or f"run {event.status}", "Training " + event.status)
                else:
                    ppl, uni = state.val_perplexity, state.unigram
                    self.notify(f"Run {event.status}: val perplexity {fmt_num(ppl)} (unigram "
                                f"baseline {fmt_num(uni)}). ctrl+r looks inside, ctrl+g "
                                "generates.", title=Path(event.run_dir).name if event.run_dir
                                else "seqlab", timeout=6, markup=False)
                    if event.run_dir and (Path(event.run_dir) / "model.pt").is_file():
                        self.use_run(event.run_dir)

    def run_exited(self, state: RunState) -> None:
        """The controller stopped following the text run (failures were announced already)."""
        self.run = state
        self.refresh_bindings()
        self._flush(force=True)

    def _flush(self, force: bool = False) -> None:
        if self._dirty or force:
            self._dirty = False
            self._show_train()

    def _show_train(self) -> None:
        st = self.run
        status = self.query_one("#tx-train-status", Static)
        colour = {"running": "green", "starting": "yellow", "stopping": "yellow",
                  "finished": "cyan", "stopped": "yellow", "failed": "red",
                  "diverged": "red"}.get(st.status, "dim")
        line1 = Text()
        line1.append(f"● {st.status}", style=f"bold {colour}")
        if st.status == "idle":
            line1.append("  ctrl+t trains a next-token model on "
                         f"{Path(self.corpus).name if self.corpus else 'the typed text'}.")
        else:
            line1.append(f" · epoch {st.epoch}/{st.epochs_total or '?'}")
            if st.steps_per_epoch and st.active:
                line1.append(f" · step {st.step}/{st.steps_per_epoch}")
            if st.active and math.isfinite(st.eta_s):
                line1.append(f" · ETA {fmt_secs(st.eta_s)}")
            if st.samples_per_s:
                line1.append(f" · {fmt_compact(st.tokens_per_s)} tokens/s")
            if st.params:
                line1.append(f" · {st.params:,} params")
        line2 = Text()
        if st.val_loss or st.summary:
            line2.append(f"val perplexity {fmt_num(st.val_perplexity)}", style="bold")
            line2.append(f" (unigram {fmt_num(st.unigram)})")
            if st.train_loss:
                line2.append(f" · train loss {st.train_loss[-1]:.3f} nats")
            if st.best_epoch:
                line2.append(f" · best epoch {st.best_epoch}")
        elif st.reason:
            line2.append(st.reason, style="red" if st.status == "failed" else "")
        elif st.run_dir:
            line2.append(Path(st.run_dir).name, style="dim")
        else:
            line2.append("loss: cross entropy (nats) · perplexity = exp(loss) · baseline: "
                         "unigram", style="dim")
        status.update(Text("\n").join([line1, line2]))

        ex = np.asarray(st.epochs, dtype=float)
        tl = np.asarray(st.train_loss, dtype=float)
        vl = np.asarray(st.val_loss, dtype=float)
        loss_series = [Series("step", np.asarray(st.step_x, float),
                              np.asarray(st.step_loss, float), "grey50"),
                       Series("train", ex, tl, "cyan"), Series("val", ex, vl, "magenta")]
        empty = "curves appear after the first epoch" if st.active else "no run yet (ctrl+t)"
        self.query_one("#tx-loss-plot", PlotView).data = {
            "series": loss_series, "title": "loss (nats)", "empty": empty}
        ppl_series = [Series("train", ex, np.exp(np.minimum(tl, 700)), "cyan"),
                      Series("val", ex, np.exp(np.minimum(vl, 700)), "magenta")]
        if math.isfinite(st.unigram) and len(ex):
            x_end = float(max(st.epochs_total, ex[-1]))
            ppl_series.append(Series("unigram", np.array([1.0, max(x_end, 1.0)]),
                                     np.array([st.unigram, st.unigram]), "yellow"))
        self.query_one("#tx-ppl-plot", PlotView).data = {
            "series": ppl_series, "title": "perplexity (log)", "log_y": True, "empty": empty}

    # -- looking inside ------------------------------------------------------------------------
    def use_run(self, run_dir: str) -> None:
        """Look inside / generate with this finished text run (its directory holds model.pt)."""
        if run_dir != self.model_run:
            self._close_service()
        self.model_run = run_dir
        self._show_generation()

    def _service_ready(self) -> LMService | None:
        """The running (or starting) service for ``model_run``, started if needed."""
        if not self.model_run:
            if self.run.active:
                self._error("The model is still training: the Inside pane shows the watched "
                            "validation window; type your sentence when the run ends.",
                            "No model yet")
            else:
                self._error("No trained text model yet: train one first (ctrl+t).",
                            "No model yet")
            return None
        svc = self._service
        if svc is not None and svc.run_dir == self.model_run and (svc.proc is None or svc.running):
            return svc
        self._close_service()
        svc = LMService(self.model_run)
        self._service = svc
        self._service_info = {}
        self._service_reader(svc)
        return svc

    def _command(self, cmd: str, **kwargs: Any) -> bool:
        svc = self._service_ready()
        if svc is None:
            return False
        if svc.proc is None:  # still starting: sent once it runs
            svc.pending.append((cmd, kwargs))
        else:
            self.run_worker(svc.command(cmd, **kwargs), group="tx-cmd")
        return True

    @work(group="tx-service")
    async def _service_reader(self, svc: LMService) -> None:
        reason = ""
        try:
            await svc.start()
            for cmd, kwargs in svc.pending:
                await svc.command(cmd, **kwargs)
            svc.pending.clear()
            async for reply in svc.replies():
                self.post_message(ModelReply(svc.run_dir, reply))
            code = await svc.wait()
            # 2: the run could not be loaded (its Error line already said why)
            if code not in (0, 2, None) and svc is self._service:
                reason = svc.failure_reason("the model service exited unexpectedly")
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
        self.post_message(ModelServiceExited(svc.run_dir, reason, svc))

    def _close_service(self) -> None:
        svc, self._service = self._service, None
        if svc is not None:
            svc.close_stdin()
            svc.kill_now()

    @on(ModelServiceExited)
    def _on_service_exited(self, message: ModelServiceExited) -> None:
        if message.service is not None and message.service is self._service:
            self._service = None
        if message.reason:
            self._error(message.reason, "Model service")
        if not self.gen_done:
            self.gen_done = True
            self._show_generation()

    @on(ModelReply)
    def _on_service_reply(self, message: ModelReply) -> None:
        if message.run_dir != self.model_run:
            return  # an answer from a model no longer in use
        reply = message.reply
        if isinstance(reply, ProbeSnapshot):
            self.inside = reply
            self.inside_source = "probe"
            self._show_inside()
            return
        kind = reply.get("type")
        if kind == "Info":
            self._service_info = reply
        elif kind == "Token":
            self.generated.append(str(reply.get("token", "")))
            self._show_generation()
        elif kind == "GenerateEnd":
            self.gen_done = True
            self._show_generation()
        elif kind == "Neighbours":
            self.neighbour_items = list(reply.get("items") or [])
            self._show_neighbours(str(reply.get("token", "")))
        elif kind == "Error":
            if not self.gen_done:
                self.gen_done = True
                self._show_generation()
            self._error(str(reply.get("message", "the model service failed")), "Model")

    def action_probe(self, text: str | None = None) -> None:
        """Probe a sentence (default: the Inside pane's input) with the trained model."""
        from seqlab.text import check_text

        inp = self.query_one("#tx-probe-text", Input)
        if text is not None:
            inp.value = text
        try:
            sentence = check_text(inp.value)
        except SeqlabError as exc:
            self._error(str(exc), "Look inside")
            return
        if self._command("probe", text=sentence.strip()):
            self.show_pane("inside")
            self.query_one("#tx-inside-title", Static).update(
                Text("asking the model…\n(the first answer loads it: a few seconds)",
                     style="dim"))

    @on(Input.Submitted, "#tx-probe-text")
    def _probe_submitted(self) -> None:
        self.action_probe()

    @on(Select.Changed, "#tx-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.sel_kind:
            self.sel_kind = str(event.value)
            self._show_inside()

    @on(Select.Changed, "#tx-layer")
    def _layer_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.sel_layer:
            self.sel_layer = str(event.value)
            self._show_inside()

    @on(HeatmapView.CursorMoved)
    def _cursor_moved(self) -> None:
        self._show_topk()

    def _set_options(self, sel_id: str, options: list[tuple[str, str]], value: str) -> None:
        sel = self.query_one(sel_id, Select)
        values = [v for _label, v in options]
        with sel.prevent(Select.Changed):
            if getattr(sel, "_tx_values", None) != values:
                sel._tx_values = values  # type: ignore[attr-defined]
                sel.set_options(options)
            if sel.value != value:
                sel.value = value

    def _show_inside(self) -> None:
        probe = self.inside
        title = self.query_one("#tx-inside-title", Static)
        heat = self.query_one("#tx-heatmap", TokenHeatmap)
        strip = self.query_one("#tx-strip", StripView)
        if probe is None:
            heat.data = None
            strip.data = None
            title.update(Text("rows: tokens (time)\ncolumns: hidden units\n↑↓←→ move the cursor",
                              style="dim"))
            self._show_topk()
            return
        keys = [k.split("/") for k in probe.states]
        kinds = [k for k in KIND_ORDER if any(p[0] == k for p in keys)]
        layers = sorted({p[1] for p in keys if len(p) == 3}, key=_as_int)
        if self.sel_kind not in kinds:
            self.sel_kind = kinds[0] if kinds else "h"
        if self.sel_layer not in layers and layers:
            self.sel_layer = layers[-1]
        self._set_options("#tx-kind", [(KIND_NAMES.get(k, k), k) for k in kinds], self.sel_kind)
        self._set_options("#tx-layer", [(f"layer {x}", x) for x in layers], self.sel_layer)
        values = probe.states.get(f"{self.sel_kind}/{self.sel_layer}/fwd")
        labels = [display_token(t) for t in probe.labels]
        if values is not None:
            gate = self.sel_kind in GATES
            heat.data = {
                "values": np.asarray(values, dtype=float),
                "labels": labels,
                "scale": "sequential" if gate else "diverging",
                "vmin": 0.0 if gate else None,
                "vmax": 1.0 if gate else None,
            }
        grad = probe.grads.get(f"{self.sel_layer}/fwd")
        strip.data = None if grad is None else {
            "values": np.asarray(grad, dtype=float), "labels": labels, "title": None}
        where = ("your sentence" if self.inside_source == "probe"
                 else f"val window {probe.sample} · epoch {probe.epoch}")
        t = Text()
        t.append(where + "\n", style="bold")
        t.append(f"{len(labels)} tokens · {KIND_NAMES.get(self.sel_kind, self.sel_kind)}"
                 f" · layer {self.sel_layer}\n")
        t.append("k: state  y: layer\n" + ("[ ]: another val window\n" if self.run.active else "")
                 + "strip below: ‖∂loss/∂h_t‖ (log)\n", style="dim")
        title.update(t)
        self._show_topk()

    def _show_topk(self) -> None:
        box = self.query_one("#tx-topk", Static)
        probe = self.inside
        if probe is None or not probe.labels:
            box.update(Text("top-5 next tokens at the cursor appear here", style="dim"))
            return
        t = min(self.query_one("#tx-heatmap", TokenHeatmap).cursor[0], len(probe.labels) - 1)
        cur = display_token(probe.labels[t])
        out = Text()
        out.append(f"next after ‘{cur}’ (t={t})\n", style="bold")
        actual = probe.labels[t + 1] if t + 1 < len(probe.labels) else None
        rows = probe.topk[t] if t < len(probe.topk) else []
        for tok, p in rows:
            shown = display_token(str(tok)) if str(tok) not in SPECIALS else str(tok)
            label = fit_cells(shown, 8)
            bar = "█" * max(0, min(10, int(round(float(p) * 10))))
            mark = "✓" if actual is not None and str(tok) == actual else " "
            out.append(f"{label} {float(p):4.2f} ", style="bold" if mark == "✓" else "")
            out.append(f"{bar:<10}", style="cyan")
            out.append(mark + "\n", style="green")
        if not rows:
            out.append("no predictions in this snapshot\n", style="dim")
        if actual is not None:
            out.append(f"next in text: ‘{display_token(actual)}’", style="dim")
        box.update(out)

    # -- generation and neighbours -------------------------------------------------------------
    def action_generate(self, prompt: str | None = None) -> None:
        """Sample a continuation of the prompt; tokens stream in as they are drawn."""
        inp = self.query_one("#tx-prompt", Input)
        if prompt is not None:
            inp.value = prompt
        try:
            temperature = self._float("#tx-temp", "temperature")
            if temperature <= 0:
                raise SeqlabError(f"temperature must be above 0 (got {temperature:g}).")
            top_k = self._int("#tx-topk-k", "top-k")
            n = self._int("#tx-ntokens", "tokens")
            if not 1 <= n <= 2000:
                raise SeqlabError(f"tokens must be between 1 and 2000 (got {n}).")
            if not inp.value.strip():
                raise SeqlabError("the prompt is empty: type the start of a sentence.")
        except SeqlabError as exc:
            self._error(str(exc), "Generate")
            return
        if not self.gen_done:
            self.notify("Still generating: wait for it to finish.", severity="warning",
                        markup=False)
            return
        self._gen_seed += 1
        if self._command("generate", prompt=inp.value, tokens=n, temperature=temperature,
                         top_k=top_k, seed=self._gen_seed - 1):
            self.gen_prompt = inp.value
            self.generated = []
            self.gen_done = False
            self.show_pane("gen")
            self._show_generation()

    @on(Input.Submitted, "#tx-prompt")
    def _prompt_submitted(self) -> None:
        self.action_generate()

    def _show_generation(self) -> None:
        status = self.query_one("#tx-gen-status", Static)
        out = self.query_one("#tx-gen-out", Static)
        if not self.model_run:
            status.update(Text("Train a model first (ctrl+t); then Enter in the prompt samples "
                               "a continuation.", style="dim"))
            out.update("")
            return
        tokenizer = str(self._service_info.get("tokenizer") or self.tokenizer)
        state = "generating…" if not self.gen_done else (
            f"{len(self.generated)} tokens" if self.generated else "ready")
        status.update(Text(f"{Path(self.model_run).name} · {state} · temp > 1 bolder, < 1 safer",
                           style="dim"))
        if not self.gen_prompt:
            out.update("")
            return
        text = Text()
        text.append(self.gen_prompt, style="dim")
        body = decode_tokens(tokenizer, self.generated)
        if tokenizer in ("word", "morph") and body and not self.gen_prompt.endswith(" "):
            body = " " + body
        text.append(body, style="bold")
        if not self.gen_done:
            text.append("▌", style="blink")
        out.update(text)
        self.query_one("#tx-gen-box", VerticalScroll).scroll_end(animate=False)

    def action_neighbours(self, token: str | None = None) -> None:
        """Nearest tokens (cosine of the embeddings) to a token (default: the input's)."""
        inp = self.query_one("#tx-nb-token", Input)
        if token is not None:
            inp.value = token
        tok = inp.value or self._cursor_token()
        if not tok:
            self._error("type a token from the vocabulary (e.g. one of the chips), or look "
                        "inside a sentence and put the cursor on a token.", "Neighbours")
            return
        if self._command("neighbours", token=tok, k=8):
            self.show_pane("gen")

    def _cursor_token(self) -> str:
        probe = self.inside
        if probe is None or not probe.labels:
            return ""
        t = min(self.query_one("#tx-heatmap", TokenHeatmap).cursor[0], len(probe.labels) - 1)
        return str(probe.labels[t])

    @on(Input.Submitted, "#tx-nb-token")
    def _nb_submitted(self) -> None:
        self.action_neighbours()

    def _show_neighbours(self, token: str = "") -> None:
        box = self.query_one("#tx-nb-out", Static)
        if not self.neighbour_items:
            box.update(Text("Embedding neighbours: tokens the model uses alike (cosine "
                            "similarity of their vectors).", style="dim"))
            return
        out = Text()
        out.append(f"‘{display_token(token)}’ ≈ ", style="bold")
        for i, (tok, sim) in enumerate(self.neighbour_items):
            if i:
                out.append(" · ")
            out.append(display_token(str(tok)), style="cyan")
            out.append(f" {float(sim):.2f}", style="dim")
        box.update(out)

    # -- shutting down -------------------------------------------------------------------------
    def kill_now(self) -> None:
        """Synchronous: end the model service (runs belong to the app's run controller)."""
        self._close_service()

    async def shutdown(self) -> None:
        """End the model service."""
        svc, self._service = self._service, None
        if svc is not None:
            svc.close_stdin()
            await svc.terminate(1.0)


# ----------------------------------------------------------------------------- helpers
def bidirectional_refusal() -> str:
    """The engine's one-line reason why a next-token model cannot be bidirectional."""
    cfg = TextRunConfig(text=TextConfig(text="x"), model=ModelConfig(bidirectional=True))
    try:
        cfg.validate()
    except SeqlabError as exc:
        return str(exc)
    return "a next-token model cannot be bidirectional: it would see the future."


def lm_params(vocab: int, emb: int, cell: str, hidden: int, layers: int) -> int:
    """Embedding + fused recurrent stack + per-position head, as torch counts them."""
    gates = CELL_GATES.get(cell, 1)
    total = vocab * emb
    for layer in range(max(layers, 1)):
        n_in = emb if layer == 0 else hidden
        total += gates * (n_in * hidden + hidden * hidden + 2 * hidden)
    return total + hidden * vocab + vocab


def decode_tokens(tokenizer: str, tokens: list[str]) -> str:
    """Generated tokens -> text (``<eos>`` ends a line) without loading kiwipiepy."""
    from seqlab.text import CharTokenizer, JamoTokenizer, WordTokenizer

    decoders = {"char": CharTokenizer(), "jamo": JamoTokenizer(), "word": WordTokenizer()}
    dec = decoders.get(tokenizer)
    lines: list[list[str]] = [[]]
    for tok in tokens:
        if tok == EOS:
            lines.append([])
        elif tok not in ("<pad>", "<bos>"):
            lines[-1].append(tok)
    return "\n".join(dec.decode(line) if dec is not None else " ".join(line) for line in lines)


def fmt_num(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def fmt_secs(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    return f"{s // 60}:{s % 60:02d}"


def _as_int(s: str) -> int:
    try:
        return int(s)
    except ValueError:
        return 0


__all__ = ["TEXT_COMMANDS", "TextView", "bidirectional_refusal", "decode_tokens", "lm_params"]
