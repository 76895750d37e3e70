"""Share a run: its Train and Hidden views as SVG / HTML, and its probe as numpy arrays.

``export_views`` needs no torch (it reads the run's files); ``probe_arrays`` rebuilds the model
from ``model.pt`` to probe any validation sample, and imports torch when called.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.errors import SeqlabError

EXPORT_WIDTH = 100


def _record(renderable: Any, width: int) -> Any:
    from rich.console import Console

    console = Console(record=True, width=width, file=io.StringIO(), color_system="truecolor",
                      force_terminal=True, legacy_windows=False)
    console.print(renderable)
    return console


def export_views(run_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None,
                 *, width: int = EXPORT_WIDTH, formats: tuple[str, ...] = ("svg", "html")
                 ) -> list[Path]:
    """Write ``train.svg``/``.html`` and (when the run has a probe) ``hidden.svg``/``.html``."""
    from seqlab.render.report import hidden_report, train_report
    from seqlab.training.events import loads
    from seqlab.training.fileio import atomic_write_text
    from seqlab.training.runs import load_run

    record = load_run(run_dir)
    info = record.info
    out = Path(out_dir) if out_dir is not None else Path(run_dir) / "export"
    title = f"{info.name} · {info.title} · {info.data_name}"
    views: list[tuple[str, Any, str]] = [
        ("train", train_report(title, record.metrics, info.summary, record.predictions,
                               width=width), f"seqlab · Train · {info.name}"),
    ]
    if record.probe_line:
        try:
            snap = loads(record.probe_line)
        except (ValueError, TypeError, KeyError):
            snap = None
        if snap is not None and hasattr(snap, "states"):
            views.append(("hidden", hidden_report(
                title, snap.states, snap.grads, snap.labels,
                input_grad=getattr(snap, "input_grad", None), epoch=snap.epoch,
                sample=snap.sample), f"seqlab · Hidden · {info.name}"))
    written: list[Path] = []
    for name, renderable, svg_title in views:
        console = _record(renderable, width)
        if "svg" in formats:
            path = out / f"{name}.svg"
            atomic_write_text(path, console.export_svg(title=svg_title, clear=False))
            written.append(path)
        if "html" in formats:
            path = out / f"{name}.html"
            atomic_write_text(path, console.export_html(inline_styles=True, clear=False))
            written.append(path)
    return written


def probe_arrays(run_dir: str | os.PathLike[str], sample: int | None = None
                 ) -> dict[str, np.ndarray]:
    """A time-series run's probe of validation sample ``sample`` (default: the watched one) as
    arrays: the exact input window the model read (scaled, and in original units), every
    layer's and direction's states and gates, ``‖∂loss/∂h_t‖``, ``‖∂ŷ/∂x_t‖``, the target and
    the forecast, and the labels of each timestep."""
    from seqlab.config import RunConfig
    from seqlab.training.probe_service import load_run_model, probe_sample

    d = Path(run_dir)
    try:
        cfg = RunConfig.load(d / "config.toml")
    except SeqlabError:
        raise SeqlabError(f"{d} is not a time-series run directory (no readable config.toml); "
                          "--npz exports a time-series run's probe.") from None
    run = load_run_model(str(d))
    k = cfg.train.probe_sample if sample is None else sample
    split = run.prepared.val
    n = split.X.shape[0]
    if n == 0:
        raise SeqlabError("the run's validation split has no windows.")
    if not 0 <= k < n:
        raise SeqlabError(f"validation sample {k} does not exist: choose 0 to {n - 1}.")
    snap = probe_sample(run, k)
    prep = run.prepared
    x = np.array(split.X[k], dtype=np.float32)  # (T, F), exactly what the model read
    import torch

    with torch.no_grad():
        pred = run.model(torch.from_numpy(x[None])).numpy()  # (1, H) model units
    arrays: dict[str, np.ndarray] = {
        "x": x,
        "y": np.array(split.y[k], dtype=np.float32),
        "y_true": np.array(split.y_true[k], dtype=np.float64),
        "prediction": prep.to_original(split, pred, rows=np.array([k]))[0],
        "labels": np.array(snap.labels, dtype=str),
        "features": np.array(prep.feature_names, dtype=str),
        "sample": np.array(k),
        "epoch": np.array(run.epoch),
    }
    # (T, F) in the CSV's units: undo the per-column scaling (a column the model reads as
    # changes, see Prepared.differenced_inputs, stays as changes)
    if prep.x_scaler is not None:
        sc = prep.x_scaler
        arrays["x_original"] = x.astype(np.float64) * sc.scale + sc.offset
    for key, value in snap.states.items():  # "h/0/fwd" -> "h_l0_fwd": (T, hidden)
        kind, layer, direction = key.split("/")
        arrays[f"{kind}_l{layer}_{direction}"] = np.asarray(value)
    for key, value in snap.grads.items():  # "0/fwd" -> "grad_l0_fwd": (T,)
        layer, direction = key.split("/")
        arrays[f"grad_l{layer}_{direction}"] = np.asarray(value)
    if getattr(snap, "input_grad", None) is not None:
        arrays["input_grad"] = np.asarray(snap.input_grad)
    return arrays


def write_npz(path: str | os.PathLike[str], arrays: dict[str, np.ndarray]) -> Path:
    """``np.savez_compressed`` to a temporary name, then renamed (loads without pickle)."""
    from seqlab.training.fileio import atomic_write_bytes

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    p = Path(path)
    atomic_write_bytes(p, buf.getvalue())
    return p
