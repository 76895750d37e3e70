"""`?`: what each view shows and the course ideas behind it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from seqlab.tui.screens.scroll import ScrollModal

HELP = """\
**seqlab — a lab for watching recurrent networks learn**

**Keys** — `1`–`6` or `F1`–`F6` switch views (press `esc` first when typing in a field) ·
`ctrl+o` open a file or a bundled sample · `ctrl+t` train · `ctrl+s` stop · `?` this help ·
`ctrl+p` command palette (every action) · `q` / `ctrl+q` quit (a running training is stopped
and saved as *stopped*).

## 1 Data
Preview of the file with each column's detected type and the time column. Choose the target
and the input features, then cut the series into windows.

- **Why windows?** An RNN reads a fixed number of timesteps (the *window*) and forecasts the
  next *horizon* values. Each window is one sample: the 3-D shape is
  `(samples, timesteps, features)`. *Stride* is the step between window starts.
- **Why a chronological split?** Train on the past, validate on what follows, test on the
  end. Shuffling rows before splitting would let the model peek at the future.
- **Why scale?** tanh and the sigmoid gates saturate for large inputs, and gradient steps
  are sized for values near 1. Scalers are fit on the *training rows only*, so nothing
  about validation or test leaks into training. Metrics are reported back in original units.
- **Differencing** models `y[t] − y[t−1]`: a trend becomes a level the network can learn.
  *auto* (the default) decides from the **training rows only** with a unit-root test
  (augmented Dickey-Fuller): a series that does not stay around one mean (trend, random
  walk, level shift) is modelled as changes. The notes say which and why; `yes`/`no` override.
- **Long format** (several series sharing the timestamps): choose the *series id* column (one
  model learns from every series; windows never cross series) or *aggregate* them by time.
- **Notes** below the shapes list everything preparing the data decided (scroll them).

## 2 Model
Cell, directions, layers, size, dropout and the training settings. A refused value shows its
reason under the field and the last good value stays. The data-flow line and the parameter
count follow every change.

- **Hidden state** `h_t` is the network's memory: a vector updated once per timestep from
  `x_t` and `h_{t−1}`. The head reads the last `h` to forecast.
- **Weight sharing**: the same weights are used at every timestep, so the parameter count
  does not depend on the window length.
- **tanh** keeps `h` in (−1, 1); repeated multiplication by its slope (< 1) is why gradients
  vanish over long windows in a plain RNN.
- **Gates** (LSTM i, f, o; GRU r, z) are sigmoids in (0, 1) deciding what to write, keep and
  show. LSTM has 4 weight blocks per layer, GRU 3, RNN 1.
- **Bidirectional** runs a second RNN backwards over the window: twice the parameters and
  time, and only useful when the whole window is known at prediction time.

## 3 Train
Epoch, ETA and throughput; train and validation loss per epoch (per-step loss is the grey
series; `l` toggles a log scale); the current validation metrics beside the *persistence
baseline* (predict the last observed value) and the *seasonal naive* one (the value one season
ago: 12 months, 4 quarters, 7 days, ...) in original units — a model worth having beats both.
MASE divides the MAE by the seasonal naive's in-sample error (below 1 beats it); MAPE is
unreliable when targets come near zero. When the model loses, a warning says what to try.
The blue lines around the test forecasts are a 95 % split-conformal interval (from the
validation errors); its test coverage is listed under the metrics. `b` backtests the shown
run's settings: rolling origin, each fold trained from scratch, beside both baselines.
Below: predicted vs actual on validation and test with time labels (`v` switches split).
Training runs in a separate process: the interface stays responsive, and a stop takes effect
within one batch.

## 4 Hidden
A heatmap of one validation sample: one row per timestep (with its time label), one column
per hidden unit. Every timestep and unit is there: focus the map (`tab`) and move with the
arrows, `PgUp` `PgDn`, `Home` `End`; the line under the map says which timesteps and units are
in view and the value, timestep and unit under the cursor. Choose the sample (`[` `]`), the
state or gate (`k`), the layer (`y`) and the direction (`d`). States, cell states and
candidates use a diverging scale around 0 (white = 0), stretched to the map's own largest
|value| so small states still show; gates use a fixed 0–1 scale. The legend under the map
gives the numbers. Beneath, the gradient strip shows `‖∂loss/∂h_t‖` per timestep on a log
scale with its min, max and the last/first ratio: in a plain RNN the early timesteps fade —
the vanishing gradient, visible. After a run ends the view shows the restored best epoch.

## 5 Runs
Every training is a run directory under `runs/` (config, metrics, predictions, checkpoint,
the last hidden-state snapshot). `enter` opens one: its curves, predictions and heatmaps are
shown again from disk. `r` refreshes the list. `p` pins a run (two to six) and `c` compares
the pinned runs: validation curves overlaid (one glyph per run), metrics beside the baselines,
only the settings that differ, and gradient strips or hidden-state maps (`m`) of the same
sample. `w` lists the sweeps (`seqlab sweep`) and their members, live while they run.

## 6 Text
The text mode: tokenize a text (characters, jamo, words or morphemes), train a next-token
language model, look inside it, generate and find neighbouring tokens. Its own keys are in the
footer when it has the focus; `ctrl+t` / `ctrl+s` train and stop it while this tab is shown.

## Terminals
Works at 80×24 and larger, with or without a mouse (`--no-mouse`). Over SSH most terminals
get 256 colours: pass `--truecolor` (or set `COLORTERM=truecolor`) when yours has more.
"""


# the Data view's section follows the keys at the top: the help opens at the top there
SECTIONS = {"model": "2-model", "train": "3-train", "hidden": "4-hidden",
            "runs": "5-runs", "text": "6-text"}


class HelpScreen(ScrollModal):
    """The help, opened at the section of ``view`` (a view id such as "hidden") when given."""

    HINT = " esc: close · ↑↓ PgUp PgDn: scroll"
    BINDINGS = [Binding("question_mark", "dismiss", "Close", show=False)]

    def __init__(self, view: str | None = None) -> None:
        super().__init__()
        self.view = view

    def body(self) -> ComposeResult:
        yield Markdown(HELP)

    def on_markdown_table_of_contents_updated(self, _event: Markdown.TableOfContentsUpdated) -> None:
        """The headings exist once the document is laid out: scroll to the view's section."""
        anchor = SECTIONS.get(self.view or "")
        if anchor:
            self.call_after_refresh(self._goto, anchor)

    def _goto(self, anchor: str, tries: int = 20) -> None:
        """Scroll the section's heading to the top once the document has been laid out (its
        height is known only after the headings are sized: until then, look again)."""
        scroll = self.query_one(VerticalScroll)
        if scroll.max_scroll_y == 0 and tries:
            self.set_timer(0.05, lambda: self._goto(anchor, tries - 1))
            return
        self.query_one(Markdown).goto_anchor(anchor)
        if tries:  # a late layout pass can move it: check once more
            self.set_timer(0.2, lambda: self._goto_again(anchor))

    def _goto_again(self, anchor: str) -> None:
        self.query_one(Markdown).goto_anchor(anchor)
