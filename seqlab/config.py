"""Settings for one run: data, model and training, as dataclasses with TOML load and save.

A run directory's ``config.toml`` holds everything needed to re-run it, including the data
file's path and its SHA-256, so ``seqlab train --config runs/X/config.toml`` repeats it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import tomllib

from seqlab.errors import ConfigError

Cell = Literal["rnn", "lstm", "gru"]
MissingPolicy = Literal["error", "drop", "ffill", "interpolate"]
XScaling = Literal["minmax", "standard", "none"]
YScaling = Literal["auto", "yes", "no"]
Differencing = Literal["auto", "yes", "no"]

CELLS: tuple[str, ...] = ("rnn", "lstm", "gru")
MISSING_POLICIES: tuple[str, ...] = ("error", "drop", "ffill", "interpolate")
X_SCALINGS: tuple[str, ...] = ("minmax", "standard", "none")
Y_SCALINGS: tuple[str, ...] = ("auto", "yes", "no")
DIFFERENCING: tuple[str, ...] = ("auto", "yes", "no")
AGGREGATES: tuple[str, ...] = ("sum", "mean")
MAX_SEED = 2**63 - 1  # torch seeds are 64-bit

# Config dataclasses refuse unknown keys when decoded (pydantic reads this attribute).
_FORBID_EXTRA = {"extra": "forbid"}


@dataclass
class DataConfig:
    """How a CSV becomes windows: columns, window geometry, split, missing values, scaling."""

    __pydantic_config__ = _FORBID_EXTRA

    path: str = ""
    target: str | None = None  # None: the only numeric column (autoregressive)
    features: list[str] | None = None  # None: every numeric column except the time column
    time_column: str | None = None  # None: detect
    window: int = 24
    horizon: int = 1
    stride: int = 1
    split: tuple[float, float, float] = (0.70, 0.15, 0.15)
    missing: MissingPolicy = "error"
    scale_x: XScaling = "minmax"
    scale_y: YScaling = "auto"
    # auto: model changes when the training rows fail a unit-root test (seqlab.data.stationarity)
    difference: Differencing = "auto"
    season: int = 0  # seasonal period for seasonal naive and MASE; 0 = from the time column
    series_id: str | None = None  # long format: the column telling the series apart
    aggregate: str | None = None  # long format: "sum" or "mean" of the rows sharing a time
    sha256: str | None = None  # of the data file, recorded when a run starts

    def __post_init__(self) -> None:
        # configs written before "auto" existed stored a bool
        if self.difference is True:
            self.difference = "yes"
        elif self.difference is False:
            self.difference = "no"

    def validate(self) -> None:
        if self.window < 1:
            raise ConfigError(f"window must be at least 1 (got {self.window}).")
        if self.horizon < 1:
            raise ConfigError(f"horizon must be at least 1 (got {self.horizon}).")
        if self.stride < 1:
            raise ConfigError(f"stride must be at least 1 (got {self.stride}).")
        if not all(math.isfinite(f) for f in self.split):
            raise ConfigError(f"split fractions must be finite numbers (got "
                              f"{','.join(f'{f:g}' for f in self.split)}).")
        if len(self.split) != 3 or any(f < 0 for f in self.split):
            raise ConfigError("split needs three non-negative fractions train,val,test.")
        if self.split[0] <= 0 or self.split[1] <= 0 or self.split[2] <= 0:
            raise ConfigError("each of train, val and test needs a fraction above 0.")
        if abs(sum(self.split) - 1.0) > 1e-6:
            raise ConfigError(f"split fractions must add up to 1 (got {sum(self.split):g}).")
        _choice("missing", self.missing, MISSING_POLICIES)
        _choice("scale-x", self.scale_x, X_SCALINGS)
        _choice("scale-y", self.scale_y, Y_SCALINGS)
        if isinstance(self.difference, bool):  # set as a switch (sweeps vary it as one)
            self.difference = "yes" if self.difference else "no"
        _choice("difference", self.difference, DIFFERENCING)
        if self.season < 0:
            raise ConfigError(f"season must be 0 (from the time column) or more (got "
                              f"{self.season}).")
        if self.aggregate is not None:
            _choice("aggregate", self.aggregate, AGGREGATES)
            if self.series_id is not None:
                raise ConfigError("choose either --series-id (one model across the series) or "
                                  "--aggregate (one series by time), not both.")


@dataclass
class ModelConfig:
    """The recurrent network and its head."""

    __pydantic_config__ = _FORBID_EXTRA

    cell: Cell = "lstm"
    hidden_size: int = 32
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0

    def validate(self) -> None:
        _choice("model", self.cell, CELLS)
        if not 1 <= self.hidden_size <= 4096:
            raise ConfigError(f"hidden size must be between 1 and 4096 (got {self.hidden_size}).")
        if not 1 <= self.num_layers <= 16:
            raise ConfigError(f"layers must be between 1 and 16 (got {self.num_layers}).")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1) (got {self.dropout}).")


@dataclass
class TrainConfig:
    """Optimisation, stopping, reproducibility and where the run lives."""

    __pydantic_config__ = _FORBID_EXTRA

    epochs: int = 200
    batch_size: int = 32
    lr: float = 3e-3
    patience: int = 20  # epochs without val improvement before stopping; 0 = never stop early
    clip: float = 1.0  # max gradient norm; 0 = no clipping
    seed: int = 0
    device: str = "auto"
    probe_every: int = 1  # epochs between probe snapshots; 0 = probe off
    probe_sample: int = 0  # index of the watched validation sample
    threads: int = 0  # torch threads; 0 = sized to the machine's cores
    runs_dir: str = "runs"

    def validate(self) -> None:
        if self.epochs < 1:
            raise ConfigError(f"epochs must be at least 1 (got {self.epochs}).")
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1 (got {self.batch_size}).")
        if not (self.lr > 0 and self.lr < 10):
            raise ConfigError(f"learning rate must be in (0, 10) (got {self.lr}).")
        if self.patience < 0:
            raise ConfigError(f"patience must be 0 (off) or more (got {self.patience}).")
        if not (math.isfinite(self.clip) and self.clip >= 0):
            raise ConfigError(f"clip must be 0 (off) or more (got {self.clip}).")
        if self.probe_every < 0:
            raise ConfigError(f"probe-every must be 0 (off) or more (got {self.probe_every}).")
        if self.threads < 0:
            raise ConfigError(f"threads must be 0 (auto) or more (got {self.threads}).")
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must be between 0 and 2**63-1 (got {self.seed}).")
        if self.probe_sample < 0:
            raise ConfigError(f"probe sample must be 0 or more (got {self.probe_sample}).")
        if not self.runs_dir.strip():
            raise ConfigError("runs dir is empty: give a folder for the run directories.")
        dev = self.device
        if not (dev in ("auto", "cpu", "cuda", "mps") or dev.startswith("cuda:")):
            raise ConfigError(f"unknown device {dev!r}: use auto, cpu, cuda, cuda:N or mps.")


class _TomlConfig:
    """TOML save / load shared by the run configs (nested dataclasses, no nulls)."""

    __pydantic_config__ = _FORBID_EXTRA

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(asdict(self))  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = "config") -> Any:
        """Decode a dict (TOML / JSON) into the config, every field type-checked."""
        return _from_dict(cls, raw, source)

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str, source: str = "config") -> Any:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source} is not valid TOML: {exc}.") from None
        return cls.from_dict(raw, source)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Any:
        return cls.from_toml(_read_config(path), source=str(path))


@dataclass
class RunConfig(_TomlConfig):
    """Everything one time-series run needs."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    # seqlab, torch and Python that ran it (set when a run starts; informational)
    versions: dict[str, str] | None = None

    def validate(self) -> None:
        self.data.validate()
        self.model.validate()
        self.train.validate()


TOKENIZER_NAMES: tuple[str, ...] = ("char", "jamo", "word", "morph")


@dataclass
class TextConfig:
    """How a text becomes next-token windows, and the embedding that reads them."""

    __pydantic_config__ = _FORBID_EXTRA

    path: str = ""  # a .txt corpus; empty when the text was typed
    text: str | None = None  # typed text (used when path is empty)
    tokenizer: str = "char"
    window: int = 32
    stride: int = 0  # 0: a quarter of the window (overlapping windows, more training pairs)
    split: tuple[float, float] = (0.9, 0.1)
    min_freq: int = 1
    max_size: int = 0  # 0: no limit
    embedding: int = 32
    sha256: str | None = None
    fit_window: bool = True  # a text too short for the window gets the longest window that fits

    def validate(self) -> None:
        _choice("tokenizer", self.tokenizer, TOKENIZER_NAMES)
        if not self.path and not (self.text or "").strip():
            raise ConfigError("no text: give a corpus file or type some sentences.")
        if not 2 <= self.window <= 4096:
            raise ConfigError(f"window must be between 2 and 4096 tokens (got {self.window}).")
        if self.stride < 0:
            raise ConfigError(f"stride must be 0 (auto) or more (got {self.stride}).")
        if (len(self.split) != 2 or not all(math.isfinite(f) and f > 0 for f in self.split)
                or abs(sum(self.split) - 1) > 1e-6):
            raise ConfigError("split needs two fractions train,val above 0 that add up to 1.")
        if self.min_freq < 1:
            raise ConfigError(f"minimum frequency must be at least 1 (got {self.min_freq}).")
        if self.max_size < 0 or 0 < self.max_size < 5:
            raise ConfigError(f"maximum vocabulary size must be 0 (no limit) or at least 5 "
                              f"(got {self.max_size}).")
        if not 1 <= self.embedding <= 4096:
            raise ConfigError(f"embedding size must be between 1 and 4096 (got {self.embedding}).")

    @property
    def effective_stride(self) -> int:
        return self.stride or max(1, self.window // 4)


@dataclass
class TextRunConfig(_TomlConfig):
    """Everything one language-model run needs."""

    text: TextConfig = field(default_factory=TextConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(hidden_size=128))
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(epochs=30, lr=3e-3, patience=5, batch_size=32)
    )
    versions: dict[str, str] | None = None

    def validate(self) -> None:
        self.text.validate()
        self.model.validate()
        if self.model.bidirectional:
            raise ConfigError(
                "a next-token language model cannot be bidirectional: its backward direction "
                "would see the future (the token it must predict); bidirectional stays available "
                "for the time-series task."
            )
        self.train.validate()


def _read_config(path: str | os.PathLike[str]) -> str:
    from seqlab.inputfile import check_input_file

    p = Path(path)
    check_input_file(p, "config file", ConfigError)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {p} not found.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {p}: {exc}.") from None


def runtime_versions() -> dict[str, str]:
    """The versions of seqlab, torch (when imported) and Python, for a run's config."""
    import sys

    from seqlab import __version__

    versions = {"seqlab": __version__, "python": ".".join(map(str, sys.version_info[:3]))}
    torch = sys.modules.get("torch")
    if torch is not None:
        versions["torch"] = str(torch.__version__)
    return versions


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"unknown {name} {value!r}: choose one of {', '.join(allowed)}.")


def _drop_none(obj: Any) -> Any:
    """TOML has no null: leave unset optional fields out (they mean 'the default')."""
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, tuple):
        return list(obj)
    return obj


def _upgrade(cls: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """Settings as older versions wrote them: ``difference = true/false`` became yes/no when
    ``auto`` was added."""
    data = raw.get("data") if getattr(cls, "__name__", "") == "RunConfig" else (
        raw if getattr(cls, "__name__", "") == "DataConfig" else None)
    if isinstance(data, dict) and isinstance(data.get("difference"), bool):
        data = {**data, "difference": "yes" if data["difference"] else "no"}
        return {**raw, "data": data} if data is not raw.get("data") and "data" in raw else data
    return raw


def _from_dict(cls: Any, raw: Any, source: str = "config") -> Any:
    """Type-checked decoding (pydantic, strict: ``"0.1"`` is not a number, ``"yes"`` not a
    boolean, ``2.5`` not a whole number); the first problem becomes one ConfigError line that
    names the field and the type it needs."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a table of settings, got {_kind(raw)}.")
    from pydantic import ValidationError

    raw = _upgrade(cls, raw)
    try:
        text = json.dumps(raw, default=str)  # TOML dates and times arrive as text
        return _adapter(cls).validate_json(text, strict=True)
    except ValidationError as exc:
        raise ConfigError(_type_message(exc.errors()[0], source)) from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: cannot be read as settings ({exc}).") from None


_ADAPTERS: dict[Any, Any] = {}


def _adapter(cls: Any) -> Any:
    if cls not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


_EXPECTED = {
    "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "text in quotes", "tuple_type": "a list", "list_type": "a list",
    "dataclass_type": "a table", "dict_type": "a table",
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _type_message(err: Any, source: str) -> str:
    loc = [str(x) for x in err.get("loc", ())]
    # ("model", "hidden_size") -> "[model] hidden_size"; ("data", "split", "0") -> split item 1
    index = ""
    if loc and loc[-1].isdigit():
        index = f" (item {int(loc.pop()) + 1})"
    name = loc[-1] if loc else "settings"
    where = f"[{'.'.join(loc[:-1])}] " if len(loc) > 1 else ""
    kind = err.get("type", "")
    value = err.get("input")
    shown = json.dumps(value, default=str) if not isinstance(value, dict) else "a table"
    if len(shown) > 40:
        shown = shown[:37] + "..."
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        return f"{source}: unknown setting {where}{name}; remove it or check its spelling."
    if kind == "literal_error":
        expected = (err.get("ctx") or {}).get("expected", "")
        return f"{source}: {where}{name} must be one of {expected}, got {shown}."
    if kind == "missing":
        return f"{source}: {where}{name} has too few items (item{index[6:-1]} is missing)."
    if kind == "too_long":
        return f"{source}: {where}{name} has too many items; check its length."
    expected = _EXPECTED.get(kind, err.get("msg", "another value").lower())
    return (f"{source}: {where}{name}{index} must be {expected}, got {_kind(value)} {shown}"
            if not isinstance(value, dict) else
            f"{source}: {where}{name}{index} must be {expected}, got a table") + "."
