"""The trainer: one time-series run, reported through events, cancellable between batches.

It knows nothing of terminals or widgets: the CLI and the TUI's worker process pass a callback
and a ``threading.Event``. Training uses the fused ``nn.RNN/LSTM/GRU`` module; the probe (a
step-by-step unroll with the same weights) runs on one watched validation sample every
``probe_every`` epochs.

Its size (about 1,000 lines) is the shared loop (run record, checkpoints, resume, pause,
cancellation, divergence) plus the series task's hooks; the seam to split along next is the
series ``Trainer`` into a module of its own beside ``text_trainer``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from seqlab.config import RunConfig, file_sha256, runtime_versions
from seqlab.data import Prepared, Split, prepare
from seqlab.models import build_model, count_params, initial_model, probe
from seqlab.training import fileio, runs
from seqlab.training.events import (
    EpochEnd,
    Event,
    Predictions,
    ProbeSnapshot,
    RunEnd,
    RunStarted,
    StepEnd,
    dumps,
)
from seqlab.training.metrics import (
    LEVELS,
    conformal_halfwidths,
    coverage,
    level_key,
    metrics_by_step,
    regression_metrics,
)
from seqlab.wording import plural

Callback = Callable[[Event], None]

STEP_EVENTS_PER_S = 10.0  # StepEnd events are throttled: posting every step costs throughput


# pragma: no mutate start (not mutation-tested, see docs/mutation.md)
def resolve_device(name: str) -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; a named device must be available."""
    from seqlab.errors import ConfigError

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {name} asked for, but CUDA is not available: use --device auto.")
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ConfigError("device mps asked for, but MPS is not available: use --device auto.")
    return torch.device(name)


def machine_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def size_threads(requested: int = 0) -> int:
    """Torch threads sized to the cores we may use (more threads than cores runs 3-7x slower)."""
    from seqlab.training.resources import check_threads

    check_threads(requested)
    n = requested if requested > 0 else max(1, min(machine_cores(), 8))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def window_tensor(view: np.ndarray, base_np: np.ndarray, base: torch.Tensor) -> torch.Tensor:
    """A (N, T, F) tensor over ``base`` laid out like ``view``, a strided window view of
    ``base_np``; ``base`` holds ``base_np``'s values (on any device).

    No copy: the windows stay a view of the scaled series; batches are gathered from it.
    """
    item = view.itemsize
    if view.size == 0 or not np.shares_memory(view, base_np):
        return torch.from_numpy(np.array(view, dtype=np.float32)).to(base.device)
    offset = (view.__array_interface__["data"][0] - base_np.__array_interface__["data"][0]) // item
    strides = [s // item for s in view.strides]
    return torch.as_strided(base, size=view.shape, stride=strides, storage_offset=offset)


class BaseTrainer:
    """The training loop shared by every task; subclasses supply data, model, loss and files.

    Hooks: ``_setup`` (data, model, tensors; returns the number of training windows),
    ``_batch`` (indices -> device tensors), ``_validate`` (epoch -> val loss, metrics; may emit
    extra events), ``_probe`` (epoch -> ProbeSnapshot or None), ``_started`` (the RunStarted
    fields that differ), ``_summary`` (writes the task's files, returns the summary) and
    ``_checkpoint_extra``.
    """

    kind = "series"

    def __init__(
        self,
        cfg: Any,
        callback: Callback | None = None,
        cancel: threading.Event | None = None,
        run_dir: str | os.PathLike[str] | None = None,
        write_files: bool = True,
    ) -> None:
        cfg.validate()
        self.cfg = cfg
        self.callback = callback or (lambda event: None)
        self.cancel = cancel or threading.Event()
        self.watch_sample = cfg.train.probe_sample
        self.write_files = write_files
        self._run_dir = Path(run_dir) if run_dir is not None else None
        self.run_dir: Path | None = None
        self.model: nn.Module | None = None
        self.loss_fn: nn.Module = nn.MSELoss()
        self.history: list[dict[str, Any]] = []
        self.device = torch.device("cpu")
        # continue the run in ``run_dir`` from its last.pt (``seqlab train --resume``)
        self.resume = False
        # set: the loop waits between batches (``pause`` on the control channel)
        self.paused = threading.Event()
        self.recorder: Any = None  # record.RunRecorder while a run with files trains
        self.control: Any = None  # control.ControlServer while a run with files trains
        self.device_stats: Any = None  # gpu.DeviceStats on CUDA
        self._seconds_before = 0.0  # wall time of the epochs a resumed run already had
        self._end_failure = ""  # why a file of the run's end could not be written

    # hooks ------------------------------------------------------------------
    def _setup(self) -> int:
        raise NotImplementedError

    def _batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def _loss(self, out: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(out, yb)

    def _validate(self, epoch: int) -> tuple[float, dict[str, float]]:
        raise NotImplementedError

    def _probe(self, epoch: int) -> ProbeSnapshot | None:
        return None

    def _started(self) -> dict[str, Any]:
        return {}

    def _start_is_a_forecast(self) -> bool:
        """True when the untrained model is itself a forecast worth keeping (a differenced
        series model starts as persistence): early stopping then weighs it as epoch 0."""
        return False

    def _start_words(self) -> str:
        """What the untrained model forecasts, in words (see _start_is_a_forecast)."""
        return "the untrained model"

    def _summary(self, status: str, epochs: int) -> dict[str, Any]:
        return {}

    def _checkpoint_extra(self) -> dict[str, Any]:
        return {}

    def _data_name(self) -> str:
        return str(getattr(getattr(self.cfg, "data", None), "path", "") or "data")

    # ---------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        if self.recorder is not None:
            try:
                self.recorder.record(event)
            except OSError as exc:
                if not isinstance(event, RunEnd):
                    raise  # a run that cannot keep its record ends as failed (see _run_loop)
                # the run's end still reaches the front end; state.json is marked on close
                self.recorder.state["status"] = "running"
                self._end_failure = self._end_failure or write_failure(exc)
        self.callback(event)

    # the run record (events.jsonl, state.json, checkpoints, control channel) ---------
    def _open_record(self, run_dir: Path) -> None:
        from seqlab.training import control, record

        channel = None
        try:
            self.control = control.ControlServer(run_dir, self.handle_command)
            self.control.start()
            channel = record.CONTROL_FILE
        except OSError as exc:  # e.g. a filesystem without sockets: the run trains on
            self.control = None
            import sys

            sys.stderr.write(f"seqlab: no control channel in {run_dir}: {exc}\n")
        try:
            self.recorder = record.RunRecorder(run_dir, kind=self.kind,
                                               epochs=self.cfg.train.epochs,
                                               device=str(self.device), control=channel)
        except BaseException:
            self._close_record()
            raise

    def _close_record(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.recorder is not None:
            if self.recorder.state.get("status") in ("running", "paused"):
                # run() left without its RunEnd (an exception escaped, or the disk refused
                # the RunEnd): never leave it 'running'
                with contextlib.suppress(OSError):
                    self.recorder.write_state(status="failed", reason=self._end_failure
                                              or "the run ended unexpectedly")
            if getattr(self.recorder, "error", None):  # a state.json write was refused
                keep_state_in_place(self.recorder)
            with contextlib.suppress(OSError):
                self.recorder.close()
            self.recorder = None

    # pragma: no mutate end
    def handle_command(self, command: dict[str, Any]) -> dict[str, Any]:
        """One control-channel command (see :mod:`seqlab.training.control`)."""
        cmd = command.get("cmd")
        if cmd == "stop":
            self.cancel.set()
            self.paused.clear()
            return {"ok": True}
        if cmd == "pause":
            self.paused.set()
            return {"ok": True}
        if cmd == "resume":
            self.paused.clear()
            return {"ok": True}
        if cmd == "probe":
            sample = command.get("sample")
            if not isinstance(sample, int) or isinstance(sample, bool) or sample < 0:
                return {"ok": False, "error": "probe needs \"sample\": a whole number >= 0"}
            self.watch_sample = sample
            return {"ok": True, "sample": sample}
        if cmd == "status":
            state = dict(self.recorder.state) if self.recorder is not None else {}
            return {"ok": True, "state": fileio.json_safe(state)}
        return {"ok": False, "error": f"unknown command {cmd!r}: use stop, pause, resume, "
                                       "probe or status"}

    def _wait_while_paused(self) -> float:
        """Block between batches while paused; returns the seconds spent paused."""
        t = time.perf_counter()
        if self.recorder is not None:
            self.recorder.write_state(status="paused")
        while self.paused.is_set() and not self.cancel.wait(0.05):
            pass
        if self.recorder is not None and not self.cancel.is_set():
            self.recorder.write_state(status="running")
        return time.perf_counter() - t

    # pragma: no mutate start (not mutation-tested, see docs/mutation.md)
    def _save_last(self, path: Path, opt: torch.optim.Optimizer, gen: torch.Generator,
                   loop: dict[str, Any]) -> None:
        """What ``--resume`` needs, at the end of an epoch: weights, optimizer, counters,
        early-stopping state and every random state the loop draws from."""
        import io

        assert self.model is not None
        np_state = np.random.get_state()
        rng: dict[str, Any] = {
            "torch": torch.get_rng_state(),
            "gen": gen.get_state(),
            "numpy_keys": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
            "numpy_pos": int(np_state[2]),
            "numpy_gauss": [int(np_state[3]), float(np_state[4])],
        }
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        payload = {
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "optimizer": opt.state_dict(),
            "rng": rng,
            "history": fileio.json_safe(self.history),
            **loop,
        }
        buf = io.BytesIO()
        torch.save(payload, buf)
        fileio.atomic_write_bytes(path, buf.getvalue())

    def _load_last(self, run_dir: Path, opt: torch.optim.Optimizer,
                   gen: torch.Generator) -> dict[str, Any]:
        from seqlab.errors import SeqlabError
        from seqlab.training import record

        path = run_dir / record.LAST_FILE
        if not path.is_file():
            raise SeqlabError(f"{run_dir} has no {record.LAST_FILE}: it did not complete an "
                              "epoch, or was made by a seqlab without --resume; start it again.")
        try:
            payload = safe_torch_load(path)
            assert self.model is not None
            self.model.load_state_dict(payload["model"])
            opt.load_state_dict(payload["optimizer"])
            rng = payload["rng"]
            torch.set_rng_state(rng["torch"])
            gen.set_state(rng["gen"])
            np.random.set_state(("MT19937", rng["numpy_keys"].numpy().astype(np.uint32),
                                 int(rng["numpy_pos"]), int(rng["numpy_gauss"][0]),
                                 float(rng["numpy_gauss"][1])))
            if "cuda" in rng and self.device.type == "cuda":
                torch.cuda.set_rng_state(rng["cuda"], self.device)
            best_state = None
            best_path = run_dir / record.BEST_FILE
            # a best epoch has been kept when its loss is finite (epoch 0 counts: see
            # _start_is_a_forecast); its weights are in model.pt
            if math.isfinite(float(payload["best_loss"])) and best_path.is_file():
                best = safe_torch_load(best_path)
                best_state = {k: v.to(self.device) for k, v in best["state_dict"].items()}
        except SeqlabError:
            raise
        except Exception as exc:  # noqa: BLE001 - damaged or from another model
            raise SeqlabError(f"cannot resume from {path}: {type(exc).__name__}: "
                              f"{str(exc)[:120]}") from None
        self.history = list(payload.get("history") or [])
        return {
            "epoch": int(payload["epoch"]),
            "best_loss": float(payload["best_loss"]),
            "best_epoch": int(payload["best_epoch"]),
            "bad_epochs": int(payload["bad_epochs"]),
            "global_step": int(payload["global_step"]),
            "seconds": float(payload["seconds"]),
            "best_state": best_state,
        }

    def run(self) -> RunEnd:
        cfg = self.cfg
        t0 = time.perf_counter()
        size_threads(cfg.train.threads)
        self.device = resolve_device(cfg.train.device)
        torch.manual_seed(cfg.train.seed)
        np.random.seed(cfg.train.seed % (2**32))
        gen = torch.Generator().manual_seed(cfg.train.seed)
        n_train = self._setup()
        model = self.model
        assert model is not None
        params = count_params(model)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.train.lr)

        run_dir = self._run_dir
        if self.write_files and run_dir is None:
            run_dir = runs.new_run_dir(cfg.train.runs_dir, cfg.model.cell, self._data_name())
        self.run_dir = run_dir
        if hasattr(cfg, "versions"):
            cfg.versions = runtime_versions()  # beside the data hash: what produced the run
        resumed: dict[str, Any] = {}
        if self.resume:
            if run_dir is None:
                from seqlab.errors import SeqlabError

                raise SeqlabError("resuming needs the run's directory.")
            resumed = self._load_last(run_dir, opt, gen)
        if run_dir is not None and self.write_files:
            run_dir.mkdir(parents=True, exist_ok=True)
            fileio.atomic_write_text(run_dir / "config.toml", cfg.to_toml())
            self._open_record(run_dir)
        try:
            return self._run_loop(n_train, params, opt, gen, run_dir, resumed, t0)
        finally:
            self._close_record()

    # pragma: no mutate end
    def _run_loop(self, n_train: int, params: int, opt: torch.optim.Optimizer,
                  gen: torch.Generator, run_dir: Path | None, resumed: dict[str, Any],
                  t0: float) -> RunEnd:
        cfg = self.cfg
        model = self.model
        assert model is not None
        # CUDA memory reporting: outside the mutation-checked baseline, early-stopping and
        # cancellation code (see docs/mutation.md); the mutants run on a CPU-only machine
        if self.device.type == "cuda":  # pragma: no mutate
            from seqlab.training.gpu import DeviceStats

            self.device_stats = DeviceStats.for_device(self.device)  # pragma: no mutate

        bs = cfg.train.batch_size
        steps_per_epoch = max(1, math.ceil(n_train / bs))
        started = {
            "run_dir": str(run_dir or ""),
            "device": str(self.device),
            "params": params,
            "epochs": cfg.train.epochs,
            "steps_per_epoch": steps_per_epoch,
            "config": fileio.json_safe(cfg.to_dict()),
            "kind": self.kind,
            "resumed_epoch": int(resumed.get("epoch", 0)),
        }
        started.update(self._started())
        self._emit(RunStarted(**started))

        best_loss = float(resumed.get("best_loss", math.inf))
        best_epoch = int(resumed.get("best_epoch", 0))
        best_state: dict[str, torch.Tensor] | None = resumed.get("best_state")
        bad_epochs = int(resumed.get("bad_epochs", 0))
        status, reason = "finished", ""
        first_epoch = int(resumed.get("epoch", 0)) + 1
        epoch = first_epoch - 1
        completed = epoch  # the last epoch whose training and validation finished
        global_step = int(resumed.get("global_step", 0))
        self._seconds_before = float(resumed.get("seconds", 0.0))
        last_emit = 0.0
        samples_seen = 0
        train_start = time.perf_counter()
        last_probe: ProbeSnapshot | None = None
        start_loss = math.nan  # validation loss of the untrained model, when it is a forecast

        try:
            if first_epoch == 1 and self._start_is_a_forecast():
                # Early stopping keeps the checkpoint with the lowest validation loss; the
                # starting weights are a checkpoint too when they already forecast (a
                # differenced model starts as persistence). Training that never beats them on
                # validation then keeps them, instead of the least bad of its own epochs.
                start_loss, _ = self._validate(0)
                if math.isfinite(start_loss):
                    best_loss, best_epoch = start_loss, 0
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    if run_dir is not None and self.write_files:
                        self._save_checkpoint(run_dir / "model.pt")
            for epoch in range(first_epoch, cfg.train.epochs + 1):
                model.train()
                perm = torch.randperm(n_train, generator=gen)
                total = 0.0
                count = 0
                for step in range(steps_per_epoch):
                    if self.paused.is_set():
                        train_start += self._wait_while_paused()  # paused time is not pace
                    if self.cancel.is_set():
                        status = "stopped"
                        # a cancel event may say why (a sweep prunes a trial): else the user
                        reason = (getattr(self.cancel, "reason", "")
                                  or f"stopped by the user during epoch {epoch}")
                        break
                    idx = perm[step * bs : (step + 1) * bs]
                    xb, yb = self._batch(idx)
                    opt.zero_grad(set_to_none=True)
                    loss = self._loss(model(xb), yb)
                    loss.backward()
                    if cfg.train.clip > 0:
                        nn.utils.clip_grad_norm_(model.parameters(), cfg.train.clip)
                    opt.step()
                    value = loss.item()
                    if not math.isfinite(value):
                        status = "diverged"
                        reason = (
                            f"training loss became {value} at epoch {epoch}, step {step + 1}: "
                            "try a lower --lr or a --clip value"
                        )
                        break
                    n_b = int(idx.shape[0])
                    total += value * n_b
                    count += n_b
                    samples_seen += n_b
                    global_step += 1
                    now = time.perf_counter()
                    if now - last_emit >= 1.0 / STEP_EVENTS_PER_S:
                        last_emit = now
                        self._emit(
                            StepEnd(
                                epoch=epoch,
                                step=step + 1,
                                steps_per_epoch=steps_per_epoch,
                                global_step=global_step,
                                loss=value,
                                samples_per_s=samples_seen / max(now - train_start, 1e-9),
                                device_stats=self._device_stats(),
                            )
                        )
                if status != "finished" or count == 0:
                    if status == "finished":
                        status = "stopped"
                    epoch -= 1  # the interrupted epoch did not complete
                    break

                train_loss = total / count
                val_loss, val_metrics = self._validate(epoch)
                if not math.isfinite(val_loss):
                    status = "diverged"
                    reason = f"validation loss became {val_loss} at epoch {epoch}: try a lower --lr"
                    break
                improved = val_loss < best_loss
                if improved:
                    best_loss, best_epoch, bad_epochs = val_loss, epoch, 0
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    if run_dir is not None and self.write_files:
                        # the best so far survives a kill -9, a reboot or a full disk later
                        self._save_checkpoint(run_dir / "model.pt")
                else:
                    bad_epochs += 1
                elapsed = time.perf_counter() - t0 + self._seconds_before
                per_epoch = (time.perf_counter() - train_start) / (epoch - first_epoch + 1)
                self.history.append(
                    {
                        "epoch": epoch,
                        "train_loss": train_loss,
                        "val_loss": val_loss,
                        "val": val_metrics,
                        "best": improved,
                        "seconds": elapsed,
                    }
                )
                completed = epoch
                if run_dir is not None:
                    runs.write_jsonl(run_dir / "metrics.jsonl", self.history)
                self._emit(
                    EpochEnd(
                        epoch=epoch,
                        epochs=cfg.train.epochs,
                        train_loss=train_loss,
                        val_loss=val_loss,
                        val=val_metrics,
                        best=improved,
                        seconds=elapsed,
                        samples_per_s=samples_seen / max(time.perf_counter() - train_start, 1e-9),
                        eta_s=per_epoch * (cfg.train.epochs - epoch),
                        device_stats=self._device_stats(),
                    )
                )
                self._after_epoch(epoch)
                if cfg.train.probe_every and epoch % cfg.train.probe_every == 0:
                    last_probe = self._probe(epoch)
                    if last_probe is not None:
                        self._emit(last_probe)
                if run_dir is not None and self.write_files:
                    self._save_last(run_dir / "last.pt", opt, gen, {
                        "epoch": epoch, "best_loss": best_loss, "best_epoch": best_epoch,
                        "bad_epochs": bad_epochs, "global_step": global_step,
                        "seconds": elapsed,
                    })
                if cfg.train.patience and bad_epochs >= cfg.train.patience:
                    reason = (
                        f"early stop: no validation improvement for {plural(cfg.train.patience, 'epoch')}"
                    )
                    break
        except OSError as exc:  # a full disk, a runs dir made read-only: say what and where
            status, reason = "failed", write_failure(exc)
        except Exception as exc:  # a failure inside training: keep what we have, say why
            status, reason = "failed", f"{type(exc).__name__}: {exc}"
        if status == "failed":  # an epoch cut short by the failure did not complete (as a stop)
            epoch = completed

        if best_state is not None:
            model.load_state_dict(best_state)  # early stopping / divergence keep the best weights
        if not reason and status == "finished":
            reason = f"trained {plural(epoch, 'epoch')}"
        if best_state is not None and status != "failed":
            tail = (f"; best epoch {best_epoch} restored" if best_epoch > 0 else
                    f"; no epoch beat the starting point ({self._start_words()}) on "
                    "validation, so it is kept")
            reason = reason + tail if reason else tail.lstrip("; ")
        summary: dict[str, Any] = {
            "status": status,
            "reason": reason,
            "kind": self.kind,
            "run_dir": str(run_dir or ""),
            "params": params,
            "epochs": epoch,
            "best_epoch": best_epoch,
            "device": str(self.device),
        }
        if math.isfinite(start_loss):
            summary["start_val_loss"] = start_loss
        failure = ""  # the first file of the run's end that could not be written

        def attempt(write: Callable[[], Any]) -> None:
            nonlocal failure
            try:
                write()
            except OSError as exc:
                failure = failure or write_failure(exc)

        attempt(lambda: summary.update(self._summary(status, epoch)))
        summary["seconds"] = time.perf_counter() - t0 + self._seconds_before
        # a run that diverged before any validation loss was finite has no weights worth
        # keeping: the ones it has would forecast NaN (a differenced run still has its start)
        diverged_bare = status == "diverged" and best_state is None
        if diverged_bare:
            reason += "; no weights were kept (no epoch had a finite validation loss)"
            summary["reason"] = reason
        if run_dir is not None and epoch > 0 and status != "failed" and not diverged_bare:
            attempt(lambda: self._save_checkpoint(run_dir / "model.pt"))
        if failure:  # what was written before stays; the run says why it failed
            status, reason = "failed", failure
            summary.update(status=status, reason=reason)
        if run_dir is not None:
            attempt(lambda: runs.write_json(run_dir / "summary.json", summary))
        if best_state is not None and status != "failed" and cfg.train.probe_every:
            best_probe = self._probe(best_epoch)
            if best_probe is not None:  # front ends show the restored weights, not the last
                last_probe = best_probe
                self._emit(best_probe)
        if run_dir is not None and last_probe is not None:
            attempt(lambda: fileio.atomic_write_text(run_dir / "probe.json",
                                                   dumps(last_probe) + "\n"))
        if failure and status != "failed":
            status, reason = "failed", failure
            summary.update(status=status, reason=reason)
        end = RunEnd(
            status=status,
            reason=reason,
            run_dir=str(run_dir or ""),
            epochs=epoch,
            best_epoch=best_epoch,
            seconds=time.perf_counter() - t0 + self._seconds_before,
            summary=fileio.json_safe(summary),
        )
        self._emit(end)
        return end

    # pragma: no mutate start (not mutation-tested, see docs/mutation.md)
    def _device_stats(self) -> dict[str, float]:
        return self.device_stats.sample() if self.device_stats is not None else {}

    def _after_epoch(self, epoch: int) -> None:
        """Extra per-epoch events (the series task sends its validation predictions)."""

    def _save_checkpoint(self, path: Path) -> None:
        import io

        assert self.model is not None
        state = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
        payload = {
            "state_dict": state,
            "config": fileio.json_safe(self.cfg.to_dict()),
            "kind": self.kind,
            **self._checkpoint_extra(),
        }
        buf = io.BytesIO()
        torch.save(payload, buf)
        fileio.atomic_write_bytes(path, buf.getvalue())


class Trainer(BaseTrainer):
    """One time-series run: windows from :func:`seqlab.data.prepare`, MSE on the horizon."""

    kind = "series"

    def __init__(
        self,
        cfg: RunConfig,
        prepared: Prepared | None = None,
        callback: Callback | None = None,
        cancel: threading.Event | None = None,
        run_dir: str | os.PathLike[str] | None = None,
        write_files: bool = True,
    ) -> None:
        super().__init__(cfg, callback, cancel, run_dir, write_files)
        self.prepared = prepared
        self._val_pred: np.ndarray | None = None

    # pragma: no mutate end
    def _setup(self) -> int:
        cfg = self.cfg
        if self.prepared is None:
            self.prepared = prepare(cfg.data)
        prep = self.prepared
        if cfg.data.path and Path(cfg.data.path).is_file():
            # stored absolute: the run's config.toml re-runs from any working directory
            cfg.data.path = str(Path(cfg.data.path).resolve())
            if cfg.data.sha256 is None:
                cfg.data.sha256 = file_sha256(cfg.data.path)
        from seqlab.models.info import estimate_params
        from seqlab.training.resources import check_memory, memory_estimate

        check_memory(memory_estimate(cfg.model, estimate_params(cfg.model, prep.n_features,
                                                                prep.horizon),
                                     prep.n_features, cfg.train.batch_size, prep.window),
                     str(self.device))
        # a differenced model starts as the persistence forecast (see initial_model)
        self.model = initial_model(prep.n_features, prep.horizon, cfg.model,
                                   persistence_start=prep.difference).to(self.device)
        # windows as strided tensors sharing memory with the scaled array: (N, T, F)
        # the scaled series goes to the device once; batches are gathered there
        scaled = np.ascontiguousarray(prep.scaled_x)
        base = torch.from_numpy(scaled).to(self.device)
        self._x = {
            s.name: window_tensor(s.X, scaled, base) for s in (prep.train, prep.val, prep.test)
        }
        self._y_train = torch.from_numpy(np.array(prep.train.y, dtype=np.float32)).to(self.device)
        scale = prep.mase_scale
        self._base_val = regression_metrics(prep.val.y_true, prep.baseline(prep.val), scale)
        self._base_test = regression_metrics(prep.test.y_true, prep.baseline(prep.test), scale)
        self._snaive = {
            s.name: regression_metrics(s.y_true, prep.seasonal_naive(s), scale)
            for s in (prep.val, prep.test)
        }
        self._halfwidths: dict[str, np.ndarray] = {}
        return int(prep.train.X.shape[0])

    # pragma: no mutate start (not mutation-tested, see docs/mutation.md)
    def _batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # windows are gathered per batch from the strided view: (B, T, F)
        idx = idx.to(self.device, non_blocking=True)
        return self._x["train"][idx], self._y_train[idx]

    def _started(self) -> dict[str, Any]:
        assert self.prepared is not None
        return {
            "shapes": self.prepared.shapes(),
            "baseline_val": self._base_val,
            "baseline_test": self._base_test,
            "snaive_val": self._snaive["val"],
            "snaive_test": self._snaive["test"],
        }

    def _start_is_a_forecast(self) -> bool:
        # the head starts at zero on changes (see _setup): the persistence forecast
        return bool(self.prepared is not None and self.prepared.difference)

    def _start_words(self) -> str:
        return "the persistence forecast"

    def _validate(self, epoch: int) -> tuple[float, dict[str, float]]:
        loss, metrics, self._val_pred = self._evaluate(self.prepared.val)  # type: ignore[union-attr]
        return loss, metrics

    def _after_epoch(self, epoch: int) -> None:
        if self._val_pred is not None:
            self._emit(self._predictions_event(epoch, self.prepared.val, self._val_pred))  # type: ignore[union-attr]

    # pragma: no mutate end
    def _predict(self, split: Split) -> np.ndarray:
        """Model-space predictions (N, H) for a whole split, in eval mode."""
        assert self.model is not None and self.prepared is not None
        n = split.X.shape[0]
        out = np.empty((n, self.prepared.horizon), dtype=np.float32)
        bs = max(256, self.cfg.train.batch_size)
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            for start in range(0, n, bs):
                xb = self._x[split.name][start : start + bs]
                out[start : start + bs] = self.model(xb).float().cpu().numpy()
        self.model.train(was_training)
        return out

    # pragma: no mutate start (not mutation-tested, see docs/mutation.md)
    def _evaluate(self, split: Split) -> tuple[float, dict[str, float], np.ndarray]:
        pred = self._predict(split)
        loss = float(np.mean((pred.astype(np.float64) - split.y.astype(np.float64)) ** 2))
        original = self.prepared.to_original(split, pred)  # type: ignore[union-attr]
        scale = self.prepared.mase_scale  # type: ignore[union-attr]
        return loss, regression_metrics(split.y_true, original, scale), original

    def _probe(self, epoch: int) -> ProbeSnapshot | None:
        prep = self.prepared
        assert prep is not None and self.model is not None
        split = prep.val
        if split.X.shape[0] == 0:
            return None
        k = int(min(max(self.watch_sample, 0), split.X.shape[0] - 1))
        x = self._x["val"][k : k + 1]
        y = torch.from_numpy(np.array(split.y[k : k + 1], dtype=np.float32)).to(self.device)
        result = probe(self.model, x, y, nn.functional.mse_loss)
        return snapshot(epoch, "val", k, prep.input_labels(split, k), result)

    def _summary(self, status: str, epochs: int) -> dict[str, Any]:
        prep = self.prepared
        assert prep is not None
        summary: dict[str, Any] = {
            "shapes": prep.shapes(),
            "target": prep.target_name,
            "features": list(prep.feature_names),
            "difference": prep.difference,
            "difference_reason": prep.difference_reason,
            "differenced_inputs": list(prep.differenced_inputs),
            "season": prep.season,
            "season_reason": prep.season_reason,
            "mase_scale": prep.mase_scale,
            "baseline_val": self._base_val,
            "baseline_test": self._base_test,
            "snaive_val": self._snaive["val"],
            "snaive_test": self._snaive["test"],
            "val": {},
            "test": {},
        }
        rows: list[tuple[Any, ...]] = []
        if status != "failed" and epochs > 0:
            forecasts = {s.name: prep.to_original(s, self._predict(s))
                         for s in (prep.train, prep.val, prep.test)}
            # split-conformal intervals: half-widths from the validation residuals, per step
            self._halfwidths = conformal_halfwidths(prep.val.y_true, forecasts["val"])
            summary.update(forecast_report(prep, forecasts, self._halfwidths))
            self._emit(self._predictions_event(epochs, prep.test, forecasts["test"]))
            for split in (prep.train, prep.val, prep.test):
                rows.extend(self._prediction_rows(split, forecasts[split.name]))
        if self.run_dir is not None and rows:
            header = list(runs.PREDICTION_COLUMNS) + ["snaive"] + [
                f"{side}{level_key(lv)}" for lv in LEVELS for side in ("lo", "hi")]
            if prep.series_names:
                header.append("series")
            fileio.atomic_write_text(self.run_dir / "predictions.csv",
                                   runs.predictions_csv(rows, header))
        return summary

    # pragma: no mutate end
    def _predictions_event(self, epoch: int, split: Split, original: np.ndarray) -> Predictions:
        prep = self.prepared
        assert prep is not None
        bands: dict[str, np.ndarray] = {}
        if split.name == "test" and self._halfwidths:
            for key, q in self._halfwidths.items():
                bands[f"lo{key}"] = np.asarray(original[:, 0] - q[0], dtype=np.float64)
                bands[f"hi{key}"] = np.asarray(original[:, 0] + q[0], dtype=np.float64)
        return Predictions(
            epoch=epoch,
            split=split.name,
            labels=prep.target_labels(split),
            actual=np.asarray(split.y_true[:, 0], dtype=np.float64),
            predicted=np.asarray(original[:, 0], dtype=np.float64),
            baseline=np.asarray(prep.baseline(split)[:, 0], dtype=np.float64),
            bands=bands,
        )

    def _prediction_rows(self, split: Split, original: np.ndarray) -> list[tuple[Any, ...]]:
        prep = self.prepared
        assert prep is not None
        labels = prep.time_labels
        base = prep.baseline(split)
        snaive = prep.seasonal_naive(split)
        widths = self._halfwidths
        out = []
        for i, start in enumerate(split.starts):
            for h in range(prep.horizon):
                row = int(start) + prep.window + h
                label = labels[row] if row < len(labels) else str(row)
                p = float(original[i, h])
                band: list[float] = []
                for lv in LEVELS:
                    q = float(widths[level_key(lv)][h]) if widths else math.nan
                    band += [p - q, p + q]
                extra: tuple[Any, ...] = ()
                if prep.series_names and split.series is not None:
                    extra = (prep.series_names[int(split.series[i])],)
                out.append((label, split.name, h + 1, float(split.y_true[i, h]), p,
                            float(base[i, h]), float(snaive[i, h]), *band, *extra))
        return out

    # pragma: no mutate start (not mutation-tested, see docs/mutation.md)
    def _checkpoint_extra(self) -> dict[str, Any]:
        prep = self.prepared
        assert prep is not None
        return {
            "meta": {
                "n_features": prep.n_features,
                "horizon": prep.horizon,
                "window": prep.window,
                "features": list(prep.feature_names),
                "target": prep.target_name,
            }
        }


def write_failure(exc: OSError) -> str:
    """What could not be written, where and why, in one line (a full disk, a read-only or
    vanished runs dir)."""
    where = exc.filename or "a file of the run"
    why = exc.strerror or str(exc)
    fix = {errno.ENOSPC: "free some space", errno.EDQUOT: "free some space",
           errno.EROFS: "make the runs dir writable", errno.EACCES: "make the runs dir writable",
           errno.EPERM: "make the runs dir writable"}.get(exc.errno or 0, "check the runs dir")
    return (f"could not write {where}: {why}; {fix} and re-run (what was written before is "
            "kept)")


def keep_state_in_place(recorder: Any) -> None:
    """Rewrite state.json in place with the run's last state (its final status) when the
    atomic write was refused: a full disk has no room for a temporary copy, but truncating
    the old file frees its own blocks; a read-only folder refuses new files, not rewrites."""
    from seqlab.training import record

    recorder.state["updated"] = time.time()
    with contextlib.suppress(OSError), open(recorder.run_dir / record.STATE_FILE, "w",
                                            encoding="utf-8") as fh:
        fh.write(json.dumps(fileio.json_safe(recorder.state), indent=1) + "\n")


def forecast_report(prep: Prepared, forecasts: dict[str, np.ndarray],
                    halfwidths: dict[str, np.ndarray]) -> dict[str, Any]:
    """Model metrics on val and test (overall, per horizon step, per series), the interval
    half-widths and their empirical test coverage beside the nominal level."""
    scale = prep.mase_scale
    out: dict[str, Any] = {}
    for split in (prep.val, prep.test):
        pred = forecasts[split.name]
        out[split.name] = regression_metrics(split.y_true, pred, scale)
        if prep.horizon > 1:
            out[f"{split.name}_by_step"] = metrics_by_step(split.y_true, pred, scale)
        if prep.series_names and split.series is not None and len(split):
            per: dict[str, Any] = {}
            for i, name in enumerate(prep.series_names):
                rows = split.series == i
                if rows.any():
                    per[name] = {
                        "model": regression_metrics(split.y_true[rows], pred[rows], scale),
                        "persistence": regression_metrics(
                            split.y_true[rows], prep.baseline(split)[rows], scale),
                        "seasonal_naive": regression_metrics(
                            split.y_true[rows], prep.seasonal_naive(split)[rows], scale),
                    }
            out[f"{split.name}_by_series"] = per
    test = prep.test
    out["intervals"] = {
        key: {
            "nominal": float(key) / 100.0,
            "halfwidth": [float(v) for v in q],
            "coverage_test": coverage(test.y_true, forecasts["test"], q),
            "calibration_windows": len(prep.val),
        }
        for key, q in halfwidths.items()
    }
    return out


def snapshot(epoch: int, split: str, k: int, labels: list[str], result: Any, **extra: Any) -> ProbeSnapshot:
    """A ProbeSnapshot of sample 0 of a probe result."""
    input_grads = getattr(result, "input_grads", None)
    if input_grads is not None and "input_grad" not in extra:
        extra["input_grad"] = np.asarray(input_grads[0], dtype=np.float32)
    return ProbeSnapshot(
        epoch=epoch,
        split=split,
        sample=k,
        labels=labels,
        states={key: np.asarray(v[0], dtype=np.float32) for key, v in result.states.items()},
        grads={key: np.asarray(v[0], dtype=np.float32) for key, v in result.grads.items()},
        loss=float(result.loss),
        max_abs_error=float(result.max_abs_error),
        **extra,
    )


SAFE_TORCH = (2, 6, 0)  # weights_only=True can be bypassed up to 2.5.1 (CVE-2025-32434)


def torch_version(text: str | None = None) -> tuple[int, int, int]:
    import re

    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", str(text if text is not None else torch.__version__))
    if m is None:
        return (0, 0, 0)
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def safe_torch_load(path: str | os.PathLike[str]) -> Any:
    """``torch.load(weights_only=True)``, refused on a torch where that is not safe."""
    from seqlab.errors import SeqlabError

    if torch_version() < SAFE_TORCH:
        raise SeqlabError(f"refusing to load {path}: with torch {torch.__version__} a crafted "
                          "checkpoint can run code even with weights_only=True (CVE-2025-32434); "
                          "install torch 2.6 or newer (pip install -U torch).")
    return torch.load(path, map_location="cpu", weights_only=True)


def load_payload(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``torch.load(weights_only=True)`` of a checkpoint, refused on a torch where that is not
    safe; a damaged or foreign file is a :class:`SeqlabError`."""
    from seqlab.errors import SeqlabError

    try:
        payload = safe_torch_load(path)
    except SeqlabError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file
        raise SeqlabError(f"cannot read {path}: {type(exc).__name__}; is it a seqlab "
                          "checkpoint? Re-run the run to write it again.") from None
    if not isinstance(payload, dict) or not {"state_dict", "config"} <= set(payload):
        raise SeqlabError(f"{path} is not a seqlab checkpoint (no state_dict and config).")
    return payload


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[nn.Module, RunConfig, dict[str, Any]]:
    """Rebuild a model from ``model.pt`` (loaded with ``weights_only=True``)."""
    payload = load_payload(path)
    cfg = RunConfig.from_dict(payload["config"])
    meta = payload["meta"]
    model = build_model(int(meta["n_features"]), int(meta["horizon"]), cfg.model)
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model, cfg, meta
# pragma: no mutate end
