"""A trained language model behind JSON lines: ``python -m seqlab.training.lm_service RUN_DIR``.

The TUI never imports torch; to look inside a trained text model it starts this child process
and writes one JSON command per line on its stdin:

* ``{"cmd": "probe", "text": "나는 밥을 많이 먹었다."}`` -> one ProbeSnapshot line (events JSON:
  per-token states, gates, gradients, and the top-5 next tokens at each position);
* ``{"cmd": "generate", "prompt": "...", "tokens": 50, "temperature": 0.8, "top_k": 0,
  "seed": 0}`` -> ``{"type": "Token", "token": ..., "display": ...}`` lines as they are sampled,
  then ``{"type": "GenerateEnd", "text": ...}``;
* ``{"cmd": "neighbours", "token": "밥을", "k": 8}`` -> ``{"type": "Neighbours", "token": ...,
  "items": [[token, cosine], ...]}``;
* ``{"cmd": "info"}`` -> ``{"type": "Info", "vocab_size": ..., "tokenizer": ..., ...}``.

* ``{"cmd": "stop"}`` -> ``{"ok": true}``, then the service exits (as at end of stdin).

This is the control grammar of :mod:`seqlab.training.control`: every answer line carries
``"ok"``; the Token lines of ``generate`` carry ``"more": true`` too. Bad input answers
``{"ok": false, "error": one line}`` (also as ``"type": "Error", "message"`` for older front
ends) and the service keeps running. The first line it prints is the Info object (or an error
if the run cannot be loaded). Use :class:`seqlab.training.control.ControlClient` to talk to it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from seqlab.errors import SeqlabError


def _out(stream: TextIO, obj: dict[str, Any]) -> None:
    if "ok" not in obj:
        obj = {"ok": obj.get("type") != "Error", **obj}
    stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
    stream.flush()


def out_event(stream: TextIO, event: Any) -> None:
    """An event (a ProbeSnapshot) as an answer line of the control grammar."""
    from seqlab.training.events import to_json

    stream.write(json.dumps({"ok": True, **to_json(event)}, separators=(",", ":"),
                            allow_nan=False) + "\n")
    stream.flush()


def handle(lm: Any, command: dict[str, Any], out: TextIO) -> None:
    """Answer one command on ``out``."""
    from seqlab.text import display_token
    from seqlab.training.text_trainer import generate, generated_text, neighbours, probe_text

    cmd = command.get("cmd")
    if cmd == "probe":
        out_event(out, probe_text(lm, str(command.get("text", ""))))
    elif cmd == "generate":
        tokens: list[str] = []
        for tok in generate(
            lm,
            str(command.get("prompt", "")),
            tokens=int(command.get("tokens", 50)),
            temperature=float(command.get("temperature", 0.8)),
            top_k=int(command.get("top_k", 0)),
            seed=int(command.get("seed", 0)),
        ):
            tokens.append(tok)
            _out(out, {"ok": True, "more": True, "type": "Token", "token": tok,
                       "display": display_token(tok)})
        _out(out, {"type": "GenerateEnd", "text": generated_text(lm, tokens)})
    elif cmd == "neighbours":
        token = str(command.get("token", ""))
        items = neighbours(lm, token, int(command.get("k", 8)))
        _out(out, {"type": "Neighbours", "token": token, "items": [[t, s] for t, s in items]})
    elif cmd == "info":
        _out(out, info(lm))
    else:
        raise SeqlabError(f"unknown command {cmd!r}: use probe, generate, neighbours, info "
                          "or stop.")


def info(lm: Any) -> dict[str, Any]:
    m = lm.cfg.model
    return {
        "type": "Info",
        "run_dir": str(lm.run_dir),
        "vocab_size": len(lm.vocab),
        "tokenizer": lm.tokenizer.name,
        "cell": m.cell,
        "layers": m.num_layers,
        "hidden": m.hidden_size,
        "embedding": lm.cfg.text.embedding,
    }


def serve(run_dir: str, stdin: TextIO, stdout: TextIO) -> int:
    from seqlab.training.text_trainer import load_lm

    return serve_json_lines(lambda: load_lm(run_dir), handle, info, stdin, stdout)


def serve_json_lines(
    load: Callable[[], Any],
    handler: Callable[[Any, dict[str, Any], TextIO], None],
    describe: Callable[[Any], dict[str, Any]],
    stdin: TextIO,
    stdout: TextIO,
) -> int:
    """Load once, print the Info line, then answer one JSON command per stdin line.

    Bad commands answer ``{"ok": false, "error": ...}`` and the loop goes on; ``stop`` ends it.
    """
    from seqlab.training.control import error, parse_command
    from seqlab.training.trainer import size_threads

    size_threads(0)
    try:
        loaded = load()
    except SeqlabError as exc:
        _out(stdout, error(str(exc)))
        return 2
    _out(stdout, describe(loaded))
    for raw in stdin:
        line = raw.strip()
        if not line:
            continue
        try:
            command = parse_command(line)
            if command.get("cmd") == "stop":
                _out(stdout, {"ok": True})
                return 0
            handler(loaded, command, stdout)
        except SeqlabError as exc:  # ControlError included
            _out(stdout, error(str(exc)))
        except Exception as exc:  # noqa: BLE001 - the service must outlive one bad command
            _out(stdout, error(f"internal error: {type(exc).__name__}: {exc}"))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: python -m seqlab.training.lm_service RUN_DIR\n")
        raise SystemExit(2)
    raise SystemExit(serve(sys.argv[1], sys.stdin, sys.stdout))
