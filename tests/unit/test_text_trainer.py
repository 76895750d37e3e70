"""Text mode engine: LM training, the look-inside tools, and the JSON-lines LM service."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from seqlab.config import ModelConfig, TextConfig, TextRunConfig, TrainConfig
from seqlab.errors import SeqlabError
from seqlab.training.events import EpochEnd, ProbeSnapshot, RunEnd, loads
from seqlab.training.lm_service import serve
from seqlab.training.text_trainer import (
    TextTrainer,
    generate,
    load_lm,
    neighbours,
    probe_text,
)

TEXT = "\n".join(
    f"{who} {verb} {what}."
    for who in ("나는", "동생은", "엄마는", "친구는")
    for verb in ("밥을", "책을", "물을")
    for what in ("먹었다", "읽었다", "마셨다", "샀다")
) * 4


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunEnd, list[object]]:
    """One small run shared by the tests below; its outcome is checked by a test of its own,
    so a bad outcome fails that test instead of erroring every test that uses the run."""
    cfg = TextRunConfig(
        text=TextConfig(text=TEXT, tokenizer="word", window=8, embedding=16),
        model=ModelConfig(cell="gru", hidden_size=24),
        train=TrainConfig(epochs=15, lr=1e-2, patience=0, batch_size=16,
                          runs_dir=str(tmp_path_factory.mktemp("runs"))),
    )
    events: list[object] = []
    end = TextTrainer(cfg, callback=events.append).run()
    return end, events


@pytest.fixture
def run_dir(trained: tuple[RunEnd, list[object]]) -> Path:
    return Path(trained[0].run_dir)


def test_training_learns_and_probes(trained: tuple[RunEnd, list[object]]) -> None:
    end, events = trained
    assert end.status == "finished", end.reason
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert epochs[-1].val["perplexity"] < epochs[0].val["perplexity"]
    assert end.summary["val_perplexity"] < end.summary["unigram_perplexity"] / 2
    snaps = [e for e in events if isinstance(e, ProbeSnapshot)]
    assert snaps and len(snaps[-1].topk) == 8 and snaps[-1].max_abs_error < 1e-5


def test_run_files_and_reload(run_dir: Path) -> None:
    for name in ("config.toml", "metrics.jsonl", "model.pt", "summary.json", "vocab.json"):
        assert (run_dir / name).is_file(), name
    lm = load_lm(run_dir)
    assert lm.tokenizer.name == "word" and "밥을" in lm.vocab


def test_probe_text_labels_states_and_top5(run_dir: Path) -> None:
    lm = load_lm(run_dir)
    snap = probe_text(lm, "나는 밥을 먹었다.")
    assert snap.labels == ["나는", "밥을", "먹었다."]
    assert snap.states["h/0/fwd"].shape == (3, 24)
    assert set(snap.states) == {"h/0/fwd", "r/0/fwd", "z/0/fwd", "n/0/fwd"}
    assert snap.grads["0/fwd"].shape == (3,)
    for top in snap.topk:
        probs = [p for _, p in top]
        assert len(top) == 5 and probs == sorted(probs, reverse=True) and sum(probs) <= 1.0001
    # after "나는" the model has learned that an object comes next
    assert snap.topk[0][0][0] in ("밥을", "책을", "물을")


def test_generate_is_seeded_and_streams(run_dir: Path) -> None:
    lm = load_lm(run_dir)
    a = list(generate(lm, "나는", tokens=10, seed=1))
    b = list(generate(lm, "나는", tokens=10, seed=1))
    assert a == b and len(a) == 10
    top1 = list(generate(lm, "나는", tokens=10, top_k=1, seed=5))
    assert top1 == list(generate(lm, "나는", tokens=10, top_k=1, seed=6))  # greedy ignores seed
    with pytest.raises(SeqlabError, match="temperature"):
        list(generate(lm, "나는", temperature=0))


def test_neighbours_and_unknown_text(run_dir: Path) -> None:
    lm = load_lm(run_dir)
    near = neighbours(lm, "밥을", k=3)
    assert len(near) == 3 and all(-1 <= s <= 1 for _, s in near)
    assert "밥을" not in [t for t, _ in near]
    with pytest.raises(SeqlabError, match="vocabulary"):
        probe_text(lm, "zzz qqq")
    with pytest.raises(SeqlabError):
        neighbours(lm, "없는토큰")


def test_lm_service_answers_json_lines_and_survives_bad_commands(run_dir: Path) -> None:
    commands = "\n".join([
        json.dumps({"cmd": "probe", "text": "동생은 책을 읽었다."}),
        "not json",
        json.dumps({"cmd": "probe", "text": "   "}),
        json.dumps({"cmd": "generate", "prompt": "엄마는", "tokens": 4}),
        json.dumps({"cmd": "neighbours", "token": "책을", "k": 2}),
        json.dumps({"cmd": "dance"}),
    ]) + "\n"
    out = io.StringIO()
    assert serve(str(run_dir), io.StringIO(commands), out) == 0
    lines = out.getvalue().splitlines()
    assert json.loads(lines[0])["type"] == "Info"
    snap = loads(lines[1])
    assert isinstance(snap, ProbeSnapshot) and snap.labels[0] == "동생은"
    kinds = [json.loads(line).get("type") for line in lines[2:]]
    assert kinds == ["Error", "Error", "Token", "Token", "Token", "Token", "GenerateEnd",
                     "Neighbours", "Error"]
    assert np.isfinite(snap.states["h/0/fwd"]).all()


def test_lm_service_on_a_missing_run(tmp_path: Path) -> None:
    out = io.StringIO()
    assert serve(str(tmp_path), io.StringIO(""), out) == 2
    assert json.loads(out.getvalue())["type"] == "Error"


def test_text_config_refuses_bidirectional() -> None:
    cfg = TextRunConfig(text=TextConfig(text="a b c"), model=ModelConfig(bidirectional=True))
    with pytest.raises(SeqlabError, match="future"):
        cfg.validate()


def test_text_train_fits_the_window_and_records_it(tmp_path: Path) -> None:
    text = "\n".join(f"we saw {n} birds today." for n in ("two", "three", "four", "five") * 10)
    cfg = TextRunConfig(text=TextConfig(text=text, tokenizer="word"),
                        model=ModelConfig(hidden_size=8),
                        train=TrainConfig(epochs=1, runs_dir=str(tmp_path), probe_every=0))
    end = TextTrainer(cfg).run()
    assert end.status == "finished"
    saved = TextRunConfig.load(Path(end.run_dir) / "config.toml")
    assert saved.text.window == cfg.text.window < 32
