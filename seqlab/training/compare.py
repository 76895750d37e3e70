"""What the comparison of pinned runs needs, read off their run directories (live or finished).

No torch: a live run is followed through the files it writes each epoch (``metrics.jsonl``,
and ``events.jsonl`` where the run record has one), a finished one through ``summary.json``
and ``probe.json`` as well.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_PINNED = 6


@dataclass
class CompareRun:
    """One pinned run as the comparison shows it."""

    run_dir: str
    name: str
    title: str  # "LSTM 1×32"
    status: str
    config: dict[str, Any]
    summary: dict[str, Any]
    metrics: list[dict[str, Any]] = field(default_factory=list)
    probe: Any = None  # the latest ProbeSnapshot (events), or None

    @property
    def val_loss(self) -> float:
        vals = [float(m["val_loss"]) for m in self.metrics
                if isinstance(m.get("val_loss"), (int, float)) and math.isfinite(m["val_loss"])]
        return min(vals) if vals else math.nan

    def trial(self, label: str) -> dict[str, Any]:
        """The run as a row of the sweep table (same keys as ``seqlab sweep --json``)."""
        s = self.summary
        out: dict[str, Any] = {
            "trial": label, "state": self.status, "model": self.title, "params": {},
            "n_params": s.get("params"), "epochs": s.get("epochs", len(self.metrics) or None),
            "seconds": s.get("seconds"), "val_loss": self.val_loss,
            "val": s.get("val") or (self.metrics[-1].get("val") if self.metrics else {}) or {},
            "test": s.get("test") or {},
        }
        for k, v in s.items():
            if isinstance(v, dict) and ("baseline" in k or "naive" in k):
                out[k] = v
        return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def _status(run_dir: Path, summary: dict[str, Any]) -> str:
    if summary.get("status"):
        status = str(summary["status"])
        if status == "stopped" and "pruned" in str(summary.get("reason", "")):
            return "pruned"
        return status
    with contextlib.suppress(Exception):  # the run record, where it exists
        from seqlab.training.record import read_state  # type: ignore[attr-defined]

        return str(read_state(run_dir).status)
    state = _read_json(run_dir / "state.json")
    return str(state.get("status") or "running")


def _last_probe(run_dir: Path) -> Any:
    """The newest ProbeSnapshot: from events.jsonl (live runs) or probe.json."""
    from seqlab.training.events import loads

    events = run_dir / "events.jsonl"
    if events.is_file():
        last = None
        with contextlib.suppress(OSError), open(events, encoding="utf-8") as fh:
            for line in fh:
                if '"type":"ProbeSnapshot"' in line[:40]:
                    last = line
        if last is not None:
            with contextlib.suppress(ValueError, TypeError, KeyError):
                return loads(last)
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        return loads((run_dir / "probe.json").read_text(encoding="utf-8"))
    return None


def load_compare_run(run_dir: str | os.PathLike[str], *, probe: bool = True) -> CompareRun:
    from seqlab.training.runs import read_run_info

    d = Path(run_dir)
    info = read_run_info(d)
    if info is None:
        from seqlab.errors import SeqlabError

        raise SeqlabError(f"{d} is not a seqlab run directory (no config.toml).")
    metrics: list[dict[str, Any]] = []
    with contextlib.suppress(OSError):
        for line in (d / "metrics.jsonl").read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                row = json.loads(line)
                if isinstance(row, dict):
                    metrics.append(row)
    summary = dict(info.summary or {})
    return CompareRun(str(d), info.name, info.title, _status(d, summary), info.config, summary,
                      metrics, _last_probe(d) if probe else None)


def same_sample(runs: list[CompareRun]) -> int | None:
    """The validation sample every pinned run's probe shows, or None when they differ."""
    samples = {(getattr(r.probe, "split", None), getattr(r.probe, "sample", None))
               for r in runs if r.probe is not None}
    if len(samples) != 1:
        return None
    split, sample = next(iter(samples))
    return int(sample) if split == "val" and sample is not None else None
