"""End to end: `seqlab train`, `text-train`, `generate`, `probe`, `runs` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data"
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "100"}


def seqlab(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seqlab", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL,
    )


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


SAMPLE_ARGS = {
    "airline_passengers.csv": ["--difference"],
    "sunspots_yearly.csv": [],
    "us_macro_quarterly.csv": ["--target", "infl"],
    "long_dependency.csv": ["--target", "target"],
}


@pytest.mark.parametrize("name", sorted(SAMPLE_ARGS))
def test_train_every_sample_json(name: str, tmp_path: Path) -> None:
    r = seqlab("train", str(SAMPLES / name), *SAMPLE_ARGS[name], "--epochs", "2",
               "--runs-dir", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    res = last_json(r.stdout)
    for key in ("status", "run_dir", "params", "epochs", "seconds", "shapes", "val", "test",
                "baseline_val", "baseline_test"):
        assert key in res, key
    assert res["status"] == "finished" and res["epochs"] == 2 and res["params"] > 0
    for split in ("train", "val", "test"):
        n, t, f = res["shapes"][split]
        assert n > 0 and t == 24 and f >= 1
    for key in ("val", "test", "baseline_val", "baseline_test"):
        assert {"mae", "rmse", "mape"} <= set(res[key])
        assert res[key]["mae"] > 0
    run = Path(res["run_dir"])
    assert (run / "config.toml").is_file() and (run / "predictions.csv").is_file()
    # stdout is clean JSON; the human report went to stderr
    assert len(r.stdout.strip().splitlines()) == 1


def test_plain_lines_when_not_a_terminal_and_config_rerun_is_identical(tmp_path: Path) -> None:
    r = seqlab("train", str(SAMPLES / "sunspots_yearly.csv"), "--epochs", "3", "--model", "gru",
               "--hidden", "8", "--runs-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "epoch 1/3" in r.stdout and "epoch 3/3" in r.stdout
    assert "━" not in r.stdout and "\r" not in r.stdout  # no progress bar in a log
    assert "persistence" in r.stdout and "MAE" in r.stdout
    run = next(p for p in tmp_path.iterdir() if p.is_dir())
    first = json.loads((run / "summary.json").read_text())
    again = seqlab("train", "--config", str(run / "config.toml"), "--json")
    assert again.returncode == 0, again.stderr
    second = last_json(again.stdout)
    assert second["run_dir"] != str(run)
    assert second["val"] == first["val"] and second["test"] == first["test"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["train", "nope.csv"], "not found"),
        (["train", str(SAMPLES / "us_macro_quarterly.csv"), "--target", "gdp"], "gdp"),
        (["train", str(SAMPLES / "us_macro_quarterly.csv")], "--target"),
        (["train", str(SAMPLES / "airline_passengers.csv"), "--window", "200"], "window"),
        (["train", str(SAMPLES / "airline_passengers.csv"), "--model", "tcn"], "invalid choice"),
        (["train", str(SAMPLES / "airline_passengers.csv"), "--lr", "nan"], "finite"),
        (["train", str(SAMPLES / "airline_passengers.csv"), "--split", "0.9,0.1"], "three"),
        (["train", str(SAMPLES)], "folder"),
        (["text-train", str(SAMPLES / "airline_passengers.csv"), "--window", "5000"], "window"),
        (["generate", str(SAMPLES), "--prompt", "hi"], "model.pt"),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], words: str, tmp_path: Path) -> None:
    r = seqlab(*args, "--runs-dir", str(tmp_path)) if args[0] in ("train", "text-train") else seqlab(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    err = r.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert words.lower() in err.lower(), err
    assert not any(tmp_path.iterdir()), "a failed start must not leave a run directory"


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01\x02binary\xff" * 20, b"month,passengers\n", b"a,b\n1,2\n3\n",
     b"t,y\n1,2\n2,nan\n3,4\n", b"t,y\n1,x\n2,y\n"],
    ids=["empty", "binary", "header-only", "ragged", "nan", "non-numeric"],
)
def test_nasty_csv_files(content: bytes, tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_bytes(content)
    r = seqlab("train", str(f), "--runs-dir", str(tmp_path / "runs"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_airline_lstm_with_difference_beats_persistence(tmp_path: Path) -> None:
    r = seqlab("train", str(SAMPLES / "airline_passengers.csv"), "--difference", "--model", "lstm",
               "--runs-dir", str(tmp_path), "--json", "--probe-every", "0")
    assert r.returncode == 0, r.stderr
    res = last_json(r.stdout)
    assert res["test"]["mae"] < res["baseline_test"]["mae"], res


def test_runs_lists_past_runs(tmp_path: Path) -> None:
    seqlab("train", str(SAMPLES / "airline_passengers.csv"), "--epochs", "1", "--runs-dir",
           str(tmp_path))
    r = seqlab("runs", "--runs-dir", str(tmp_path), "--json")
    runs = json.loads(r.stdout)
    assert len(runs) == 1 and runs[0]["status"] == "finished"
    assert runs[0]["summary"]["reason"].startswith("trained 1 epoch;")  # not "1 epochs"
    name = Path(runs[0]["run_dir"]).name
    piped = seqlab("runs", "--runs-dir", str(tmp_path)).stdout  # COLUMNS=100, but a pipe
    assert name in piped and "airline_passengers.csv" in piped.splitlines()[-1]
    assert "data" in piped.splitlines()[1]


def test_runs_table_never_cuts_names() -> None:
    from seqlab.cli import runs_table

    name = "20261130-161151-lstm-a_rather_long_data_file_name_indeed"
    row = [name, "LSTM 1×32", "a_rather_long_data_file_name_indeed.csv", "finished", "3",
           "1.5", "2", "mae"]
    for width in (None, 200, 60, 20):
        lines = runs_table([row], width)
        assert any(line.startswith(name) for line in lines), width  # whole, never cut
        if width is not None and width >= 200:
            assert all(len(line) <= width for line in lines)
    assert lines[-2] == name and "a_rather_long_data_file_name_indeed.csv" in lines[-1]


# ------------------------------------------------------------------------------- text
@pytest.fixture(scope="module")
def text_train(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """One text run shared by the tests below; whether it worked is a test of its own."""
    runs = tmp_path_factory.mktemp("runs")
    return seqlab("text-train", str(SAMPLES / "text" / "en_sentences.txt"), "--tokenizer",
                  "word", "--epochs", "4", "--runs-dir", str(runs), "--json")


@pytest.fixture
def text_run(text_train: subprocess.CompletedProcess[str]) -> dict:
    if text_train.returncode != 0:
        pytest.skip("the shared text run failed: see test_text_train_succeeds")
    return last_json(text_train.stdout)


def test_text_train_succeeds(text_train: subprocess.CompletedProcess[str]) -> None:
    assert text_train.returncode == 0, text_train.stderr
    assert last_json(text_train.stdout)["status"] == "finished"


def test_text_train_json(text_run: dict) -> None:
    for key in ("status", "run_dir", "vocab_size", "params", "val_perplexity",
                "unigram_perplexity"):
        assert key in text_run
    assert text_run["val_perplexity"] < text_run["unigram_perplexity"]


def test_generate_streams_tokens(text_run: dict) -> None:
    r = seqlab("generate", text_run["run_dir"], "--prompt", "I", "--tokens", "12", "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("I") and len(r.stdout.split()) >= 5
    again = seqlab("generate", text_run["run_dir"], "--prompt", "I", "--tokens", "12", "--seed", "3")
    assert again.stdout == r.stdout  # seeded


def test_probe_prints_top5_and_heatmap(text_run: dict) -> None:
    r = seqlab("probe", text_run["run_dir"], "--text", "I ate a lot of rice.", "--state", "f")
    assert r.returncode == 0, r.stderr
    assert "top 5" in r.stdout and "rice." in r.stdout
    # the map has one row per token and says that every timestep is shown
    assert "rows: timesteps, columns: units" in r.stdout and "t 1–6 of 6" in r.stdout
    assert "‖∂loss/∂h_t‖" in r.stdout
    bad = seqlab("probe", text_run["run_dir"], "--text", "   ")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_bidirectional_language_model_is_refused(tmp_path: Path) -> None:
    r = seqlab("text-train", str(SAMPLES / "text" / "en_sentences.txt"), "--bidirectional",
               "--runs-dir", str(tmp_path))
    assert r.returncode == 2 and "future" in r.stderr


@pytest.mark.parametrize(
    "content, words",
    [(b"", "empty"), (b"   \n\t\n", "whitespace"), (b"\x00\x00\x01binary", "binary"),
     (b"tiny text\n", "needs at least")],
    ids=["empty", "whitespace", "binary", "too-small"],
)
def test_nasty_text_files(content: bytes, words: str, tmp_path: Path) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    r = seqlab("text-train", str(f), "--runs-dir", str(tmp_path / "runs"))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert words in r.stderr.lower(), r.stderr
