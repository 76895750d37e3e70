"""Text mode: type sentences (or open a corpus), see their tokens, train an RNN language model,
and look inside it token by token.

``TextView`` holds five sub-panes, each in its own module (text_pane, model_pane, train_pane,
inside_pane, generate_pane), made to fit 80×24 inside a tab. Its state lives in a
Textual-free :class:`~seqlab.tui.textlab.session.TextSession`; runs are started, followed and
stopped by the lab's run controller (the view posts StartRun / StopRun / WatchSample up and is
handed the run state down); the trained model answers through
``python -m seqlab.training.lm_service RUN_DIR``. Nothing here imports torch.

Over 500 lines on purpose: this is the text mode's mediator (its bindings, commands, the
tokenizing worker and the model service's replies), routing between the panes and the session;
the drawing lives in the panes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import (
    Input,
    Select,
    TabbedContent,
    Tabs,
    TextArea,
)
from textual.worker import get_current_worker

from seqlab.config import TextRunConfig
from seqlab.errors import SeqlabError
from seqlab.text import SPECIALS
from seqlab.training.events import ProbeSnapshot, RunEnd, RunStarted
from seqlab.tui.messages import ModelReply, ModelServiceExited, StartRun, StopRun, WatchSample
from seqlab.tui.runstate import RunState
from seqlab.tui.textlab.generate_pane import GeneratePane
from seqlab.tui.textlab.inside_pane import InsidePane
from seqlab.tui.textlab.model_pane import TextModelPane, bidirectional_refusal
from seqlab.tui.textlab.session import (
    BUNDLED,
    DEFAULT_TEXT,
    DEFAULT_TEXTS,
    TextSession,
    Tokenized,
    vocab_limits,
)
from seqlab.tui.textlab.text_pane import TextInputPane
from seqlab.tui.textlab.train_pane import TextTrainPane, fmt_num
from seqlab.tui.worker_client import LMService, worker_threads

LANG_DEFAULTS = {
    "ko": {"probe": "나는 밥을 많이 먹었다.", "prompt": "나는 "},
    "en": {"probe": "I ate a lot of rice.", "prompt": "I "},
}
PANES = ("tx-text", "tx-model", "tx-train", "tx-inside", "tx-gen")
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
    TextView #tx-model-form { width: 30; }
    TextView #tx-model-side { width: 1fr; padding-left: 1; }
    TextView #tx-train-status { height: 2; }
    TextView #tx-plots { height: 1fr; }
    TextView #tx-loss-plot, TextView #tx-ppl-plot { width: 1fr; height: 1fr; }
    TextView #tx-loss-plot { margin-right: 2; }  /* the two legends must not run together */
    TextView #tx-kind { width: 18; }
    TextView #tx-layer { width: 11; }
    TextView #tx-inside-mid { height: 1fr; }
    TextView #tx-heatmap { width: 1fr; height: 1fr; }
    TextView #tx-inside-side { width: 27; height: 1fr; padding-left: 1; }
    TextView #tx-inside-title { height: auto; max-height: 4; }
    TextView #tx-topk { height: auto; }
    TextView #tx-legend, TextView #tx-grad { height: auto; }
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
        self.session = TextSession(self.runs_dir, text)  # text, corpus, tokens (cached)
        self.run = RunState(kind="text")  # handed down by the app's run controller
        self.model_run: str = ""  # the finished run that probe / generate / neighbours use
        self.inside: Any = None  # the ProbeSnapshot shown in the Inside pane
        self.inside_source = "live"  # live (watched validation window) | probe (typed sentence)
        self.generated: list[str] = []
        self.gen_text: str | None = None  # the model's own decoding of `generated`, once done
        self.gen_prompt = ""
        self.gen_done = True
        self.neighbour_items: list[list[Any]] = []
        self._service: LMService | None = None
        self._service_info: dict[str, Any] = {}
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
            yield TextInputPane(self.initial_text)
            yield TextModelPane()
            yield TextTrainPane()
            yield InsidePane(LANG_DEFAULTS["ko"]["probe"])
            yield GeneratePane(LANG_DEFAULTS["ko"]["prompt"])

    def on_mount(self) -> None:
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
        self.query_one(InsidePane).cycle("kind")

    def action_cycle_layer(self) -> None:
        self.query_one(InsidePane).cycle("layer")

    @property
    def sel_kind(self) -> str:
        """The state or gate the Inside pane shows."""
        return self.query_one(InsidePane).sel_kind

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

    def _error(self, message: str, title: str = "seqlab") -> None:
        self.notify(message, title=title, severity="error", timeout=8, markup=False)

    # -- text, tokenizer, vocabulary -----------------------------------------------------------
    @property
    def tokenizer(self) -> str:
        return self.session.tokenizer

    @property
    def corpus(self) -> str:
        """The corpus file in use ("" = the typed text is the corpus)."""
        return self.session.corpus

    @property
    def tokenized(self) -> Tokenized | None:
        return self.session.tokenized

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
        return vocab_limits(int(raw_min), int(raw_max))

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
        from seqlab.text import get_tokenizer

        worker = get_current_worker()
        try:
            get_tokenizer(tokenizer)
        except SeqlabError as exc:
            self._from_thread(self._tokenizer_refused, str(exc))
            return
        if corpus:
            try:
                self.session.stream(tokenizer, corpus)  # cached: read and tokenized once
            except SeqlabError as exc:
                self._from_thread(self._corpus_refused, corpus, str(exc))
                return
            except (OSError, ValueError) as exc:
                self._from_thread(self._corpus_refused, corpus, f"cannot read {corpus}: {exc}")
                return
        if worker.is_cancelled:
            return
        try:
            result = self.session.tokenize(text, tokenizer, corpus, min_freq, max_size or 0)
        except SeqlabError as exc:
            self._from_thread(self._error, str(exc), "Vocabulary")
            return
        if worker.is_cancelled:
            return
        self._from_thread(self._show_tokens, result, corpus, text, min_freq, max_size or 0)

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

    def _show_tokens(self, result: Tokenized, corpus: str, text: str, min_freq: int,
                     max_size: int) -> None:
        switched = corpus != self.corpus
        if self._want_corpus == corpus:
            self._want_corpus = None
        self.session.adopt(text, result, min_freq, max_size)
        self.query_one(TextInputPane).show(result)
        if switched and corpus:
            self.notify(f"Corpus {Path(corpus).name}: {result.source_lines:,} lines, "
                        f"{result.source_tokens:,} {result.tokenizer} tokens.", timeout=3,
                        markup=False)
        if result.error:
            if not self._was_empty:
                self._error(result.error, "Text")
            self._was_empty = True
            self._show_model_info()
            return
        self._was_empty = False
        vocab = result.vocab
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
    def build_config(self) -> TextRunConfig:
        """The TextRunConfig of the current settings (raises SeqlabError with one line)."""
        min_freq, max_size = self._vocab_limits()
        self.session.text = self.typed_text  # what is typed now, even within the debounce
        self.session.min_freq, self.session.max_size = min_freq, max_size or 0
        form = self.query_one(TextModelPane)
        model, train, window, embedding = form.configs(
            patience=5, runs_dir=str(Path(self.runs_dir).absolute()), threads=worker_threads())
        # only the default window is fitted to a short text; a chosen one is kept or refused
        return self.session.config(model, train, window=window, embedding=embedding,
                                   fit_window=not form.window_chosen)

    def _show_model_info(self) -> None:
        vocab = self.tokenized.vocab if self.tokenized is not None else None
        self.query_one(TextModelPane).show_info(
            len(vocab) if vocab is not None else len(SPECIALS),
            Path(self.corpus).name if self.corpus else "the typed text", self.tokenizer)

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
        """Refuse a text too small for the window before a process starts (from the tokens
        already cached for the chips: nothing is tokenized again)."""
        try:
            fitted = self.session.check_fits(cfg)
        except SeqlabError as exc:
            self._from_thread(self._train_refused, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - still one line, never a traceback
            self._from_thread(self._train_refused, f"{type(exc).__name__}: {exc}")
            return
        self._from_thread(self._launch, cfg, fitted)

    def _train_refused(self, reason: str) -> None:
        self.run = RunState(kind="text")
        self._show_train()
        self.refresh_bindings()
        self._error(reason, "Cannot train")

    def _launch(self, cfg: TextRunConfig, fitted: str = "") -> None:
        if fitted:  # the default window, shortened to fit a short text: say so
            self.notify(fitted[0].upper() + fitted[1:] + ".", title="Window", timeout=8,
                        markup=False)
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
    def show_run(self, state: RunState, replayed: bool = False) -> None:
        """The text run the app follows (a new one, one whose status changed, or one whose
        log has just been ``replayed``)."""
        self.run = state
        if replayed and state.probe is not None and self.inside_source == "live":
            self.inside = state.probe
            self._show_inside()
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

    def _show_inside(self) -> None:
        self.query_one(InsidePane).show(self.inside, self.inside_source, self.run.active)

    def _show_train(self) -> None:
        source = Path(self.corpus).name if self.corpus else "the typed text"
        self.query_one(TextTrainPane).show(self.run, source)

    # -- looking inside ------------------------------------------------------------------------
    def use_run(self, run_dir: str) -> None:
        """Look inside / generate with this finished text run (its directory holds model.pt)."""
        if run_dir != self.model_run:
            self._close_service()
        self.model_run = run_dir
        self._show_generation()

    def _service_ready(self) -> LMService | None:
        """The service for ``model_run`` (started by its first command)."""
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
        svc = self._service = LMService(self.model_run)
        self._service_info = {}
        return svc

    def _command(self, cmd: str, **kwargs: Any) -> bool:
        svc = self._service_ready()
        if svc is None:
            return False
        self._ask(svc, cmd, kwargs)
        return True

    @work(group="tx-service")
    async def _ask(self, svc: LMService, cmd: str, kwargs: dict[str, Any]) -> None:
        """One command to the model service; its answers come back as ModelReply messages."""
        try:
            async for reply in svc.ask(cmd, **kwargs):
                if not self._service_info and svc.info:
                    self.post_message(ModelReply(svc.run_dir, svc.info))
                self.post_message(ModelReply(svc.run_dir, reply))
        except SeqlabError as exc:
            if svc.running:
                self.post_message(ModelReply(svc.run_dir, {"type": "Error", "message": str(exc)}))
            else:  # it could not load the run, or died: say why once
                self.post_message(ModelServiceExited(svc.run_dir, str(exc), svc))

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
            text = reply.get("text")
            self.gen_text = text if isinstance(text, str) else None
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
            self.query_one(InsidePane).waiting()

    @on(Input.Submitted, "#tx-probe-text")
    def _probe_submitted(self) -> None:
        self.action_probe()

    # -- generation and neighbours -------------------------------------------------------------
    def action_generate(self, prompt: str | None = None) -> None:
        """Sample a continuation of the prompt; tokens stream in as they are drawn."""
        if prompt is not None:
            self.query_one("#tx-prompt", Input).value = prompt
        try:
            args = self.query_one(GeneratePane).settings()
        except SeqlabError as exc:
            self._error(str(exc), "Generate")
            return
        if not self.gen_done:
            self.notify("Still generating: wait for it to finish.", severity="warning",
                        markup=False)
            return
        self._gen_seed += 1
        if self._command("generate", **args, seed=self._gen_seed - 1):
            self.gen_prompt = args["prompt"]
            self.generated = []
            self.gen_text = None
            self.gen_done = False
            self.show_pane("gen")
            self._show_generation()

    @on(Input.Submitted, "#tx-prompt")
    def _prompt_submitted(self) -> None:
        self.action_generate()

    def _show_generation(self) -> None:
        tokenizer = str(self._service_info.get("tokenizer") or self.tokenizer)
        self.query_one(GeneratePane).show_generation(self.model_run, tokenizer, self.gen_prompt,
                                                     self.generated, self.gen_done, self.gen_text)

    def action_neighbours(self, token: str | None = None) -> None:
        """Nearest tokens (cosine of the embeddings) to a token (default: the input's)."""
        inp = self.query_one("#tx-nb-token", Input)
        if token is not None:
            inp.value = token
        tok = inp.value or self.query_one(InsidePane).cursor_token()
        if not tok:
            self._error("type a token from the vocabulary (e.g. one of the chips), or look "
                        "inside a sentence and put the cursor on a token.", "Neighbours")
            return
        if self._command("neighbours", token=tok, k=8):
            self.show_pane("gen")

    @on(Input.Submitted, "#tx-nb-token")
    def _nb_submitted(self) -> None:
        self.action_neighbours()

    def _show_neighbours(self, token: str = "") -> None:
        self.query_one(GeneratePane).show_neighbours(self.neighbour_items, token)

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


__all__ = ["TEXT_COMMANDS", "TextView", "bidirectional_refusal"]
