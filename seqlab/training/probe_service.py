"""A finished time-series run behind JSON lines: ``python -m seqlab.training.probe_service RUN_DIR``.

The probe of a run stores one watched validation sample. To look at another sample after the run
has finished, the TUI (which never imports torch) starts this child process, which rebuilds the
model from ``model.pt`` (weights-only) and the windows from ``config.toml``, and answers:

* ``{"cmd": "probe", "sample": 7}`` -> one ProbeSnapshot line (events JSON) for validation
  sample 7 (clamped to the split);
* ``{"cmd": "info"}`` -> ``{"type": "Info", "n_val": ..., ...}`` (also the first line printed);
* ``{"cmd": "stop"}`` -> ``{"ok": true}``, then the service exits.

The control grammar of :mod:`seqlab.training.control`: every answer carries ``"ok"``; errors
answer ``{"ok": false, "error": one line}`` (also as ``"type": "Error", "message"``) and the
service keeps running. Use :class:`seqlab.training.control.ControlClient` to talk to it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from seqlab.errors import SeqlabError
from seqlab.training.lm_service import out_event, serve_json_lines


@dataclass
class LoadedRun:
    model: Any
    prepared: Any
    run_dir: Path
    epoch: int = 0  # the best epoch, whose weights model.pt holds


def load_run_model(run_dir: str) -> LoadedRun:
    from seqlab.data import prepare
    from seqlab.training.trainer import load_checkpoint

    d = Path(run_dir)
    if not (d / "model.pt").is_file():
        raise SeqlabError(f"no model.pt in {d}: the run did not finish an epoch.")
    try:
        model, cfg, _ = load_checkpoint(d / "model.pt")
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign checkpoint
        raise SeqlabError(f"cannot read {d / 'model.pt'}: {type(exc).__name__}.") from None
    import json

    try:
        epoch = int(json.loads((d / "summary.json").read_text(encoding="utf-8"))["best_epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        epoch = 0
    return LoadedRun(model, prepare(cfg.data), d, epoch)


def probe_sample(run: LoadedRun, sample: int) -> Any:
    """ProbeSnapshot of validation sample ``sample`` (clamped) with the run's best weights."""
    import numpy as np
    import torch
    from torch import nn

    from seqlab.models import probe
    from seqlab.training.trainer import snapshot

    split = run.prepared.val
    n = split.X.shape[0]
    if n == 0:
        raise SeqlabError("the run's validation split has no windows.")
    k = int(min(max(sample, 0), n - 1))
    x = torch.from_numpy(np.array(split.X[k : k + 1], dtype=np.float32))
    y = torch.from_numpy(np.array(split.y[k : k + 1], dtype=np.float32))
    result = probe(run.model, x, y, nn.functional.mse_loss)
    return snapshot(run.epoch, "val", k, run.prepared.input_labels(split, k), result)


def handle(run: LoadedRun, command: dict[str, Any], out: TextIO) -> None:
    import json

    cmd = command.get("cmd")
    if cmd == "probe":
        sample = command.get("sample", 0)
        if not isinstance(sample, int) or isinstance(sample, bool):
            raise SeqlabError('probe needs "sample": a whole number.')
        out_event(out, probe_sample(run, sample))
    elif cmd == "info":
        out.write(json.dumps({"ok": True, **info(run)}) + "\n")
        out.flush()
    else:
        raise SeqlabError(f"unknown command {cmd!r}: use probe, info or stop.")


def info(run: LoadedRun) -> dict[str, Any]:
    return {"type": "Info", "run_dir": str(run.run_dir), "n_val": int(run.prepared.val.X.shape[0])}


def serve(run_dir: str, stdin: TextIO, stdout: TextIO) -> int:
    return serve_json_lines(lambda: load_run_model(run_dir), handle, info, stdin, stdout)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: python -m seqlab.training.probe_service RUN_DIR\n")
        raise SystemExit(2)
    raise SystemExit(serve(sys.argv[1], sys.stdin, sys.stdout))
