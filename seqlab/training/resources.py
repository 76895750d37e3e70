"""What a run needs from the machine, checked before anything is allocated.

A model too large for memory ends in an allocation error deep inside torch (or the OOM killer);
too many threads crash torch outright. Both are refused here with the numbers that matter.
"""

from __future__ import annotations

import os
from pathlib import Path

from seqlab.config import ModelConfig
from seqlab.errors import ConfigError
from seqlab.models.info import GATES

FLOAT_BYTES = 4  # float32 weights, gradients, optimizer state and activations


def machine_cpus() -> int:
    """CPUs of the machine (not only those this process may use: a lab child may be pinned)."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = 1
    return max(os.cpu_count() or 1, affinity)


def check_threads(requested: int) -> None:
    """More torch threads than CPUs only slows a run (measured 3-7x with 4 on 2 cores), and
    tens of thousands crash torch: refuse more than the machine has."""
    cpus = machine_cpus()
    if requested > cpus:
        raise ConfigError(f"--threads {requested} is more than the {cpus} CPUs of this machine; "
                          f"use 0 (sized to the cores) or at most {cpus}.")


def memory_estimate(cfg: ModelConfig, params: int, input_size: int, batch: int, window: int,
                    outputs: int = 0) -> dict[str, int]:
    """Bytes a training run needs, by part.

    parameters, their gradients, Adam's two moments, the copy of the best weights and the
    copy serialised into the checkpoint (6 float32 copies of the weights); and the activations
    one batch keeps for the backward pass: per layer, direction and timestep the gates, h and
    (LSTM) c, the layer's input, and ``outputs`` values per timestep (a language model's
    logits, with their gradient).
    """
    d = 2 if cfg.bidirectional else 1
    h = cfg.hidden_size
    per_step = 0
    for layer in range(cfg.num_layers):
        n_in = input_size if layer == 0 else d * h
        per_step += n_in + d * h * (GATES.get(cfg.cell, 4) + 2)
    per_step += 2 * outputs
    # forward values and as many gradients in backward
    activations = 2 * batch * window * per_step * FLOAT_BYTES
    p = params * FLOAT_BYTES
    return {"parameters": p, "gradients": p, "Adam state": 2 * p,
            "best-weights and checkpoint copies": 2 * p, "activations of a batch": activations}


def available_memory(device: str = "cpu") -> int | None:
    """Bytes free for this process: the GPU's free memory for a CUDA device; else the smaller
    of MemAvailable and what the cgroup limit leaves. None when it cannot be told."""
    if device.startswith("cuda"):
        try:
            import torch

            free, _total = torch.cuda.mem_get_info(torch.device(device))
            return int(free)
        except Exception:  # noqa: BLE001 - no CUDA: nothing to compare with
            return None
    found: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
                break
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit.isdigit() and used.isdigit():
            found.append(max(0, int(limit) - int(used)))
    except OSError:
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            return None
    return min(found)


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


def check_memory(parts: dict[str, int], device: str = "cpu",
                 available: int | None = None) -> None:
    """Refuse a run whose estimate is more than the memory available, with both numbers."""
    free = available_memory(device) if available is None else available
    total = sum(parts.values())
    if free is None or total <= free:
        return
    detail = ", ".join(f"{k} {_gb(v)}" for k, v in parts.items())
    where = "GPU memory free" if device.startswith("cuda") else "memory available"
    raise ConfigError(f"this run needs about {_gb(total)} ({detail}) but the machine has "
                      f"{_gb(free)} of {where}; use a smaller --hidden or --layers (or "
                      "--batch-size / --window for the activations).")
