"""Figures of the run's accelerator for the events (``device_stats``), where there is one.

On CUDA: tensor memory allocated now and at peak (``torch.cuda``), and the device's total.
With the optional extra ``seqlab[gpu]`` (``nvidia-ml-py``, imported as ``pynvml``, lazily and
only on CUDA): utilisation and power of the run's GPU. Without a GPU nothing is sampled and
nothing is imported; a missing or failing NVML leaves those two keys out.

Key names and units: :data:`seqlab.training.events.DEVICE_STATS_KEYS`. Tests pass fake sources.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

NVML_EVERY_S = 1.0  # NVML is asked at most once a second; events between reuse the figures


class DeviceStats:
    """Samples one device. ``cuda`` is an object with ``memory_allocated(dev)``,
    ``max_memory_allocated(dev)`` and ``get_device_properties(dev).total_memory`` (torch.cuda
    or a fake); ``nvml`` a module like pynvml or None."""

    def __init__(self, device: Any, cuda: Any, nvml: Any = None, index: int = 0,
                 clock: Any = time.monotonic) -> None:
        self.device = device
        self.cuda = cuda
        self.nvml = nvml
        self.index = index
        self._clock = clock
        self._handle: Any = None
        self._nvml_at = -1e9
        self._nvml: dict[str, float] = {}
        self._total: float | None = None
        if nvml is not None:
            try:
                nvml.nvmlInit()
                self._handle = nvml.nvmlDeviceGetHandleByIndex(index)
            except Exception:  # noqa: BLE001 - no driver, no permission: leave NVML out
                self.nvml = None

    @classmethod
    def for_device(cls, device: Any) -> DeviceStats | None:
        """For a torch CUDA device: torch.cuda, plus pynvml when the extra is installed."""
        import torch

        if getattr(device, "type", "") != "cuda" or not torch.cuda.is_available():
            return None
        index = device.index if device.index is not None else torch.cuda.current_device()
        with contextlib.suppress(Exception):
            torch.cuda.reset_peak_memory_stats(index)
        return cls(index, torch.cuda, load_nvml(), nvml_index(index))

    def sample(self) -> dict[str, float]:
        out: dict[str, float] = {}
        try:
            out["mem_allocated"] = float(self.cuda.memory_allocated(self.device))
            out["mem_peak"] = float(self.cuda.max_memory_allocated(self.device))
            if self._total is None:
                self._total = float(self.cuda.get_device_properties(self.device).total_memory)
            out["mem_total"] = self._total
        except Exception:  # noqa: BLE001 - figures are a bonus, never a failure
            pass
        if self.nvml is not None and self._handle is not None:
            now = self._clock()
            if now - self._nvml_at >= NVML_EVERY_S:
                self._nvml_at = now
                self._nvml = {}
                with contextlib.suppress(Exception):
                    rates = self.nvml.nvmlDeviceGetUtilizationRates(self._handle)
                    self._nvml["util"] = float(rates.gpu)
                with contextlib.suppress(Exception):
                    self._nvml["power_w"] = self.nvml.nvmlDeviceGetPowerUsage(self._handle) / 1000
            out.update(self._nvml)
        return out


def load_nvml() -> Any:
    """The ``pynvml`` module of nvidia-ml-py, or None when the extra is not installed."""
    try:
        import pynvml
    except Exception:  # noqa: BLE001 - ImportError, or a broken install
        return None
    return pynvml


def nvml_index(torch_index: int) -> int:
    """NVML numbers GPUs by PCI order; torch by CUDA_VISIBLE_DEVICES order. Map the first
    through the second when the variable lists plain numbers."""
    import os

    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    items = [v.strip() for v in visible.split(",") if v.strip()]
    if items and all(v.isdigit() for v in items) and torch_index < len(items):
        return int(items[torch_index])
    return torch_index
