"""The training child process: ``python -m seqlab.training.worker CONFIG.toml [--run-dir DIR]``.

It runs one run with the same engine as ``seqlab train`` and speaks JSON lines:

* stdout: one event per line (``seqlab.training.events.dumps``), flushed as it happens;
* stdin: ``stop`` ends the run after the current batch (saved with status ``stopped``),
  ``probe N`` watches validation sample N from the next snapshot on. End of stdin (the parent
  went away) stops the run too.

A front end never waits on torch: it reads these lines in an async task. Diagnostics go to
stderr, which the parent sends to a file or a pipe, never to the terminal it draws on.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
from typing import TextIO

from seqlab.errors import SeqlabError


def _listen(stdin: TextIO, cancel: threading.Event, trainer_ref: list) -> None:
    for raw in stdin:
        line = raw.strip()
        if line == "stop":
            cancel.set()
        elif line.startswith("probe "):
            try:
                sample = int(line.split()[1])
            except (IndexError, ValueError):
                continue
            if trainer_ref:
                trainer_ref[0].watch_sample = sample
    cancel.set()  # stdin closed: the parent is gone or wants us to stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqlab.training.worker")
    parser.add_argument("config", help="run config (TOML)")
    parser.add_argument("--run-dir", default=None, help="directory for this run's files")
    parser.add_argument("--text", action="store_true", help="the config is a text-mode run")
    args = parser.parse_args(argv)

    out = sys.stdout
    lock = threading.Lock()
    cancel = threading.Event()
    parent_gone = threading.Event()

    def emit(event: object) -> None:
        from seqlab.training.events import dumps

        if parent_gone.is_set():
            return
        line = dumps(event)  # type: ignore[arg-type]
        with lock:
            try:
                out.write(line + "\n")
                out.flush()
            except (BrokenPipeError, OSError):
                # the front end is gone (terminal closed, SSH dropped): stop after this batch
                # and still write the run's files, so it is kept as 'stopped'
                parent_gone.set()
                cancel.set()

    def on_signal(signum: int, frame: object) -> None:
        cancel.set()  # hang-up or terminate: end the run cleanly after the current batch

    for name in ("SIGHUP", "SIGTERM", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), on_signal)

    trainer_ref: list = []
    listener = threading.Thread(target=_listen, args=(sys.stdin, cancel, trainer_ref), daemon=True)
    listener.start()
    try:
        if args.text:
            from seqlab.training.text_trainer import TextRunConfig, TextTrainer

            text_cfg = TextRunConfig.load(args.config)
            trainer: object = TextTrainer(text_cfg, callback=emit, cancel=cancel, run_dir=args.run_dir)
        else:
            from seqlab.config import RunConfig
            from seqlab.training.trainer import Trainer

            cfg = RunConfig.load(args.config)
            trainer = Trainer(cfg, callback=emit, cancel=cancel, run_dir=args.run_dir)
        trainer_ref.append(trainer)
        end = trainer.run()  # type: ignore[attr-defined]
    except SeqlabError as exc:
        _fail(emit, str(exc), args.run_dir)
        return 2
    except Exception as exc:  # noqa: BLE001 - reported to the parent as a failed run
        traceback.print_exc(file=sys.stderr)
        _fail(emit, f"internal error: {type(exc).__name__}: {exc}", args.run_dir)
        return 1
    return 0 if end.status in ("finished", "stopped") else 1


def _fail(emit, reason: str, run_dir: str | None) -> None:  # type: ignore[no-untyped-def]
    from seqlab.training.events import RunEnd

    emit(
        RunEnd(
            status="failed",
            reason=reason,
            run_dir=run_dir or "",
            epochs=0,
            best_epoch=0,
            seconds=0.0,
            summary={"status": "failed", "reason": reason},
        )
    )


if __name__ == "__main__":
    raise SystemExit(main())
