"""A corpus of hostile inputs: files, flags, configs, run directories and texts.

One parametrized test holds each to the promise: exit code 2 with one line on stderr (or a
clean finish whose last stdout line is the JSON result), no traceback, and any run directory
left behind has a final status. The CLI runs in-process (torch is imported once), with tiny
models, so the whole corpus stays fast.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from seqlab import cli
from seqlab.training import resources, runs

FINAL = {"finished", "stopped", "diverged", "failed", "crashed"}
TINY = ["--epochs", "1", "--hidden", "2", "--window", "3", "--probe-every", "0"]
TEXT_TINY = ["--epochs", "1", "--hidden", "4", "--window", "4", "--embedding", "4",
             "--probe-every", "0"]

Case = Callable[[Path, pytest.MonkeyPatch], list[str]]
CASES: dict[str, tuple[str, Case]] = {}  # name -> ("error" | "finish", make argv)


def case(name: str, expect: str = "error") -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        CASES[name] = (expect, fn)
        return fn
    return register


def series(n: int = 60) -> np.ndarray:
    return 50 + 10 * np.sin(np.arange(n) / 4)


def write_csv(path: Path, header: str, values: list[float] | np.ndarray) -> Path:
    path.write_text(header + "\n" + "".join(f"{float(v)!r}\n" for v in values), encoding="utf-8")
    return path


def ok_csv(tmp: Path) -> Path:
    return write_csv(tmp / "ok.csv", "v", [float(v) for v in series()])


def train(tmp: Path, path: Path | str, *extra: str) -> list[str]:
    return ["train", str(path), *TINY, "--runs-dir", str(tmp / "runs"), *extra]


# ----------------------------------------------------------------------------- files
@case("csv-empty")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "e.csv").write_bytes(b"")
    return train(tmp, tmp / "e.csv")


@case("csv-whitespace-only")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "w.csv").write_text("  \n\t\n   \n")
    return train(tmp, tmp / "w.csv")


@case("csv-header-only")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "h.csv").write_text("date,v\n")
    return train(tmp, tmp / "h.csv")


@case("csv-binary")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "b.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    return train(tmp, tmp / "b.csv")


@case("csv-sparse-1gb")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    with open(tmp / "sparse.csv", "wb") as fh:
        fh.truncate(1 << 30)  # no disk blocks: all NUL bytes
    return train(tmp, tmp / "sparse.csv")


@case("csv-fifo")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    os.mkfifo(tmp / "pipe.csv")
    return train(tmp, tmp / "pipe.csv")


@case("csv-is-a-folder")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "folder.csv").mkdir()
    return train(tmp, tmp / "folder.csv")


@case("csv-missing")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, tmp / "nope.csv")


@case("csv-permission-denied")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    path = ok_csv(tmp)
    real_open = os.open

    def deny(p: object, flags: int, *a: object, **k: object) -> int:
        if Path(str(p)) == path:  # what a non-root user gets from chmod 000
            raise PermissionError(errno.EACCES, "Permission denied", str(p))
        return real_open(p, flags, *a, **k)  # type: ignore[arg-type]

    mp.setattr(os, "open", deny)
    return train(tmp, path)


@case("csv-invalid-utf8")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "u.csv").write_bytes(b"v\n1\n\xff\xfe\xfd\xfc\xfb\n" + b"\x80\x81\x82\n" * 20)
    return train(tmp, tmp / "u.csv")


@case("csv-latin1-header")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    # "öß" is a valid CP949 pair (a hanja): without a check the header would read "Gr秤e"
    (tmp / "l1.csv").write_bytes("t,Größe\n".encode("latin-1")
                                 + "".join(f"{i},{float(v)!r}\n" for i, v in enumerate(series()))
                                 .encode())
    return train(tmp, tmp / "l1.csv")


@case("csv-all-nan-target-with-a-missing-policy")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "n.csv").write_text("t,y\n" + "".join(f"{i},\n" for i in range(60)))
    return train(tmp, tmp / "n.csv", "--missing", "interpolate")


@case("csv-empty-feature-column")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "f.csv").write_text("t,x,y\n" + "".join(f"{i},,{float(v)!r}\n"
                                                  for i, v in enumerate(series())))
    return train(tmp, tmp / "f.csv", "--target", "y", "--missing", "drop")


@case("csv-ragged-row")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "r.csv").write_text("a,b\n" + "1,2\n" * 30 + "1,2,3\n" + "1,2\n" * 30)
    return train(tmp, tmp / "r.csv", "--target", "a")


@case("csv-unclosed-quote")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "q.csv").write_text("a,b\n" + "1,2\n" * 30 + '1,"2\n' + "1,2\n" * 30)
    return train(tmp, tmp / "q.csv", "--target", "a")


@case("csv-no-numeric-column")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "t.csv").write_text("name\n" + "abc\n" * 50)
    return train(tmp, tmp / "t.csv")


@case("csv-infinite-value")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    values = [float(v) for v in series()]
    values[10] = float("inf")
    return train(tmp, write_csv(tmp / "inf.csv", "v", values))


@case("csv-missing-values")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "m.csv").write_text("v\n" + "1\n2\n\n3\n" * 20)
    return train(tmp, tmp / "m.csv", "--window", "3")


@case("csv-constant-target")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, write_csv(tmp / "c.csv", "v", [1.0] * 60))


@case("csv-too-few-rows")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, write_csv(tmp / "few.csv", "v", [1.0, 2.0, 3.0]))


@case("csv-five-rows-window-1")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, write_csv(tmp / "five.csv", "v", [1.0, 3.0, 2.0, 5.0, 4.0]),
                 "--window", "1")


@case("csv-one-1mb-line")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "long.csv").write_text("v," + "x" * (1 << 20) + "\n1,2\n")
    return train(tmp, tmp / "long.csv")


@case("csv-bracketed-column-name", "finish")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, write_csv(tmp / "br.csv", "v[/x]", series()), "--json")


@case("csv-target-ending-in-90-zeros", "finish")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    values = [float(v) for v in series(30)] + [0.0] * 90
    return train(tmp, write_csv(tmp / "zeros.csv", "v", values), "--json")


@case("csv-values-near-5e301", "finish")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, write_csv(tmp / "huge.csv", "v", 5e301 * (1 + 0.1 * np.sin(
        np.arange(60) / 3))), "--json")


@case("csv-unscaled-beyond-float32")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, write_csv(tmp / "huge.csv", "v", 5e301 * (1 + 0.1 * np.sin(
        np.arange(60) / 3))), "--scale-y", "no")


@case("run-diverging-in-epoch-1", "finish")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    # unscaled targets near 1e19: the first squared error overflows float32
    return train(tmp, write_csv(tmp / "big.csv", "v", 1e19 * (2 + np.sin(np.arange(60) / 3))),
                 "--scale-y", "no", "--difference", "no", "--json")


@case("csv-mixed-date-formats", "finish")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    dates = [f"2020-01-{d:02d}" if d % 2 else f"{d:02d}/01/2020" for d in range(1, 29)] * 2
    rows = "".join(f"{d},{float(v)!r}\n" for d, v in zip(dates, series(56), strict=True))
    (tmp / "mixed.csv").write_text("date,v\n" + rows)
    return train(tmp, tmp / "mixed.csv", "--json")


# ----------------------------------------------------------------------------- flags
@case("flag-split-nan")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, ok_csv(tmp), "--split", "nan,0.5,0.5")


@case("flag-split-zero-test")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, ok_csv(tmp), "--split", "1,0,0")


@case("flag-seed-beyond-64-bits")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, ok_csv(tmp), "--seed", str(2**64 + 5))


@case("flag-runs-dir-is-a-file")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "afile").write_text("x")
    return ["train", str(ok_csv(tmp)), *TINY, "--runs-dir", str(tmp / "afile")]


@case("flag-runs-dir-under-a-file")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "afile").write_text("x")
    return ["train", str(ok_csv(tmp)), *TINY, "--runs-dir", str(tmp / "afile" / "sub")]


@case("flag-runs-dir-unwritable")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    locked = tmp / "locked"
    locked.mkdir()
    real = tempfile.mkstemp

    def refuse(*a: object, **k: object) -> tuple[int, str]:
        if Path(str(k.get("dir", ""))).resolve().is_relative_to(locked.resolve()):
            raise PermissionError(errno.EACCES, "Permission denied", str(locked))
        return real(*a, **k)  # type: ignore[arg-type]

    mp.setattr(tempfile, "mkstemp", refuse)  # what a non-root user gets from chmod 555
    return ["train", str(ok_csv(tmp)), *TINY, "--runs-dir", str(locked)]


@case("flag-model-too-large-for-memory")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    mp.setattr(resources, "available_memory", lambda device="cpu": 16 * 10**9)
    return ["train", str(ok_csv(tmp)), "--epochs", "1", "--window", "3", "--hidden", "4096",
            "--layers", "16", "--bidirectional", "--runs-dir", str(tmp / "runs")]


@case("flag-threads-100000")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, ok_csv(tmp), "--threads", "100000")


@case("flag-unknown-target")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, ok_csv(tmp), "--target", "nope[/x]")


@case("flag-lr-nan")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, ok_csv(tmp), "--lr", "nan")


@case("flag-window-zero")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, ok_csv(tmp), "--window", "0")


@case("flag-device-unavailable")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    mp.setattr("torch.cuda.is_available", lambda: False)
    return train(tmp, ok_csv(tmp), "--device", "cuda:3")


@case("flag-unknown-verb-option")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return train(tmp, ok_csv(tmp), "--no-such-flag")


# ----------------------------------------------------------------------------- configs
def config_case(name: str, body: str) -> None:
    @case(f"config-{name}")
    def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
        path = ok_csv(tmp)
        (tmp / "c.toml").write_text(f'[data]\npath = "{path}"\n' + body)
        return ["train", "--config", str(tmp / "c.toml"), *TINY, "--runs-dir",
                str(tmp / "runs")]


for _name, _body in {
    "hidden-size-text": '[model]\nhidden_size = "abc"\n',
    "epochs-fraction": '[train]\nepochs = 1.5\n',
    "lr-text": '[train]\nlr = "0.1"\n',
    "bidirectional-yes": '[model]\nbidirectional = "yes"\n',
    "unknown-key": '[model]\nsize = 3\n',
    "section-not-a-table": 'model = 3\n',
    "cell-unknown": '[model]\ncell = "transformer"\n',
    "seed-date": '[train]\nseed = 1979-05-27\n',
}.items():
    config_case(_name, _body)


@case("config-window-fraction")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "c.toml").write_text(f'[data]\npath = "{ok_csv(tmp)}"\nwindow = 2.5\n')
    return ["train", "--config", str(tmp / "c.toml"), "--runs-dir", str(tmp / "runs")]


@case("config-split-nan")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "c.toml").write_text(f'[data]\npath = "{ok_csv(tmp)}"\nsplit = [nan, 0.5, 0.5]\n')
    return ["train", "--config", str(tmp / "c.toml"), "--runs-dir", str(tmp / "runs")]


@case("config-difference-no", "finish")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "c.toml").write_text(f'[data]\npath = "{ok_csv(tmp)}"\ndifference = "no"\n')
    return ["train", "--config", str(tmp / "c.toml"), *TINY, "--runs-dir", str(tmp / "runs"),
            "--json"]


@case("config-difference-unknown-word")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "c.toml").write_text(f'[data]\npath = "{ok_csv(tmp)}"\ndifference = "maybe"\n')
    return ["train", "--config", str(tmp / "c.toml"), "--runs-dir", str(tmp / "runs")]


@case("config-difference-number")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "c.toml").write_text(f'[data]\npath = "{ok_csv(tmp)}"\ndifference = 1\n')
    return ["train", "--config", str(tmp / "c.toml"), "--runs-dir", str(tmp / "runs")]


@case("config-features-mixed-types")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "c.toml").write_text(f'[data]\npath = "{ok_csv(tmp)}"\nfeatures = ["v", 1]\n')
    return ["train", "--config", str(tmp / "c.toml"), "--runs-dir", str(tmp / "runs")]


@case("config-not-toml")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "c.toml").write_text("[data\npath = \n")
    return ["train", "--config", str(tmp / "c.toml")]


@case("config-binary")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "c.toml").write_bytes(b"\x00\x01\x02" * 100)
    return ["train", "--config", str(tmp / "c.toml")]


@case("config-fifo")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    os.mkfifo(tmp / "c.toml")
    return ["train", "--config", str(tmp / "c.toml")]


@case("config-missing")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return ["train", "--config", str(tmp / "none.toml")]


# ----------------------------------------------------------------------------- run dirs
@pytest.fixture(scope="module")
def made_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tiny finished series run whose files the run-dir cases damage."""
    tmp = tmp_path_factory.mktemp("made")
    argv = ["train", str(ok_csv(tmp)), "--epochs", "1", "--hidden", "2", "--window", "3",
            "--runs-dir", str(tmp / "runs")]
    assert cli.main(argv) == 0
    (run,) = (tmp / "runs").iterdir()
    return run


def damaged_run(tmp: Path, made: Path, name: str, text: str) -> Path:
    run = tmp / "runs" / made.name
    shutil.copytree(made, run)
    (run / name).write_text(text)
    return run


def probe_json(made: Path) -> dict:
    return json.loads((made / "probe.json").read_text())


RUN_DIR_CASES: dict[str, tuple[str, Callable[[Path, Path], list[str]]]] = {}


def run_case(name: str, expect: str = "error") -> Callable:
    def register(fn: Callable[[Path, Path], list[str]]) -> Callable:
        RUN_DIR_CASES[name] = (expect, fn)
        return fn
    return register


@run_case("probe-bad-json")
def _(tmp: Path, made: Path) -> list[str]:
    return ["probe", str(damaged_run(tmp, made, "probe.json", "{not json"))]


@run_case("probe-absurd-shape")
def _(tmp: Path, made: Path) -> list[str]:
    obj = probe_json(made)
    first = next(iter(obj["states"]))
    obj["states"][first]["shape"] = [10**9, 10**9]
    return ["probe", str(damaged_run(tmp, made, "probe.json", json.dumps(obj)))]


@run_case("probe-object-dtype")
def _(tmp: Path, made: Path) -> list[str]:
    obj = probe_json(made)
    first = next(iter(obj["states"]))
    obj["states"][first]["__nd__"] = "object"
    return ["probe", str(damaged_run(tmp, made, "probe.json", json.dumps(obj)))]


@run_case("probe-unknown-state-key")
def _(tmp: Path, made: Path) -> list[str]:
    obj = probe_json(made)
    first = next(iter(obj["states"]))
    obj["states"]["weird"] = obj["states"][first]
    return ["probe", str(damaged_run(tmp, made, "probe.json", json.dumps(obj)))]


@run_case("probe-not-a-run")
def _(tmp: Path, made: Path) -> list[str]:
    return ["probe", str(tmp)]


@run_case("generate-on-a-series-run")
def _(tmp: Path, made: Path) -> list[str]:
    run = tmp / "runs" / made.name
    shutil.copytree(made, run)
    return ["generate", str(run), "--prompt", "a"]


@run_case("generate-damaged-checkpoint")
def _(tmp: Path, made: Path) -> list[str]:
    return ["generate", str(damaged_run(tmp, made, "model.pt", "garbage")), "--prompt", "a"]


@run_case("runs-summary-wrong-types", "finish")
def _(tmp: Path, made: Path) -> list[str]:
    shutil.copytree(made, tmp / "runs" / "good-run")
    damaged_run(tmp, made, "summary.json", json.dumps({"status": ["x"], "val": "abc"}))
    return ["runs", "--runs-dir", str(tmp / "runs")]


@run_case("runs-config-wrong-types", "finish")
def _(tmp: Path, made: Path) -> list[str]:
    shutil.copytree(made, tmp / "runs" / "good-run")
    damaged_run(tmp, made, "config.toml", 'model = "lstm"\n')
    return ["runs", "--runs-dir", str(tmp / "runs")]


@run_case("runs-status-with-brackets", "finish")
def _(tmp: Path, made: Path) -> list[str]:
    summary = json.loads((made / "summary.json").read_text())
    summary["status"] = "[/weird]"
    damaged_run(tmp, made, "summary.json", json.dumps(summary))
    return ["runs", "--runs-dir", str(tmp / "runs")]


# ----------------------------------------------------------------------------- text mode
def text_train(tmp: Path, *args: str) -> list[str]:
    return ["text-train", *args, *TEXT_TINY, "--runs-dir", str(tmp / "runs")]


TEXT_FILES: dict[str, bytes] = {
    "text-empty": b"",
    "text-whitespace-only": b"   \n\t\n  \n",
    "text-binary": b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 16,
    "text-invalid-utf8": "안녕하세요 ".encode() * 30 + b"\xff\xfe\x80" + b"hello" * 50,
}
for _name, _raw in TEXT_FILES.items():
    def _make(raw: bytes) -> Case:
        def make(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
            (tmp / "t.txt").write_bytes(raw)
            return text_train(tmp, str(tmp / "t.txt"))
        return make
    CASES[_name] = ("error", _make(_raw))


@case("text-one-1mb-line", "finish")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (tmp / "t.txt").write_text("ab" * (1 << 19))  # one line, 1 MB, no line break
    return text_train(tmp, str(tmp / "t.txt"), "--stride", str(1 << 16), "--json")


@case("text-typed-empty")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return text_train(tmp, "--text", "")


@case("text-typed-whitespace")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return text_train(tmp, "--text", "   \n  ")


@case("text-fifo")
def _(tmp: Path, mp: pytest.MonkeyPatch) -> list[str]:
    os.mkfifo(tmp / "t.txt")
    return text_train(tmp, str(tmp / "t.txt"))


# ----------------------------------------------------------------------------- the test
def check(expect: str, code: int, out: str, err: str, runs_dir: Path | None) -> None:
    assert "Traceback" not in out + err, err
    if expect == "error":
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert code == 2, (code, err)
        assert len(lines) == 1 and lines[0].startswith("seqlab: error: "), err
    else:
        assert code in (0, 1), (code, err)
        last = out.strip().splitlines()[-1] if out.strip() else ""
        if last.startswith(("{", "[")):
            result = json.loads(last)
            if isinstance(result, dict):
                assert result["status"] in FINAL, result
    if runs_dir is not None and runs_dir.is_dir():  # what the command left behind
        for info in runs.list_runs(runs_dir):
            assert info.status in FINAL | {runs.UNREADABLE}, (info.run_dir, info.status)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("name", sorted(CASES) + sorted(RUN_DIR_CASES))
def test_hostile_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
                       ) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    if name in CASES:
        expect, make = CASES[name]
        argv = make(tmp_path, monkeypatch)
    else:
        expect, make_run = RUN_DIR_CASES[name]
        argv = make_run(tmp_path, request.getfixturevalue("made_run"))
    code, out, err = run_cli(argv, capsys)
    # the run-dir cases planted their runs: only runs a command made must have ended
    check(expect, code, out, err, tmp_path / "runs" if name in CASES else None)
    if name.startswith("runs-") and "wrong-types" in name:
        assert "unreadable" in out and "good-run" in out.replace("…", "")
        assert "should be" in out  # the problem is named
    if name == "config-difference-no":  # "no" must not turn differencing on
        assert "no differencing" in err and "the model learns d[t]" not in err
    if name == "csv-latin1-header":  # the byte, its line and the remedy; nothing garbled
        assert "byte 0xF6 on line 1" in err and "re-save it as CSV (UTF-8)" in err
    if name == "csv-all-nan-target-with-a-missing-policy":  # not "use more data"
        assert "column 'y' has no numbers" in err and "more data" not in err
    if name == "csv-empty-feature-column":  # a default feature: the flag that leaves it out
        assert "column 'x' has no numbers" in err and "--features y" in err
    if name == "csv-five-rows-window-1":  # no remedy that cannot be taken
        assert "needs at least" in err and "use more data" in err and "smaller" not in err
    if name == "csv-mixed-date-formats":
        assert "mixed formats" in err
    if name == "csv-bracketed-column-name":
        assert "v[/x]" in err
    if name == "run-diverging-in-epoch-1":
        assert json.loads(out.splitlines()[-1])["status"] == "diverged"
    if name == "runs-status-with-brackets":
        assert "[/weird]" in out
