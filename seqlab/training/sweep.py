"""Sweeps and studies: many ordinary runs of one data set, on Optuna.

A sweep is a grid (every combination of ``--vary name=a,b,c`` values and of a preset's points)
or a study of ``--trials N`` searched by Optuna's TPE sampler over ranges
(``lr=1e-4..1e-2:log``, ``hidden=8..128:int``), with poor trials pruned from the validation
loss each epoch. Every member is an ordinary run with its own run directory inside the sweep's
directory::

    runs/sweep-<data>-<key>/
        sweep.json          the spec (base config, parameters, points, mode); workers read it
        study.journal       Optuna's journal storage (unless --storage names a database)
        t0000-lstm-1x2/     an ordinary run directory (config.toml, summary.json, model.pt, ...)

The directory's name is a hash of the spec, so the same command finds the same study and
resumes it: finished trials are kept, an interrupted one is run again. Several processes (or
machines, given ``--storage URL`` of a shared database) work on one study at once: a grid point
is claimed by popping an enqueued trial, which the storage grants to one worker only (on
SQLite only once each transaction takes the write lock as it begins: see ``serialise_sqlite``).

Optuna is imported inside functions, so ``seqlab --help`` stays fast.

Its size (about 930 lines) is the spec and its parsing, Optuna storage and claiming, the
worker processes and the result rows; the seam to split along next is the spec parsing.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import json
import math
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqlab.errors import ConfigError, SeqlabError

STUDY_FILE = "study.journal"
SPEC_FILE = "sweep.json"

# name on the command line -> (config section, attribute, type)
PARAMS: dict[str, tuple[str, str, type]] = {
    "model": ("model", "cell", str),
    "hidden": ("model", "hidden_size", int),
    "layers": ("model", "num_layers", int),
    "bidirectional": ("model", "bidirectional", bool),
    "dropout": ("model", "dropout", float),
    "lr": ("train", "lr", float),
    "batch-size": ("train", "batch_size", int),
    "clip": ("train", "clip", float),
    "epochs": ("train", "epochs", int),
    "patience": ("train", "patience", int),
    "seed": ("train", "seed", int),
    "window": ("data", "window", int),
    "scale-x": ("data", "scale_x", str),
    "difference": ("data", "difference", str),  # auto | yes | no
}
ALIASES = {"cell": "model", "bi": "bidirectional", "batch_size": "batch-size",
           "scale_x": "scale-x", "hidden_size": "hidden", "num_layers": "layers"}

# the course's structures: layers x hidden 1x1, 1x2, 2x2 for each cell
COURSE_POINTS: list[dict[str, Any]] = [
    {"model": cell, "layers": layers, "hidden": hidden}
    for cell in ("rnn", "lstm", "gru")
    for layers, hidden in ((1, 1), (1, 2), (2, 2))
]
# the cells at one hidden size: RNN, LSTM, GRU, and an LSTM reading both ways
CELLS_POINTS: list[dict[str, Any]] = [
    {"model": "rnn", "bidirectional": False},
    {"model": "lstm", "bidirectional": False},
    {"model": "gru", "bidirectional": False},
    {"model": "lstm", "bidirectional": True},
]
PRESETS = {"course": COURSE_POINTS, "cells": CELLS_POINTS}

TRUE = ("1", "true", "yes", "on", "y")
FALSE = ("0", "false", "no", "off", "n")


# ----------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Param:
    """One varied setting: a list of choices, or a range ``low..high`` (log / integer)."""

    name: str
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False

    @property
    def is_range(self) -> bool:
        return self.choices is None

    def to_dict(self) -> dict[str, Any]:
        if self.choices is not None:
            return {"name": self.name, "choices": list(self.choices)}
        return {"name": self.name, "low": self.low, "high": self.high, "log": self.log,
                "int": self.integer}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Param:
        if "choices" in d:
            return cls(d["name"], choices=tuple(d["choices"]))
        return cls(d["name"], low=d["low"], high=d["high"], log=bool(d["log"]),
                   integer=bool(d["int"]))


def canonical_name(name: str) -> str:
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in PARAMS:
        raise ConfigError(f"cannot vary {name!r}: choose from {', '.join(PARAMS)}.")
    return key


def cast_value(name: str, text: Any) -> Any:
    """``text`` as the type the setting ``name`` holds; one clear error otherwise."""
    kind = PARAMS[name][2]
    if not isinstance(text, str):
        if kind is float and isinstance(text, (int, float)) and not isinstance(text, bool):
            return float(text)
        if isinstance(text, kind):
            return text
        text = str(text)
    raw = text.strip()
    try:
        if kind is bool:
            if raw.lower() in TRUE:
                return True
            if raw.lower() in FALSE:
                return False
            raise ValueError
        if kind is int:
            return int(raw)
        if kind is float:
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
            return value
    except ValueError:
        want = {bool: "true or false", int: "a whole number", float: "a number"}[kind]
        raise ConfigError(f"--vary {name}: expected {want}, got {raw!r}.") from None
    return raw.lower() if name == "model" else raw


def parse_vary(spec: str) -> Param:
    """``name=a,b,c`` (choices) or ``name=low..high[:log][:int]`` (a range for --trials)."""
    if "=" not in spec:
        raise ConfigError(f"--vary {spec!r}: write name=a,b,c or name=low..high[:log] "
                          "(e.g. --vary model=rnn,lstm,gru or --vary lr=1e-4..1e-2:log).")
    name_text, _, values = spec.partition("=")
    name = canonical_name(name_text)
    values = values.strip()
    if ".." in values:
        body, *flags = values.split(":")
        lo_text, _, hi_text = body.partition("..")
        kind = PARAMS[name][2]
        if kind not in (int, float):
            raise ConfigError(f"--vary {name}: a range needs a numeric setting; list the "
                              f"choices instead (--vary {name}=a,b).")
        unknown = [f for f in flags if f.strip().lower() not in ("log", "int")]
        if unknown:
            raise ConfigError(f"--vary {name}: unknown range flag {unknown[0]!r} "
                              "(use :log and/or :int).")
        flagset = {f.strip().lower() for f in flags}
        integer = kind is int or "int" in flagset
        low = float(cast_value("lr", lo_text))  # any float parse; the error names --vary lr
        high = float(cast_value("lr", hi_text))
        if integer and (low != int(low) or high != int(high)):
            raise ConfigError(f"--vary {name}: an integer range needs whole ends, got {values!r}.")
        if not low < high:
            raise ConfigError(f"--vary {name}: the range {values!r} needs low < high.")
        if "log" in flagset and low <= 0:
            raise ConfigError(f"--vary {name}: a log range needs low > 0, got {values!r}.")
        return Param(name, low=low, high=high, log="log" in flagset, integer=integer)
    parts = [p for p in values.split(",") if p.strip()]
    if not parts:
        raise ConfigError(f"--vary {name}: give at least one value (e.g. {name}=a,b).")
    choices = tuple(dict.fromkeys(cast_value(name, p) for p in parts))
    return Param(name, choices=choices)


def grid_points(params: Sequence[Param], preset: Sequence[dict[str, Any]] | None = None
                ) -> list[dict[str, Any]]:
    """Every combination of a preset's points (or one empty point) and the choices."""
    ranged = [p.name for p in params if p.is_range]
    if ranged:
        raise ConfigError(f"--vary {ranged[0]} is a range: ranges are searched with --trials N "
                          "(or list the values: --vary name=a,b,c).")
    base_points = [dict(p) for p in preset] if preset else [{}]
    preset_names = {k for p in base_points for k in p}
    clash = [p.name for p in params if p.name in preset_names]
    if clash:
        raise ConfigError(f"--vary {clash[0]} clashes with the preset, which sets "
                          f"{', '.join(sorted(preset_names))}.")
    names = [p.name for p in params]
    out = []
    for point in base_points:
        for combo in itertools.product(*(p.choices or () for p in params)):
            out.append({**point, **dict(zip(names, combo, strict=True))})
    return out


def apply_params(cfg: Any, values: dict[str, Any]) -> Any:
    """A copy of ``cfg`` with the varied settings set (validated)."""
    out = copy.deepcopy(cfg)
    for name, value in values.items():
        section, attr, kind = PARAMS[name]
        if kind is int:
            value = int(round(float(value)))
        setattr(getattr(out, section), attr, value)
    out.validate()
    return out


def model_title(cfg: Any) -> str:
    """``LSTM 2×2 bi``: cell, layers × hidden, direction."""
    m = cfg.model
    return f"{m.cell.upper()} {m.num_layers}×{m.hidden_size}" + (" bi" if m.bidirectional else "")


def point_label(values: dict[str, Any]) -> str:
    """``LSTM 2×2 bi lr=0.003`` style label of a point (the model first)."""
    return ", ".join(f"{k}={_short(v)}" for k, v in values.items())


def _short(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


# ----------------------------------------------------------------------------- the spec
@dataclass
class SweepSpec:
    """Everything that defines a sweep; saved as ``sweep.json`` in its directory."""

    base: dict[str, Any]  # RunConfig.to_dict() of the settings every member shares
    params: list[Param]
    points: list[dict[str, Any]] | None  # grid points; None for a --trials study
    trials: int = 0  # --trials N (0 for a grid)
    prune: bool = True
    prune_startup: int = 5
    prune_warmup: int = 0
    sampler_seed: int = 0
    name: str = ""
    storage: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        return "grid" if self.points is not None else "tpe"

    def key(self) -> str:
        """Hash of what makes two commands the same study (not --trials, jobs or storage)."""
        base = copy.deepcopy(self.base)
        train = base.get("train", {})
        for k in ("runs_dir", "device", "threads"):
            train.pop(k, None)
        base.pop("versions", None)
        body = {"base": base, "params": [p.to_dict() for p in self.params],
                "points": self.points, "mode": self.mode}
        text = json.dumps(body, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "mode": self.mode, "base": self.base,
                "params": [p.to_dict() for p in self.params], "points": self.points,
                "trials": self.trials, "prune": self.prune, "prune_startup": self.prune_startup,
                "prune_warmup": self.prune_warmup, "sampler_seed": self.sampler_seed,
                "storage": self.storage, "extra": self.extra}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SweepSpec:
        return cls(base=d["base"], params=[Param.from_dict(p) for p in d["params"]],
                   points=d.get("points"), trials=int(d.get("trials") or 0),
                   prune=bool(d.get("prune", True)), prune_startup=int(d.get("prune_startup", 5)),
                   prune_warmup=int(d.get("prune_warmup", 0)),
                   sampler_seed=int(d.get("sampler_seed", 0)), name=str(d.get("name") or ""),
                   storage=d.get("storage"), extra=dict(d.get("extra") or {}))

    def base_config(self) -> Any:
        from seqlab.config import RunConfig

        return RunConfig.from_dict(copy.deepcopy(self.base))

    def default_name(self) -> str:
        import re

        stem = Path(str(self.base.get("data", {}).get("path") or "data")).stem or "data"
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)[:30]
        return f"sweep-{stem}-{self.key()}"


def make_spec(cfg: Any, params: Sequence[Param], *, preset: str | None = None,
              trials: int = 0, prune: bool = True, prune_startup: int = 5,
              prune_warmup: int = 0, name: str | None = None,
              storage: str | None = None) -> SweepSpec:
    """Check a sweep's settings and build its spec (one clear error for bad input)."""
    names = [p.name for p in params]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"--vary {dup[0]} is given twice: list all its values in one --vary.")
    preset_points = PRESETS[preset] if preset else None
    if trials:
        if preset_points is not None:
            raise ConfigError(f"--{preset} is a grid: drop --trials, or search ranges "
                              "without the preset.")
        if not params:
            raise ConfigError("--trials needs something to search: add --vary name=low..high "
                              "or --vary name=a,b.")
        for p in params:
            if p.is_range:
                apply_params(cfg, {p.name: p.low})
                apply_params(cfg, {p.name: p.high})
            else:
                for v in p.choices or ():
                    apply_params(cfg, {p.name: v})
        points = None
    else:
        if not params and preset_points is None:
            raise ConfigError("nothing to sweep: add --vary name=a,b (a grid), --course, --cells, "
                              "or --trials N with ranges.")
        points = grid_points(params, preset_points)
        for point in points:
            try:
                apply_params(cfg, point)
            except ConfigError as exc:
                raise ConfigError(f"grid point {point_label(point)}: {exc}") from None
    spec = SweepSpec(base=cfg.to_dict(), params=list(params), points=points, trials=trials,
                     prune=prune and points is None, prune_startup=prune_startup,
                     prune_warmup=prune_warmup, sampler_seed=int(cfg.train.seed),
                     storage=storage)
    spec.name = name or spec.default_name()
    return spec


# ----------------------------------------------------------------------------- storage
def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise SeqlabError("seqlab sweep needs Optuna: pip install 'optuna>=4'.") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def open_storage(sweep_dir: Path, url: str | None) -> Any:
    """Optuna storage: a journal file in the sweep's directory, or ``url``.

    ``url`` is an SQLAlchemy URL (``sqlite:///study.db``, ``postgresql://...``) or the path of
    a journal file shared by the processes (``journal:PATH`` or any path without ``://``).
    """
    optuna = _optuna()
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if url is None:
        sweep_dir.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(sweep_dir / STUDY_FILE)))
    if url.startswith("journal:") or "://" not in url:
        path = Path(url.removeprefix("journal:")).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    for attempt in range(5):
        try:
            # SQLite serialises writers: wait for the lock (default 5 s) rather than fail
            kwargs = ({"engine_kwargs": {"connect_args": {"timeout": 60}}}
                      if url.startswith("sqlite") else {})
            storage = optuna.storages.RDBStorage(url, **kwargs)
        except Exception as exc:  # sqlalchemy raises many kinds; the message is what matters
            # two processes creating a new database's tables at once: one loses (a table or
            # the schema version row exists already, or the file is locked), then finds them
            racing = ("already exists", "UNIQUE constraint", "database is locked")
            if attempt < 4 and any(r in str(exc) for r in racing):
                import time

                time.sleep(0.2 * (attempt + 1))
                continue
            raise SeqlabError(f"cannot open --storage {url}: {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
        if storage.engine.dialect.name == "sqlite":
            serialise_sqlite(storage.engine)
        return storage
    raise AssertionError("unreachable")


def serialise_sqlite(engine: Any) -> None:
    """Make each transaction on an SQLite storage take the database's write lock as it begins.

    Optuna claims an enqueued trial (``ask()`` popping a WAITING trial) by reading the trial's
    state and setting it to RUNNING only if it was WAITING, relying on a row lock
    (``SELECT ... FOR UPDATE``) that SQLite does not have; and Python's sqlite3 opens a
    transaction only at the first write. So two processes could both read WAITING, both write
    RUNNING, and both train the same grid point. With ``BEGIN IMMEDIATE`` the read and the write
    are one step that one process at a time takes (the others wait, up to the 60 s timeout);
    the second claimant then reads RUNNING and Optuna moves on. This is SQLAlchemy's documented
    recipe for SQLite transactions (``isolation_level = None`` plus an explicit ``BEGIN``).
    """
    from sqlalchemy import event

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # sqlite3 no longer opens transactions itself

    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    engine.dispose()  # connections made before the listeners were set are not reused


def open_study(spec: SweepSpec, sweep_dir: Path) -> Any:
    optuna = _optuna()
    storage = open_storage(sweep_dir, spec.storage)
    if spec.mode == "grid":
        sampler = optuna.samplers.RandomSampler(seed=spec.sampler_seed)  # grid: every param fixed
        pruner = optuna.pruners.NopPruner()
    else:
        sampler = optuna.samplers.TPESampler(seed=spec.sampler_seed)
        pruner = (optuna.pruners.MedianPruner(n_startup_trials=spec.prune_startup,
                                              n_warmup_steps=spec.prune_warmup)
                  if spec.prune else optuna.pruners.NopPruner())
    for attempt in range(5):
        try:
            return optuna.create_study(study_name=spec.name, storage=storage, sampler=sampler,
                                       pruner=pruner, direction="minimize", load_if_exists=True)
        except optuna.exceptions.DuplicatedStudyError:  # created by another process meanwhile
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


# ----------------------------------------------------------------------------- processes
def _proc_start(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/<pid>/stat), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return start is None or _proc_start(pid) in (None, start)


def worker_tag() -> dict[str, Any]:
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "proc_start": _proc_start(pid)}


def _abandoned(trial: Any) -> bool:
    """A RUNNING trial whose worker on this host is gone (killed, crashed)."""
    w = _member(trial).get("worker")
    if not isinstance(w, dict) or w.get("host") != socket.gethostname():
        return False
    return not _alive(int(w.get("pid", -1)), w.get("proc_start"))


def _member(trial: Any) -> dict[str, Any]:
    member = trial.user_attrs.get("member")
    return member if isinstance(member, dict) else {}


def _point_of(trial: Any) -> dict[str, Any] | None:
    """The settings a trial runs: enqueued with a grid point, or recorded when it started."""
    return (trial.user_attrs.get("point") or _member(trial).get("point")
            or trial.system_attrs.get("fixed_params"))


def _point_key(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, default=str)


# ----------------------------------------------------------------------------- rows
@dataclass
class TrialRow:
    """One member of a sweep as the table and ``--json`` show it."""

    number: int
    state: str  # complete | pruned | failed | running | waiting
    values: dict[str, Any]
    value: float | None  # best validation loss (model units)
    summary: dict[str, Any]
    run_dir: str = ""
    model: str = ""

    def to_json(self) -> dict[str, Any]:
        s = self.summary
        out = {"trial": self.number, "state": self.state, "model": self.model,
               "params": self.values,
               "val_loss": self.value, "run_dir": self.run_dir,
               "status": s.get("status"), "reason": s.get("reason"),
               "n_params": s.get("params"), "epochs": s.get("epochs"),
               "seconds": s.get("seconds"), "val": s.get("val") or {},
               "test": s.get("test") or {}}
        for k, v in baselines_of(s).items():
            out[k] = v
        if "gradients" in s:
            out["gradients"] = s["gradients"]
        return out


def baselines_of(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every baseline metrics dict in a run summary (``baseline_val``, seasonal-naive, ...)."""
    out = {}
    for k, v in summary.items():
        if isinstance(v, dict) and ("baseline" in k or "naive" in k) and k != "gradients":
            out[k] = v
    return out


def trial_rows(study: Any) -> list[TrialRow]:
    """Every trial of the study, best validation loss first (unfinished last)."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        state = t.state.name.lower()
        if t.user_attrs.get("duplicate"):
            continue
        values = _point_of(t) or dict(t.params)
        summary = t.user_attrs.get("summary") or {}
        value = t.value if t.state.name == "COMPLETE" else summary.get("best_val_loss")
        if state == "fail":
            state = "failed"
        rows.append(TrialRow(t.number, state, values, value, summary,
                             str(_member(t).get("run_dir", "")),
                             str(_member(t).get("model", ""))))
    order = {"complete": 0, "pruned": 1, "running": 2, "waiting": 3, "failed": 4}

    def key(r: TrialRow) -> tuple[int, float, int]:
        v = r.value if r.value is not None and math.isfinite(r.value) else math.inf
        return (0 if math.isfinite(v) else 1, v, order.get(r.state, 5) * 100000 + r.number)

    rows.sort(key=key)
    return rows


# ----------------------------------------------------------------------------- running
class PruneSignal(threading.Event):
    """The trainer's cancel event, carrying why the run stopped (pruned, interrupted)."""

    reason: str = ""


@dataclass
class TrialOutcome:
    number: int
    state: str
    values: dict[str, Any]
    summary: dict[str, Any]
    value: float | None


class SweepRunner:
    """Runs trials of one sweep in this process until the study has what it asked for."""

    def __init__(self, spec: SweepSpec, sweep_dir: Path, *, device: str | None = None,
                 threads: int | None = None,
                 on_trial: Callable[[TrialOutcome], None] | None = None,
                 on_event: Callable[[int, Any], None] | None = None) -> None:
        self.spec = spec
        self.dir = sweep_dir
        self.device = device
        self.threads = threads
        self.on_trial = on_trial or (lambda outcome: None)
        self.on_event = on_event or (lambda number, event: None)
        self.study = open_study(spec, sweep_dir)
        self._prepared: dict[str, Any] = {}
        self.cancel = PruneSignal()
        self._trial_cancel: PruneSignal | None = None
        self.ran: list[TrialOutcome] = []

    def interrupt(self) -> None:
        """Stop after the current trial's current batch; that trial is run again on resume."""
        self.cancel.reason = "sweep interrupted"
        self.cancel.set()
        current = self._trial_cancel
        if current is not None and not current.is_set():
            current.reason = "sweep interrupted"
            current.set()

    # the queue ------------------------------------------------------------
    def reap_abandoned(self) -> int:
        """Mark trials whose worker on this host died as failed, so they are run again."""
        optuna = _optuna()
        n = 0
        for t in self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            if _abandoned(t):
                with contextlib.suppress(Exception):  # another worker got there first
                    self.study._storage.set_trial_user_attr(t._trial_id, "abandoned", True)
                    self.study.tell(t.number, state=optuna.trial.TrialState.FAIL,
                                    skip_if_finished=True)
                    n += 1
        return n

    def _enqueue_missing(self) -> None:
        """Enqueue each grid point that has no trial finished, running or waiting for it."""
        optuna = _optuna()
        assert self.spec.points is not None
        TS = optuna.trial.TrialState
        covered = set()
        for t in self.study.get_trials(deepcopy=False):
            if t.user_attrs.get("duplicate") or t.state == TS.FAIL:
                continue
            point = _point_of(t)
            if point is not None:
                covered.add(_point_key(point))
        for point in self.spec.points:
            if _point_key(point) not in covered:
                self.study.enqueue_trial(point, user_attrs={"point": point},
                                         skip_if_exists=False)

    def _claim_grid_trial(self) -> Any | None:
        """A popped trial owning a grid point no earlier live trial owns; None when done."""
        optuna = _optuna()
        TS = optuna.trial.TrialState
        while True:
            waiting = self.study.get_trials(deepcopy=False, states=(TS.WAITING,))
            if not waiting:
                return None
            trial = self.study.ask()
            if trial.number not in {t.number for t in waiting}:
                # nothing left to pop: ask() made a fresh trial; give it back unused
                self.study._storage.set_trial_user_attr(trial._trial_id, "duplicate", True)
                self.study.tell(trial, state=TS.FAIL)
                return None
            point = _point_of(trial) or {}
            key = _point_key(point)
            # trial ids are unique and ordered by creation in every storage (two processes
            # may be handed the same trial number by a database under contention)
            rivals = [t for t in self.study.get_trials(deepcopy=False)
                      if t._trial_id < trial._trial_id and not t.user_attrs.get("duplicate")
                      and t.state != TS.FAIL and _point_key(_point_of(t) or {}) == key]
            if not rivals:
                return trial
            # two processes enqueued the same point at once: the first-created trial owns it
            self.study._storage.set_trial_user_attr(trial._trial_id, "duplicate", True)
            self.study.tell(trial, state=TS.FAIL)

    def _tpe_done(self) -> bool:
        optuna = _optuna()
        TS = optuna.trial.TrialState
        trials = self.study.get_trials(deepcopy=False)
        counted = sum(1 for t in trials if t.state in (TS.COMPLETE, TS.PRUNED)
                      or (t.state == TS.RUNNING and not _abandoned(t)))
        return counted >= self.spec.trials

    def run(self, max_trials: int | None = None) -> list[TrialOutcome]:
        """Run trials until the grid is covered / the study has ``trials`` finished ones."""
        self.reap_abandoned()
        if self.spec.mode == "grid":
            self._enqueue_missing()
        done = 0
        while max_trials is None or done < max_trials:
            if self.cancel.is_set():
                break
            if self.spec.mode == "grid":
                trial = self._claim_grid_trial()
                if trial is None:
                    break
            else:
                if self._tpe_done():
                    break
                trial = self.study.ask()
                # seeded per trial number: reproducible, yet two workers never draw alike
                optuna = _optuna()
                self.study.sampler = optuna.samplers.TPESampler(
                    seed=(self.spec.sampler_seed * 100_003 + trial.number) % 2**32)
            outcome = self.run_trial(trial)
            self.ran.append(outcome)
            self.on_trial(outcome)
            done += 1
            if outcome.state == "interrupted":
                break
        return self.ran

    # one trial ------------------------------------------------------------
    def _suggest(self, trial: Any) -> dict[str, Any]:
        if self.spec.mode == "grid":
            # the point came with the enqueued trial (user attribute "point"); registering it
            # again as Optuna params would cost one journal write (an fsync) per setting
            return dict(_point_of(trial) or {})
        values: dict[str, Any] = {}
        for p in self.spec.params:
            if p.choices is not None:
                values[p.name] = trial.suggest_categorical(p.name, list(p.choices))
            elif p.integer:
                values[p.name] = trial.suggest_int(p.name, int(p.low), int(p.high), log=p.log)
            else:
                values[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)
        return values

    def _prepare(self, cfg: Any) -> Any:
        from seqlab.data import prepare

        key = json.dumps(cfg.to_dict()["data"], sort_keys=True, default=str)
        if key not in self._prepared:
            self._prepared[key] = prepare(cfg.data)
        return self._prepared[key]

    def run_trial(self, trial: Any) -> TrialOutcome:
        optuna = _optuna()
        from seqlab.training.events import EpochEnd
        from seqlab.training.fileio import json_safe
        from seqlab.training.trainer import Trainer

        TS = optuna.trial.TrialState
        storage = self.study._storage
        values = self._suggest(trial)
        cfg = apply_params(self.spec.base_config(), values)
        if self.device:
            cfg.train.device = self.device
        if self.threads:
            cfg.train.threads = self.threads
        m = cfg.model
        slug = f"t{trial.number:04d}-{m.cell}-{m.num_layers}x{m.hidden_size}" + (
            "-bi" if m.bidirectional else "")
        run_dir = self.dir / slug
        try:  # claimed atomically: two workers never share a member's directory
            run_dir.mkdir(parents=True)
        except FileExistsError:
            run_dir = self.dir / f"{slug}-id{trial._trial_id}"
            run_dir.mkdir(parents=True, exist_ok=True)
        # one attribute, one journal write: who runs it (to tell a dead worker), where, what
        storage.set_trial_user_attr(trial._trial_id, "member", {
            "worker": worker_tag(), "point": values, "run_dir": str(run_dir),
            "model": model_title(cfg)})
        cancel = PruneSignal()
        self._trial_cancel = cancel
        state = {"pruned": False, "best": math.inf}

        def callback(event: Any) -> None:
            self.on_event(trial.number, event)
            if isinstance(event, EpochEnd):
                if math.isfinite(event.val_loss):
                    state["best"] = min(state["best"], event.val_loss)
                if self.spec.prune:
                    trial.report(event.val_loss, event.epoch)
                    if trial.should_prune():
                        state["pruned"] = True
                        cancel.reason = (f"pruned after epoch {event.epoch}: validation loss "
                                         f"{event.val_loss:.4g} worse than the median of "
                                         "earlier trials at that epoch")
                        cancel.set()

        interrupted = False
        try:
            prepared = self._prepare(cfg)
            trainer = Trainer(cfg, prepared=prepared, callback=callback, cancel=cancel,
                              run_dir=run_dir)
            end = trainer.run()
            summary = dict(end.summary)
        except KeyboardInterrupt:
            interrupted = True
            summary = {"status": "stopped", "reason": "sweep interrupted"}
        except SeqlabError as exc:
            summary = {"status": "failed", "reason": str(exc)}
        finally:
            self._trial_cancel = None
        summary["best_val_loss"] = state["best"] if math.isfinite(state["best"]) else None
        summary = json_safe(summary)
        storage.set_trial_user_attr(trial._trial_id, "summary", summary)
        interrupted = interrupted or (self.cancel.is_set() and not state["pruned"]
                                      and summary.get("status") == "stopped")
        value = summary["best_val_loss"]
        if interrupted:
            self.study.tell(trial, state=TS.FAIL)
            outcome_state = "interrupted"
        elif state["pruned"]:
            self.study.tell(trial, state=TS.PRUNED)
            outcome_state = "pruned"
        elif value is None or summary.get("status") == "failed":
            self.study.tell(trial, state=TS.FAIL)
            outcome_state = "failed"
        else:
            self.study.tell(trial, value)
            outcome_state = "complete"
        return TrialOutcome(trial.number, outcome_state, values, summary, value)


# ----------------------------------------------------------------------------- front door
def sweep_dir_for(spec: SweepSpec, runs_dir: str | os.PathLike[str]) -> Path:
    return Path(runs_dir) / spec.name


def save_spec(spec: SweepSpec, sweep_dir: Path) -> None:
    from seqlab.training.runs import write_json

    sweep_dir.mkdir(parents=True, exist_ok=True)
    path = sweep_dir / SPEC_FILE
    if path.is_file():
        with contextlib.suppress(OSError, ValueError):
            old = json.loads(path.read_text(encoding="utf-8"))
            # a resumed study keeps its spec, but a larger --trials raises the target
            if int(old.get("trials") or 0) == spec.trials and old.get("storage") == spec.storage:
                return
    write_json(path, spec.to_dict())


def load_spec(sweep_dir: str | os.PathLike[str]) -> SweepSpec:
    path = Path(sweep_dir) / SPEC_FILE
    try:
        return SweepSpec.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise SeqlabError(f"{sweep_dir} is not a sweep directory (no {SPEC_FILE}).") from None
    except (OSError, ValueError, KeyError) as exc:
        raise SeqlabError(f"cannot read {path}: {exc}.") from None


def is_sweep_dir(path: str | os.PathLike[str]) -> bool:
    return (Path(path) / SPEC_FILE).is_file()


def list_sweeps(runs_dir: str | os.PathLike[str]) -> list[tuple[str, dict[str, Any]]]:
    """(sweep directory, its sweep.json) of every sweep under ``runs_dir``, newest first."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    out = []
    for d in root.iterdir():
        path = d / SPEC_FILE
        if not path.is_file():
            continue
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(spec, dict):
            out.append((d, spec))
    out.sort(key=lambda item: item[0].stat().st_mtime, reverse=True)
    return [(str(d), spec) for d, spec in out]


def sweep_members(sweep_dir: str | os.PathLike[str], spec: dict[str, Any] | None = None
                  ) -> list[dict[str, Any]]:
    """The members of a sweep read from their run directories (no Optuna: this serves the
    lab, which follows a sweep while it runs), as ``seqlab sweep --json`` objects, best
    validation loss first. A member still training is ``running``."""
    from seqlab.training.compare import load_compare_run

    root = Path(sweep_dir)
    if spec is None:
        spec = json.loads((root / SPEC_FILE).read_text(encoding="utf-8"))
    names: list[str] = []
    for p in spec.get("params") or []:
        names.append(p["name"])
    for point in spec.get("points") or []:
        names.extend(k for k in point if k not in names)
    members = []
    for d in sorted(root.iterdir()):
        if not (d.is_dir() and d.name[:1] == "t" and d.name[1:5].isdigit()):
            continue
        try:
            run = load_compare_run(d, probe=False)
        except SeqlabError:
            continue
        row = run.trial(str(int(d.name[1:5])))
        status = run.status
        row["state"] = {"finished": "complete", "stopped": "failed"}.get(status, status)
        if status == "stopped" and "pruned" in str(run.summary.get("reason", "")):
            row["state"] = "pruned"
        row["run_dir"] = str(d)
        params = {}
        for name in names:
            if name in PARAMS:
                section, attr, _ = PARAMS[name]
                value = (run.config.get(section) or {}).get(attr)
                if value is not None:
                    params[name] = value
        row["params"] = params
        members.append(row)

    def key(m: dict[str, Any]) -> tuple[int, float]:
        v = m.get("val_loss")
        ok = isinstance(v, (int, float)) and math.isfinite(v)
        return (0 if ok else 1, v if ok else 0.0)

    members.sort(key=key)
    return members


def divide_devices(jobs: int, device: str, cores: int, gpus: int) -> list[tuple[str, int]]:
    """(device, threads) for each of ``jobs`` workers: GPUs round-robin, cores split evenly."""
    threads = max(1, cores // max(1, jobs))
    out = []
    for j in range(jobs):
        if gpus > 0 and device in ("auto", "cuda"):
            out.append((f"cuda:{j % gpus}", threads))
        else:
            out.append((device, threads))
    return out


def start_workers(sweep_dir: Path, assignments: Iterable[tuple[str, int]]) -> list[Any]:
    """One ``python -m seqlab.training.sweep`` process per (device, threads), on one study."""
    procs = []
    for j, (device, threads) in enumerate(assignments):
        log = open(sweep_dir / f"worker-{j}.log", "ab")  # noqa: SIM115 - the child owns it
        cmd = [sys.executable, "-m", "seqlab.training.sweep", str(sweep_dir),
               "--device", device, "--threads", str(threads)]
        procs.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT))
        log.close()
    return procs


def summary_of(rows: Sequence[TrialRow], spec: SweepSpec, sweep_dir: Path) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.state] = counts.get(r.state, 0) + 1
    best = next((r for r in rows if r.state == "complete"), None)
    return {"summary": True, "sweep_dir": str(sweep_dir), "study": spec.name, "mode": spec.mode,
            "storage": spec.storage or str(sweep_dir / STUDY_FILE), "trials": len(rows),
            "states": counts, "best": best.to_json() if best else None}


def _worker_main(argv: list[str]) -> int:
    """``python -m seqlab.training.sweep SWEEP_DIR [--device D] [--threads N]``: one worker."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m seqlab.training.sweep")
    p.add_argument("sweep_dir")
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--max-trials", type=int, default=None)
    args = p.parse_args(argv)
    sweep_dir = Path(args.sweep_dir)
    try:
        spec = load_spec(sweep_dir)
        runner = SweepRunner(spec, sweep_dir, device=args.device, threads=args.threads,
                             on_trial=lambda o: print(json.dumps(
                                 {"trial": o.number, "state": o.state, "params": o.values,
                                  "val_loss": o.value}), flush=True))
        import signal

        signal.signal(signal.SIGINT, lambda signum, frame: runner.interrupt())
        runner.run(args.max_trials)
    except SeqlabError as exc:
        sys.stderr.write(f"seqlab: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
