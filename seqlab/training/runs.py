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
import math
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give; mkstemp alone gives 0600


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_safe(obj: Any) -> Any:
    """Replace NaN / inf (which JSON lacks) by None, numpy scalars by Python numbers."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def new_run_dir(runs_dir: str | os.PathLike[str], cell: str, data_path: str) -> Path:
    """Create ``runs_dir/<YYYYmmdd-HHMMSS>-<cell>-<data stem>`` (suffixed if taken)."""
    root = Path(runs_dir)
    root.mkdir(parents=True, exist_ok=True)
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
    atomic_write_text(path, json.dumps(json_safe(obj), indent=2, ensure_ascii=False) + "\n")


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(json_safe(r), ensure_ascii=False) + "\n" for r in rows)
    atomic_write_text(path, text)


def predictions_csv(rows: list[tuple[str, str, int, float, float, float]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["label", "split", "step", "actual", "predicted", "baseline"])
    for label, split, step, actual, predicted, baseline in rows:
        writer.writerow([label, split, step, f"{actual:.6g}", f"{predicted:.6g}", f"{baseline:.6g}"])
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


def _read_json(path: Path) -> dict[str, Any]:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
        return obj if isinstance(obj, dict) else {}
    except (OSError, ValueError):
        return {}


def _read_config(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def read_run_info(run_dir: str | os.PathLike[str]) -> RunInfo | None:
    d = Path(run_dir)
    if not (d / "config.toml").is_file():
        return None
    summary = _read_json(d / "summary.json")
    config = _read_config(d / "config.toml")
    status = str(summary.get("status", "running" if not summary else "unknown"))
    kind = str(summary.get("kind", "text" if "text" in config else "series"))
    try:
        started = d.stat().st_mtime
    except OSError:
        started = 0.0
    from seqlab.training.record import read_state

    state = read_state(d)
    if state is not None:
        status = state.status  # live, crashed, or the final status the run wrote
        started = state.started or started
    return RunInfo(str(d), d.name, status, kind, summary, config, started, state)


def list_runs(runs_dir: str | os.PathLike[str]) -> list[RunInfo]:
    """Runs under ``runs_dir``, newest first; directories without a config are skipped."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    infos = [read_run_info(p) for p in root.iterdir() if p.is_dir()]
    runs = [i for i in infos if i is not None]
    runs.sort(key=lambda r: r.name, reverse=True)
    return runs


def load_run(run_dir: str | os.PathLike[str]) -> RunRecord:
    d = Path(run_dir)
    info = read_run_info(d)
    if info is None:
        from seqlab.errors import SeqlabError

        raise SeqlabError(f"{d} is not a seqlab run directory (no config.toml).")
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
