"""The lab's data and settings, without any UI: open a table, change settings, re-prepare.

Every change is applied to a copy and only kept when it validates and the data still prepares,
so a bad file or a bad setting leaves the current table, settings and windows as they were.
No Textual and no torch here.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from seqlab.errors import DataError, SeqlabError
from seqlab.samples import DEFAULT_NAME, sample_dir

SAMPLE_DIR = sample_dir()
DEFAULT_SAMPLE = DEFAULT_NAME
DATA_SUFFIXES = (".csv", ".tsv", ".txt")

# Which column a bundled sample is meant to forecast (sample_data/README.md). Every other
# setting is the engine's default, the same as `seqlab train` uses.
SAMPLE_TARGETS: dict[str, str] = {
    "us_macro_quarterly": "infl",
    "long_dependency": "target",
}


def samples() -> list[Path]:
    """The bundled sample data files (sorted by name)."""
    if not SAMPLE_DIR.is_dir():
        return []
    return sorted(p for p in SAMPLE_DIR.iterdir() if p.suffix.lower() in DATA_SUFFIXES)


def default_config(runs_dir: str = "runs") -> RunConfig:
    """The engine's defaults (those of ``seqlab train``); only where runs go differs."""
    return RunConfig(train=TrainConfig(runs_dir=runs_dir))


class Session:
    """Current table + RunConfig + prepared windows. Methods raise SeqlabError and keep state."""

    def __init__(self, cfg: RunConfig | None = None) -> None:
        self.cfg: RunConfig = cfg or default_config()
        self.table: Any = None  # seqlab.data.Table
        self.prepared: Any = None  # seqlab.data.Prepared
        self.problem = ""  # why the loaded table has no windows yet (missing values)

    # -- data -------------------------------------------------------------------------------
    def open(self, path: str | Path) -> None:
        """Load a file; pick target/features; prepare. On any error nothing changes."""
        table, prepared, cfg, problem = self.load(path)
        if problem:
            raise DataError(problem)
        self.adopt(table, prepared, cfg)

    def adopt(self, table: Any, prepared: Any, cfg: RunConfig, problem: str = "") -> None:
        """Take a loaded file; ``prepared`` is None (and ``problem`` says why) when the file
        loaded but cannot be windowed with its settings yet (missing values under 'error')."""
        self.table, self.prepared, self.cfg = table, prepared, cfg
        self.problem = problem

    def load(self, path: str | Path) -> tuple[Any, Any, RunConfig, str]:
        """(table, prepared, cfg, problem) for a file, without changing the session
        (thread-safe). Missing values under the 'error' policy give prepared None and the
        engine's message as problem: the policy is the user's choice, never switched here."""
        from seqlab.data import prepare, read_table

        p = Path(path).expanduser()
        if not p.exists():
            raise DataError(f"file {p} not found: check the path or press ctrl+o to browse.")
        if p.is_dir():
            raise DataError(f"{p} is a folder: choose a CSV, TSV or TXT file inside it.")
        table = read_table(p)
        if not table.numeric_columns:
            raise DataError(f"{p.name} has no numeric column to forecast.")
        data = copy.deepcopy(self.cfg.data)
        data.path = str(p)
        data.time_column = None
        data.features = None
        data.sha256 = None
        data.series_id = None
        data.aggregate = None
        data.missing = "error"
        data.difference = DataConfig().difference
        data.season = 0
        found = detect_long(table)
        if found is not None and found.candidates:
            data.series_id = found.candidates[0]  # offered; the Data view lets the user switch
        numeric = [c for c in table.numeric_columns if c != data.series_id]
        if not numeric:
            raise DataError(f"{p.name} has no numeric column to forecast.")
        data.target = numeric[0]
        if p.resolve().parent == SAMPLE_DIR and SAMPLE_TARGETS.get(p.stem) in numeric:
            data.target = SAMPLE_TARGETS[p.stem]
        data.window = _fit_window(data.window, len(table.frame))
        cfg = dataclasses.replace(self.cfg, data=data)
        try:
            prepared = prepare(data, table)
        except SeqlabError as exc:
            if data.missing == "error" and "missing value" in str(exc).lower():
                return table, None, cfg, str(exc)
            if "long format" in str(exc):
                return table, None, cfg, str(exc)
            raise
        return table, prepared, cfg, ""

    def long_format(self) -> Any:
        """seqlab.data.longformat.LongFormat for the loaded table, or None."""
        return detect_long(self.table) if self.table is not None else None

    def update_data(self, **changes: Any) -> None:
        """Change data settings (window=..., target=...), re-prepare; keep old state on error."""
        from seqlab.data import prepare

        data = dataclasses.replace(copy.deepcopy(self.cfg.data), **changes)
        data.validate()
        if self.table is None:
            self.cfg = dataclasses.replace(self.cfg, data=data)
            return
        prepared = prepare(data, self.table)
        self.prepared = prepared
        self.problem = ""
        self.cfg = dataclasses.replace(self.cfg, data=data)

    def check_data(self, **changes: Any) -> None:
        """Raise ConfigError when the data settings would be refused by validation (no change;
        whether the windows still fit the table is only known when applied)."""
        dataclasses.replace(self.cfg.data, **changes).validate()

    def check_setting(self, section: str, **changes: Any) -> None:
        """Raise ConfigError when the model/train settings would be refused (no change)."""
        part = self.cfg.model if section == "model" else self.cfg.train
        dataclasses.replace(part, **changes).validate()

    def apply(self, section: str, **changes: Any) -> str | None:
        """Change "data", "model" or "train" settings; the reason (one line) when refused,
        with nothing changed, else None."""
        from seqlab.errors import SeqlabError

        try:
            if section == "data":
                self.update_data(**changes)
            elif section == "model":
                self.update_model(**changes)
            else:
                self.update_train(**changes)
        except SeqlabError as exc:
            return str(exc)
        except (TypeError, ValueError) as exc:
            return str(exc)
        except Exception as exc:  # pandas / numpy while re-preparing: still one line
            return f"{type(exc).__name__}: {exc}"
        return None

    def update_model(self, **changes: Any) -> None:
        model = dataclasses.replace(self.cfg.model, **changes)
        model.validate()
        self.cfg = dataclasses.replace(self.cfg, model=model)

    def update_train(self, **changes: Any) -> None:
        train = dataclasses.replace(self.cfg.train, **changes)
        train.validate()
        self.cfg = dataclasses.replace(self.cfg, train=train)

    # -- views ------------------------------------------------------------------------------
    def shapes(self) -> dict[str, list[int]]:
        return self.prepared.shapes() if self.prepared is not None else {}

    def n_features(self) -> int:
        return self.prepared.n_features if self.prepared is not None else 1

    def describe_model(self) -> tuple[str, int]:
        """(data-flow line, parameter count) for the current settings, without torch."""
        d, m = self.cfg.data, self.cfg.model
        return describe_model(m, self.n_features(), d.window, d.horizon)


def detect_long(table: Any) -> Any:
    from seqlab.data.longformat import detect

    return detect(table)


def describe_model(m: ModelConfig, n_features: int, window: int, horizon: int) -> tuple[str, int]:
    try:
        from seqlab.models.info import describe, estimate_params

        return describe(m, n_features, window, horizon), estimate_params(m, n_features, horizon)
    except ImportError:  # models package not there yet: same formula here
        return _describe(m, n_features, window, horizon), param_count(m, n_features, horizon)


def param_count(m: ModelConfig, n_features: int, horizon: int) -> int:
    """Parameters of the fused RNN/LSTM/GRU (gates × (in·h + h·h + 2h) per layer/direction) + head."""
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[m.cell]
    d = 2 if m.bidirectional else 1
    h = m.hidden_size
    total = 0
    for layer in range(m.num_layers):
        n_in = n_features if layer == 0 else d * h
        total += d * gates * (n_in * h + h * h + 2 * h)
    return total + d * h * horizon + horizon


def _describe(m: ModelConfig, n_features: int, window: int, horizon: int) -> str:
    name = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[m.cell]
    if m.num_layers > 1:
        name += f" ×{m.num_layers}"
    opts = str(m.hidden_size) + (", bi" if m.bidirectional else "")
    d = 2 if m.bidirectional else 1
    return (
        f"(batch, {window}, {n_features}) → {name} ({opts}) → last h ({d * m.hidden_size}) "
        f"→ Dense → (batch, {horizon})"
    )


def _fit_window(window: int, rows: int) -> int:
    """Shrink the window for short files so every split keeps some windows."""
    return max(1, min(window, rows // 6))
