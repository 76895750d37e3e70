"""Run directories: where each run's config, metrics, checkpoint and predictions live.

Layout of ``runs/<id>/``::

    config.toml       everything needed to re-run (data path + SHA-256 included)
    metrics.jsonl     one JSON object per epoch
    model.pt          {"state_dict", "config", "meta"}; loads with torch.load(weights_only=True)
    predictions.csv   label, split, step, actual, predicted, baseline (original units)
    probe.json        the last probe snapshot (events JSON format)
    summary.json      the run's result (the same object ``seqlab train --json`` prints)

Every file is written to a temporary name and renamed, so a crash never leaves half a file.
This module does not import torch.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

# the writers live in fileio (seqlab.training.record writes through it too); their names stay
# importable from here, and this module calls them as ``fileio.*`` so a patch there reaches it
from seqlab.training import fileio
from seqlab.training.fileio import (  # noqa: F401 - re-exported
    atomic_write_bytes,
    atomic_write_text,
    json_safe,
)
from seqlab.training.record import read_state

if TYPE_CHECKING:
    import numpy as np
else:  # the lab reads run folders before any array exists
    from seqlab.lazy import numpy as np


def check_runs_dir(runs_dir: str | os.PathLike[str]) -> Path:
    """Create the runs folder if needed and make sure a file can be written in it; anything
    in the way (a file, a file above it, no permission, a read-only disk) is a SeqlabError."""
    from seqlab.errors import SeqlabError

    root = Path(runs_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise SeqlabError(f"runs dir {root} is a file, not a folder; choose a folder with "
                          "--runs-dir.") from None
    except NotADirectoryError:
        above = next((str(p) for p in root.parents if p.exists() and not p.is_dir()), "")
        raise SeqlabError(f"runs dir {root} cannot be created: {above or 'a parent'} is a "
                          "file, not a folder; choose another --runs-dir.") from None
    except OSError as exc:
        raise SeqlabError(f"cannot create runs dir {root}: {_why(exc)}; choose a writable "
                          "--runs-dir.") from None
    if not root.is_dir():
        raise SeqlabError(f"runs dir {root} is not a folder; choose a folder with --runs-dir.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".seqlab-write-check.", dir=root)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise SeqlabError(f"cannot write in runs dir {root}: {_why(exc)}; choose a writable "
                          "--runs-dir or fix the folder's permissions.") from None
    return root


def new_run_dir(runs_dir: str | os.PathLike[str], cell: str, data_path: str) -> Path:
    """Create ``runs_dir/<YYYYmmdd-HHMMSS>-<cell>-<data stem>`` (suffixed if taken)."""
    root = check_runs_dir(runs_dir)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(data_path).stem or "data")[:40]
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{cell}-{stem}"
    for k in range(1000):
        candidate = root / (base if k == 0 else f"{base}-{k + 1}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a run directory under {root}")


def write_json(path: Path, obj: Any) -> None:
    fileio.atomic_write_text(path, json.dumps(fileio.json_safe(obj), indent=2,
                                              ensure_ascii=False) + "\n")


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(fileio.json_safe(r), ensure_ascii=False) + "\n" for r in rows)
    fileio.atomic_write_text(path, text)


PREDICTION_COLUMNS = ("label", "split", "step", "actual", "predicted", "baseline")


def predictions_csv(rows: list[tuple[Any, ...]],
                    header: list[str] | tuple[str, ...] = PREDICTION_COLUMNS) -> str:
    """label, split, step, then numbers (6 significant digits); text columns kept as text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in row])
    return buf.getvalue()


@dataclass
class RunInfo:
    """One line of the runs list."""

    run_dir: str
    name: str
    status: str
    kind: str
    summary: dict[str, Any]
    config: dict[str, Any]
    started: float  # mtime of the directory (seconds since the epoch)
    problem: str = ""  # why its files cannot be read (status "unreadable"); "" when they can
    # state.json as shown (record.RunStatus), None for runs without one; a live run's status
    # (running / paused, or crashed when its process is gone) comes from it
    state: Any = None

    @property
    def title(self) -> str:
        """The model in a few characters, e.g. ``LSTM 2×64 bi``."""
        m = self.config.get("model", {})
        bi = " bi" if m.get("bidirectional") else ""
        return (f"{str(m.get('cell', '?')).upper()} {m.get('num_layers', 1)}×"
                f"{m.get('hidden_size', '?')}{bi}")

    @property
    def data_name(self) -> str:
        section = self.config.get("data") or self.config.get("text") or {}
        path = str(section.get("path") or "")
        return Path(path).name if path else "typed text"


@dataclass
class RunRecord:
    """Everything a finished (or stopped) run left on disk, for showing it again."""

    info: RunInfo
    metrics: list[dict[str, Any]] = field(default_factory=list)
    predictions: list[dict[str, Any]] = field(default_factory=list)
    probe_line: str | None = None  # the last probe snapshot, decode with events.loads


UNREADABLE = "unreadable"  # the status of a run whose summary or config cannot be read


def _read_json(path: Path) -> tuple[dict[str, Any], str]:
    """(object, problem): {} and "" when the file does not exist (the run has not ended)."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, ""
    except (OSError, ValueError) as exc:
        return {}, f"{path.name} cannot be read ({_why(exc)})"
    if not isinstance(obj, dict):
        return {}, f"{path.name} holds {type(obj).__name__}, not a JSON object"
    return obj, _summary_problem(obj, path.name)


def _read_config(path: Path) -> tuple[dict[str, Any], str]:
    import tomllib

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {}, f"{path.name} cannot be read ({_why(exc)})"
    return raw, _config_problem(raw, path.name)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__


_NUMBER = (int, float)
# summary.json fields the listings and views read, and the types they must have
_SUMMARY_TYPES: dict[str, tuple[type, ...]] = {
    "status": (str,), "reason": (str,), "kind": (str,), "run_dir": (str,), "epochs": (int,),
    "best_epoch": (int,), "params": (int,), "seconds": _NUMBER, "val_perplexity": _NUMBER,
    "unigram_perplexity": _NUMBER, "vocab_size": (int,),
}
_METRIC_TABLES = ("val", "test", "baseline_val", "baseline_test")
# config.toml fields the listings read: model section
_MODEL_TYPES: dict[str, tuple[type, ...]] = {
    "cell": (str,), "num_layers": (int,), "hidden_size": (int,), "bidirectional": (bool,),
}


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _summary_problem(obj: dict[str, Any], name: str) -> str:
    for key, types in _SUMMARY_TYPES.items():
        value = obj.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            want = " or ".join(t.__name__ for t in types)
            return f"{name}: '{key}' should be {want}, got {_type_name(value)}"
    for key in _METRIC_TABLES:
        table = obj.get(key)
        if table is None:
            continue
        if not isinstance(table, dict):
            return f"{name}: '{key}' should be a table of metrics, got {_type_name(table)}"
        for metric, value in table.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, _NUMBER)):
                return (f"{name}: '{key}.{metric}' should be a number, got "
                        f"{_type_name(value)}")
    return ""


def _config_problem(raw: dict[str, Any], name: str) -> str:
    for section in ("data", "model", "train", "text"):
        if section in raw and not isinstance(raw[section], dict):
            return f"{name}: [{section}] should be a table, got {_type_name(raw[section])}"
    model = raw.get("model") or {}
    for key, types in _MODEL_TYPES.items():
        value = model.get(key)
        if value is None:
            continue
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            return (f"{name}: [model] {key} should be {types[0].__name__}, got "
                    f"{_type_name(value)}")
    for section in ("data", "text"):
        path = (raw.get(section) or {}).get("path")
        if path is not None and not isinstance(path, str):
            return f"{name}: [{section}] path should be str, got {_type_name(path)}"
    return ""


def read_run_info(run_dir: str | os.PathLike[str]) -> RunInfo | None:
    """One run's line; a run whose files are damaged comes back with status ``unreadable``
    and its ``problem``, never an exception."""
    d = Path(run_dir)
    if not (d / "config.toml").is_file():
        return None
    summary, s_problem = _read_json(d / "summary.json")
    config, c_problem = _read_config(d / "config.toml")
    problem = s_problem or c_problem
    try:
        started = d.stat().st_mtime
    except OSError:
        started = 0.0
    state = read_state(d)
    if state is not None:
        started = state.started or started
    if problem:
        return RunInfo(str(d), d.name, UNREADABLE, "series", {}, {}, started, problem, state)
    status = str(summary.get("status", "running" if not summary else "unknown"))
    kind = str(summary.get("kind", "text" if "text" in config else "series"))
    if state is not None and (state.live or state.status == "crashed" or "status" not in summary):
        status = state.status  # running, paused, crashed: only state.json knows
    return RunInfo(str(d), d.name, status, kind, summary, config, started, problem, state)


def list_runs(runs_dir: str | os.PathLike[str]) -> list[RunInfo]:
    """Runs under ``runs_dir``, newest first; directories without a config are skipped."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    try:
        entries = [p for p in root.iterdir() if p.is_dir()]
    except OSError as exc:
        from seqlab.errors import SeqlabError

        raise SeqlabError(f"cannot list {root}: {_why(exc)}; check the folder's "
                          "permissions or choose another --runs-dir.") from None
    infos = [read_run_info(p) for p in entries]
    runs = [i for i in infos if i is not None]
    runs.sort(key=lambda r: r.name, reverse=True)
    return runs


def load_run(run_dir: str | os.PathLike[str]) -> RunRecord:
    d = Path(run_dir)
    info = read_run_info(d)
    from seqlab.errors import SeqlabError

    if info is None:
        raise SeqlabError(f"{d} is not a seqlab run directory (no config.toml).")
    if info.problem:
        raise SeqlabError(f"run {d.name} cannot be opened: {info.problem}; its files are "
                          "damaged, re-run it or delete the folder.")
    metrics: list[dict[str, Any]] = []
    try:
        for line in (d / "metrics.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                metrics.append(json.loads(line))
    except (OSError, ValueError):
        pass
    predictions: list[dict[str, Any]] = []
    try:
        with open(d / "predictions.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                predictions.append(row)
    except OSError:
        pass
    probe_line = None
    with contextlib.suppress(OSError):
        probe_line = (d / "probe.json").read_text(encoding="utf-8").strip() or None
    return RunRecord(info, metrics, predictions, probe_line)


_STATE_KINDS = ("h", "c", "i", "f", "g", "o", "r", "z", "n")
_DIRECTIONS = ("fwd", "bwd")


def read_probe(path: str | os.PathLike[str]) -> Any:
    """A run's ``probe.json`` as a :class:`~seqlab.training.events.ProbeSnapshot`, checked
    (JSON, numeric arrays, state keys ``kind/layer/direction``, one row per timestep);
    a damaged file raises :class:`~seqlab.errors.SeqlabError` naming what is wrong."""
    from seqlab.errors import SeqlabError
    from seqlab.training.events import ProbeSnapshot, loads

    p = Path(path)

    def damaged(why: str) -> SeqlabError:
        return SeqlabError(f"{p} is damaged ({why}); re-run the run to write it again, or "
                           "delete the file.")

    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise damaged(f"cannot be read: {_why(exc)}") from None
    try:
        snap = loads(text)
    except json.JSONDecodeError as exc:
        raise damaged(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise damaged(_why(exc)) from None
    if not isinstance(snap, ProbeSnapshot):
        raise damaged(f"holds a {type(snap).__name__} event, not a probe snapshot")
    labels = snap.labels
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise damaged("labels should be a list of strings")
    if not isinstance(snap.states, dict) or not snap.states:
        raise damaged("no states")
    for key, value in snap.states.items():
        parts = str(key).split("/")
        if (len(parts) != 3 or parts[0] not in _STATE_KINDS or not parts[1].isdigit()
                or parts[2] not in _DIRECTIONS):
            raise damaged(f"unknown state key {str(key)[:40]!r} (expected kind/layer/direction "
                          "like h/0/fwd)")
        if (not isinstance(value, np.ndarray) or value.ndim != 2 or value.dtype.kind != "f"
                or value.shape[0] != len(labels)):
            raise damaged(f"state {key} should be a float array of {len(labels)} timesteps "
                          "by units")
    if not isinstance(snap.grads, dict):
        raise damaged("grads should be a table")
    for key, value in snap.grads.items():
        parts = str(key).split("/")
        if len(parts) != 2 or not parts[0].isdigit() or parts[1] not in _DIRECTIONS:
            raise damaged(f"unknown gradient key {str(key)[:40]!r} (expected layer/direction)")
        if (not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype.kind != "f"
                or value.shape[0] != len(labels)):
            raise damaged(f"gradient {key} should be {len(labels)} numbers")
    return snap
