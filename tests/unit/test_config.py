from __future__ import annotations

import pytest

from seqlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from seqlab.errors import ConfigError


def test_toml_round_trip_keeps_every_setting() -> None:
    cfg = RunConfig(
        data=DataConfig(path="x.csv", target="y", features=["a", "y"], window=12, horizon=3,
                        split=(0.6, 0.2, 0.2), difference=True, sha256="ab" * 32),
        model=ModelConfig(cell="gru", hidden_size=16, num_layers=2, bidirectional=True, dropout=0.1),
        train=TrainConfig(epochs=5, lr=0.01, seed=7, runs_dir="r"),
    )
    back = RunConfig.from_toml(cfg.to_toml())
    assert back == cfg


def test_unset_optionals_are_left_out_and_come_back_as_none() -> None:
    cfg = RunConfig(data=DataConfig(path="x.csv"))
    text = cfg.to_toml()
    assert "target" not in text
    assert RunConfig.from_toml(text).data.target is None


@pytest.mark.parametrize(
    "mutate, words",
    [
        (lambda c: setattr(c.data, "window", 0), "window"),
        (lambda c: setattr(c.data, "split", (0.5, 0.5, 0.5)), "add up to 1"),
        (lambda c: setattr(c.model, "cell", "transformer"), "unknown model"),
        (lambda c: setattr(c.model, "dropout", 1.0), "dropout"),
        (lambda c: setattr(c.train, "lr", 0.0), "learning rate"),
        (lambda c: setattr(c.train, "device", "tpu"), "unknown device"),
    ],
)
def test_invalid_settings_are_refused_with_one_line(mutate, words: str) -> None:
    cfg = RunConfig(data=DataConfig(path="x.csv"))
    mutate(cfg)
    with pytest.raises(ConfigError) as info:
        cfg.validate()
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_keys_and_bad_toml_are_config_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        RunConfig.from_toml('[model]\ncells = "lstm"\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        RunConfig.from_toml("[model\n")
    with pytest.raises(ConfigError, match="not found"):
        RunConfig.load(tmp_path / "missing.toml")
