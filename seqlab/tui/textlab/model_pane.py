"""The text mode's Model pane: the language model's settings, on the same field table as the
Model view (seqlab.tui.views.forms), and the model they make with its parameter count."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, Input, Select, Static, TabPane

from seqlab.config import ModelConfig, TextConfig, TextRunConfig, TrainConfig
from seqlab.errors import SeqlabError
from seqlab.models.info import CELL_NAMES, estimate_lm_params
from seqlab.tui.views.forms import Field, FieldSpec, number_input, parse_field

# field id -> what it sets; the values a new text run starts from
FIELDS: dict[str, FieldSpec] = {
    "tx-emb": FieldSpec("text", "embedding", int, "embedding"),
    "tx-hidden": FieldSpec("model", "hidden_size", int, "hidden"),
    "tx-layers": FieldSpec("model", "num_layers", int, "layers"),
    "tx-dropout": FieldSpec("model", "dropout", float, "dropout"),
    "tx-window": FieldSpec("text", "window", int, "window"),
    "tx-batch": FieldSpec("train", "batch_size", int, "batch"),
    "tx-epochs": FieldSpec("train", "epochs", int, "epochs"),
    "tx-lr": FieldSpec("train", "lr", float, "lr"),
}
DEFAULTS = {"tx-emb": "32", "tx-hidden": "128", "tx-layers": "1", "tx-dropout": "0",
            "tx-window": "32", "tx-batch": "32", "tx-epochs": "20", "tx-lr": "0.003"}
MODEL_HELP = (
    "embedding  length of the vector that stands for each token",
    "hidden     size of the state h_t carried from token to token",
    "window     tokens per training sequence (the unrolled length)",
    "dropout    between stacked layers only (needs layers > 1)",
    "epochs     at most: stops after 5 epochs without a better val loss",
    "one direction only: a next-token model must not see what it predicts",
)


class TextModelPane(TabPane):
    """Settings read on demand (:meth:`values`); the info redraws as they are typed."""

    def __init__(self) -> None:
        super().__init__("Model", id="tx-model")
        self.vocab_size = 4  # the specials, until the text is tokenized
        self.source = "the typed text"
        self.window_chosen = False  # the window field was edited: keep it, never fit it

    def compose(self) -> ComposeResult:
        with Horizontal():
            with VerticalScroll(id="tx-model-form", classes="form"):
                yield Field("cell", Select([(CELL_NAMES[c], c) for c in ("rnn", "lstm", "gru")],
                                           value="lstm", allow_blank=False, id="tx-cell",
                                           compact=True))
                for fid, spec in FIELDS.items():
                    yield Field(spec.label, number_input(fid, spec, DEFAULTS[fid]))
                yield Field("direction", Checkbox("bidirectional", False, id="tx-bidir",
                                                  compact=True))
            with VerticalScroll(id="tx-model-side"):
                yield Static("", id="tx-model-info")

    # -- reading the form ------------------------------------------------------------------
    def value(self, fid: str) -> Any:
        """One field's value; SeqlabError (and the reason at the field) when unreadable."""
        inp = self.query_one(f"#{fid}", Input)
        field = next(a for a in inp.ancestors if isinstance(a, Field))
        try:
            value = parse_field(FIELDS[fid], inp.value)
        except ValueError as exc:
            field.set_error(str(exc))
            raise SeqlabError(str(exc)) from None
        field.set_error(None)
        return value

    def values(self) -> dict[str, dict[str, Any]]:
        """Every field by section: {"text": {...}, "model": {...}, "train": {...}}."""
        out: dict[str, dict[str, Any]] = {"text": {}, "model": {}, "train": {}}
        for fid, spec in FIELDS.items():
            out[spec.section][spec.attr] = self.value(fid)
        out["model"]["cell"] = str(self.query_one("#tx-cell", Select).value)
        out["model"]["bidirectional"] = False
        return out

    @on(Input.Changed, "#tx-window")
    def _window_changed(self, event: Input.Changed) -> None:
        if event.value.strip() != DEFAULTS["tx-window"]:
            self.window_chosen = True  # typing 32 again after an edit still counts as chosen

    def configs(self, **train: Any) -> tuple[ModelConfig, TrainConfig, int, int]:
        """(model, train, window, embedding) of the form; ``train`` adds fixed train settings."""
        v = self.values()
        return (ModelConfig(**v["model"]), TrainConfig(**v["train"], **train),
                int(v["text"]["window"]), int(v["text"]["embedding"]))

    # -- drawing ---------------------------------------------------------------------------
    def show_info(self, vocab_size: int | None = None, source: str | None = None,
                  tokenizer: str = "") -> None:
        if vocab_size is not None:
            self.vocab_size = vocab_size
        if source is not None:
            self.source = source
        info = self.query_one("#tx-model-info", Static)
        try:
            v = self.values()
        except SeqlabError as exc:
            info.update(Text(str(exc), style="red"))
            return
        m, t = v["model"], v["text"]
        cfg = ModelConfig(cell=m["cell"], hidden_size=m["hidden_size"],
                          num_layers=m["num_layers"])
        params = estimate_lm_params(cfg, self.vocab_size, t["embedding"])
        stack = f"{CELL_NAMES.get(cfg.cell, cfg.cell)}({cfg.hidden_size})" + (
            f" ×{cfg.num_layers}" if cfg.num_layers > 1 else "")
        vs, emb = self.vocab_size, t["embedding"]
        out = Text()
        out.append(f"(batch, {t['window']}) token ids → Embedding({vs}→{emb}) → {stack} → "
                   f"Linear({cfg.hidden_size}→{vs}) → next token at every position\n")
        out.append(f"≈ {params:,} parameters", style="bold")
        out.append(f" · trains on {self.source}" + (f" ({tokenizer} tokens)" if tokenizer
                                                     else "") + " · ")
        out.append("ctrl+t", style="bold")
        out.append(" to train\n\n")
        out.append("\n".join(MODEL_HELP), style="dim")
        info.update(out)

    @on(Select.Changed, "#tx-cell")
    @on(Input.Changed, "#tx-model-form Input")
    def _changed(self) -> None:
        self.show_info()

    @on(Checkbox.Changed, "#tx-bidir")
    def _bidir_changed(self, event: Checkbox.Changed) -> None:
        if not event.value:
            return
        with event.checkbox.prevent(Checkbox.Changed):
            event.checkbox.value = False
        self.notify(bidirectional_refusal(), title="Bidirectional refused", severity="warning",
                    timeout=10, markup=False)


def bidirectional_refusal() -> str:
    """The engine's one-line reason why a next-token model cannot be bidirectional."""
    cfg = TextRunConfig(text=TextConfig(text="x"), model=ModelConfig(bidirectional=True))
    try:
        cfg.validate()
    except SeqlabError as exc:
        return str(exc)
    return "a next-token model cannot be bidirectional: it would see the future."
