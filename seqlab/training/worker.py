"""The training child process: ``python -m seqlab.training.worker CONFIG.toml [--run-dir DIR]
[--text] [--detached] [--resume]``.

It runs one run with the same engine as ``seqlab train``. Like every run that writes files it
records its events in ``events.jsonl`` and its state in ``state.json`` and listens on the
control channel of its run directory (:mod:`seqlab.training.record`,
:mod:`seqlab.training.control`). Started by a front end with pipes it also speaks JSON lines:

* stdout: one event per line (``seqlab.training.events.dumps``), flushed as it happens;
* stdin: commands of the control grammar (``{"cmd": "stop"}``, ``{"cmd": "probe", "sample":
  3}``, pause / resume) or the older words ``stop`` / ``probe N``; nothing is answered there.
  End of stdin (the parent went away) stops the run too.

``--detached`` (what :func:`seqlab.training.record.start_detached` passes): the run belongs to
no front end; stdin is not read, events go to events.jsonl only (not to stdout, which is the
log file), and a hang-up signal is ignored. ``--resume`` continues the run in ``--run-dir``
from its last.pt.

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
    from seqlab.training.control import ControlError, parse_command

    for raw in stdin:
        if not raw.strip():
            continue
        try:
            command = parse_command(raw)
        except ControlError as exc:
            sys.stderr.write(f"seqlab worker: {exc}\n")
            continue
        if command.get("cmd") == "stop":
            cancel.set()
        if trainer_ref:
            reply = trainer_ref[0].handle_command(command)
            if not reply.get("ok"):
                sys.stderr.write(f"seqlab worker: {reply.get('error')}\n")
        elif command.get("cmd") == "probe" and isinstance(command.get("sample"), int):
            pending_probe[:] = [command["sample"]]
    cancel.set()  # stdin closed: the parent is gone or wants us to stop


pending_probe: list[int] = []  # a probe asked for before the trainer existed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqlab.training.worker")
    parser.add_argument("config", help="run config (TOML)")
    parser.add_argument("--run-dir", default=None, help="directory for this run's files")
    parser.add_argument("--text", action="store_true", help="the config is a text-mode run")
    parser.add_argument("--detached", action="store_true",
                        help="no front end: no stdin, events to the run directory only")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --run-dir from its last.pt")
    args = parser.parse_args(argv)
    if args.resume and not args.run_dir:
        parser.error("--resume needs --run-dir")

    out = sys.stdout
    lock = threading.Lock()
    cancel = threading.Event()
    parent_gone = threading.Event()

    def emit(event: object) -> None:
        from seqlab.training.events import dumps

        if parent_gone.is_set() or args.detached:
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
    if args.detached and hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal is not a stop

    trainer_ref: list = []
    if not args.detached:
        listener = threading.Thread(target=_listen, args=(sys.stdin, cancel, trainer_ref),
                                    daemon=True)
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
        trainer.resume = args.resume  # type: ignore[attr-defined]
        if pending_probe:
            trainer.watch_sample = pending_probe[-1]  # type: ignore[attr-defined]
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

    if run_dir:
        from seqlab.training.record import record_failure

        record_failure(run_dir, reason)  # unless the trainer already wrote its own end

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
