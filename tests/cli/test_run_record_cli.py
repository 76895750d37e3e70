"""Background runs from the command line: --detach, stop, runs, --resume, signals, attach."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from seqlab import cli
from seqlab.training import events as ev
from seqlab.training.record import EventTail, read_state

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "120",
       "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
SINE_ARGS = ["--target", "sales", "--window", "12", "--hidden", "8", "--batch-size", "16",
             "--patience", "0", "--seed", "5", "--threads", "1"]


def seqlab(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seqlab", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=ENV,
                          stdin=subprocess.DEVNULL)


def _wait(predicate: Any, timeout: float = 90.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _epoch_seen(tail: EventTail, seen: list[Any]) -> bool:
    seen.extend(tail.read_new())
    return any(isinstance(e, ev.EpochEnd) for e in seen)


def test_detach_returns_runs_in_background_lists_live_and_stops(
        sine_csv: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    t = time.monotonic()
    r = seqlab("train", str(sine_csv), *SINE_ARGS, "--epochs", "5000", "--runs-dir", str(runs),
               "--detach", "--json")
    assert r.returncode == 0, r.stderr
    started = json.loads(r.stdout.strip().splitlines()[-1])
    run_dir, pid = Path(started["run_dir"]), int(started["pid"])
    try:
        assert time.monotonic() - t < 60  # it returned without training
        # the parent (`seqlab train --detach`) has exited; the run goes on in its own session
        _wait(lambda: _epoch_seen(EventTail(run_dir), []), what="an epoch of the detached run")
        listed = seqlab("runs", "--runs-dir", str(runs))
        assert "live runs" in listed.stdout and "running" in listed.stdout, listed.stdout
        assert str(pid) in listed.stdout and "cpu" in listed.stdout
        as_json = json.loads(seqlab("runs", "--runs-dir", str(runs), "--json").stdout)
        assert as_json[0]["live"]["status"] == "running" and as_json[0]["live"]["pid"] == pid
        # a run still training cannot be resumed
        again = seqlab("train", "--resume", str(run_dir))
        assert again.returncode == 2 and "still running" in again.stderr
        stopped = seqlab("stop", run_dir.name, "--runs-dir", str(runs))
        assert stopped.returncode == 0, stopped.stderr
        assert stopped.stdout.startswith("stopped:"), stopped.stdout
        st = read_state(run_dir)
        assert st is not None and st.status == "stopped"
        for name in ("summary.json", "model.pt", "last.pt", "events.jsonl"):
            assert (run_dir / name).is_file(), name
        twice = seqlab("stop", str(run_dir))
        assert twice.returncode == 2 and "not running" in twice.stderr
        assert len(twice.stderr.strip().splitlines()) == 1
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_to_an_in_process_train_leaves_a_stopped_run_with_weights(
        sig: str, sine_csv: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "seqlab", "train", str(sine_csv), *SINE_ARGS,
                             "--epochs", "5000", "--runs-dir", str(runs), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=ENV, stdin=subprocess.DEVNULL)
    try:
        run_dir = _wait(lambda: next(iter(runs.iterdir()), None) if runs.is_dir() else None,
                        what="the run directory")
        _wait(lambda: _epoch_seen(EventTail(run_dir), []), what="epoch 1")
        proc.send_signal(getattr(signal, sig))
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "stopped" and result["epochs"] >= 1
    st = read_state(run_dir)
    assert st is not None and st.status == "stopped"
    for name in ("summary.json", "model.pt", "last.pt", "metrics.jsonl", "predictions.csv"):
        assert (run_dir / name).is_file(), name
    from seqlab.training.trainer import load_checkpoint

    load_checkpoint(run_dir / "model.pt")


def test_cli_resume_after_a_stop_matches_an_uninterrupted_run(
        sine_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seqlab.config import RunConfig
    from seqlab.training.trainer import Trainer

    runs = tmp_path / "runs"
    assert cli.main(["train", str(sine_csv), *SINE_ARGS, "--epochs", "3", "--runs-dir",
                     str(runs), "--json"]) == 0
    full = json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    cfg = RunConfig.load(Path(full["run_dir"]) / "config.toml")

    class StopsInEpoch2(Trainer):
        n = 0

        def _batch(self, idx: Any) -> Any:
            StopsInEpoch2.n += 1
            if StopsInEpoch2.n == full["shapes"]["train"][0] // 16 + 2:
                self.cancel.set()
            return super()._batch(idx)

    cut = StopsInEpoch2(cfg, run_dir=tmp_path / "cut").run()
    assert cut.status == "stopped" and cut.epochs == 1
    assert cli.main(["train", "--resume", str(tmp_path / "cut"), "--json"]) == 0
    resumed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert resumed["status"] == "finished" and resumed["epochs"] == 3
    for key in ("val", "test", "best_epoch"):
        assert resumed[key] == full[key], key
    # a finished run is not resumed; flags that would change it are refused
    assert cli.main(["train", "--resume", str(tmp_path / "cut")]) == 2
    assert "finished" in capsys.readouterr().err
    assert cli.main(["train", "--resume", str(tmp_path / "cut"), "--hidden", "9"]) == 2
    assert "drop --hidden" in capsys.readouterr().err


def test_attach_without_a_live_run_says_what_to_do(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["attach", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no live run" in err and "--detach" in err and len(err.strip().splitlines()) == 1
    assert cli.main(["stop", "nope", "--runs-dir", str(tmp_path)]) == 2
    assert "no run 'nope'" in capsys.readouterr().err


def test_a_crashed_run_is_listed_as_crashed(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from seqlab.training.record import host_name, write_state

    run_dir = tmp_path / "20260101-000000-lstm-x"
    run_dir.mkdir()
    (run_dir / "config.toml").write_text("[model]\ncell = \"lstm\"\n")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    write_state(run_dir, pid=dead.pid, proc_start=None, host=host_name(), started=time.time(),
                status="running", epoch=3, epochs=10, device="cpu")
    assert cli.main(["runs", "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "crashed" in out and "3/10" in out
    assert cli.main(["stop", str(run_dir)]) == 2
    assert "crashed" in capsys.readouterr().err


def test_text_train_detach_finishes_in_the_background(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    text = " ".join(["the cat sat on the mat and the dog ran."] * 30)
    r = seqlab("text-train", "--text", text, "--tokenizer", "word", "--epochs", "2", "--threads", "1",
               "--hidden", "4", "--window", "4", "--embedding", "4", "--runs-dir", str(runs),
               "--detach")
    assert r.returncode == 0, r.stderr
    assert "started in the background" in r.stdout and "seqlab attach" in r.stdout
    run_dir = next(runs.iterdir())
    st = _wait(lambda: (s := read_state(run_dir)) is not None and not s.live and s,
               timeout=120, what="the text run to end")
    assert st.status == "finished" and st.kind == "text", (run_dir / "worker.log").read_text()
    events = EventTail(run_dir).read_new()
    assert isinstance(events[-1], ev.RunEnd) and events[-1].status == "finished"
    assert (run_dir / "model.pt").is_file()
    # bad input is answered by the command, not left to the background
    bad = seqlab("text-train", "--text", "a", "--runs-dir", str(runs), "--detach")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- seqlab attach
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]"
                  r"|\x1b[=>78cDEHMNOPZ\\]")


class Terminal:
    """A real program in a pseudo-terminal of 80×24: what it draws is read as it comes."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        import fcntl
        import pty
        import struct
        import termios
        import threading

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT,
                                     env=env, start_new_session=True)
        os.close(slave)
        self.raw = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the program closed its side
                return
            if not chunk:
                return
            with self._lock:
                self.raw.extend(chunk)

    def text(self, start: int = 0) -> str:
        """What was drawn since byte ``start``, without the terminal's control sequences."""
        with self._lock:
            data = bytes(self.raw[start:])
        return ANSI.sub("", data.decode("utf-8", "replace"))

    def mark(self) -> int:
        with self._lock:
            return len(self.raw)

    def wait_for(self, pattern: str, start: int = 0, timeout: float = 120.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text(start))
            if found:
                return found
            if self.proc.poll() is not None:
                time.sleep(0.3)  # the last output
                found = re.search(pattern, self.text(start))
                if found:
                    return found
                raise AssertionError(f"the program ended ({self.proc.returncode}) before "
                                     f"{pattern!r}:\n{self.text()[-2000:]}")
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {pattern!r}:\n{self.text()[-2000:]}")

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        with contextlib.suppress(OSError):
            os.close(self.master)


def _lab_env() -> dict[str, str]:
    env = {k: v for k, v in ENV.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    return env


def _attach_and_quit_keeping(args: list[str], run_dir: Path, other: Path | None) -> None:
    """``seqlab attach ARGS`` in an 80×24 terminal shows ``run_dir`` training; q, then keep."""
    term = Terminal([sys.executable, "-m", "seqlab", "attach", *args], _lab_env())
    try:
        term.wait_for(re.escape(run_dir.name))
        epoch = term.wait_for(r"epoch (\d+)/5000")  # the Train view follows the live run
        assert int(epoch.group(1)) >= 1
        if other is not None:
            assert other.name not in term.text()  # the other live run is not the one opened
        at = term.mark()
        term.send("q")
        term.wait_for(r"still training", start=at, timeout=60)
        term.send("k")  # keep it running
        assert term.proc.wait(timeout=60) == 0, term.text()[-2000:]
        assert "Traceback" not in term.text()
    finally:
        term.close()
    st = read_state(run_dir)
    assert st is not None and st.status == "running" and st.live  # it trains on without the lab
    for name in ("config.toml", "state.json", "events.jsonl"):
        assert (run_dir / name).is_file(), name


def test_attach_opens_the_lab_on_a_live_run_in_a_terminal_and_quits_keeping_it(
        sine_csv: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    started: list[tuple[Path, int]] = []
    try:
        for _ in range(2):
            r = seqlab("train", str(sine_csv), *SINE_ARGS, "--epochs", "5000", "--runs-dir",
                       str(runs), "--detach", "--json")
            assert r.returncode == 0, r.stderr
            info = json.loads(r.stdout.strip().splitlines()[-1])
            started.append((Path(info["run_dir"]), int(info["pid"])))
            _wait(lambda d=started[-1][0]: _epoch_seen(EventTail(d), []),
                  what="an epoch of the detached run")
        (older, _), (newer, _) = started
        # no argument: the newest live run
        _attach_and_quit_keeping(["--runs-dir", str(runs)], newer, other=older)
        # a run by name
        _attach_and_quit_keeping([older.name, "--runs-dir", str(runs)], older, other=newer)
        stopped = seqlab("stop", str(older))
        assert stopped.returncode == 0, stopped.stderr
        for name in ("summary.json", "model.pt", "last.pt", "events.jsonl"):
            assert (older / name).is_file(), name
    finally:
        for _, pid in started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_attach_to_what_is_not_a_run_is_one_line_and_code_2(tmp_path: Path) -> None:
    not_a_run = tmp_path / "notes"
    not_a_run.mkdir()
    (not_a_run / "todo.txt").write_text("x\n")
    for target in (str(tmp_path / "missing"), str(not_a_run)):
        r = seqlab("attach", target, "--runs-dir", str(tmp_path), timeout=60)
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("seqlab: error: "), r.stderr
        assert "Traceback" not in r.stderr and r.stdout == ""
    r = seqlab("attach", str(not_a_run), "--runs-dir", str(tmp_path), timeout=60)
    assert "is not a run directory" in r.stderr
