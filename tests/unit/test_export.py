"""Sharing a run: SVG/HTML views that open, the probe as arrays, versions in the config."""

from __future__ import annotations

import platform
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import tomllib
import torch

from seqlab.cli import main
from seqlab.config import RunConfig
from seqlab.data import prepare
from seqlab.training.export import export_views, probe_arrays
from seqlab.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = RunConfig()
    cfg.data.path = str(ROOT / "sample_data" / "us_macro_quarterly.csv")
    cfg.data.target = "infl"
    cfg.data.window = 8
    cfg.data.difference = "no"  # inputs read as levels: x_original is the CSV's rows
    cfg.model.cell = "lstm"
    cfg.model.hidden_size = 3
    cfg.model.num_layers = 2
    cfg.train.epochs = 2
    cfg.train.threads = 1
    cfg.train.runs_dir = str(tmp_path_factory.mktemp("runs"))
    end = Trainer(cfg).run()
    assert end.status == "finished"
    return Path(end.run_dir)


def test_config_records_versions_beside_the_data_hash(run_dir: Path) -> None:
    raw = tomllib.loads((run_dir / "config.toml").read_text())
    assert len(raw["data"]["sha256"]) == 64
    assert raw["versions"]["torch"] == torch.__version__
    assert raw["versions"]["python"] == platform.python_version()
    assert raw["versions"]["seqlab"]
    again = RunConfig.load(run_dir / "config.toml")  # and it loads back
    assert again.versions == raw["versions"]


def test_export_writes_views_that_open(run_dir: Path, tmp_path: Path) -> None:
    written = export_views(run_dir, tmp_path / "out")
    names = sorted(p.name for p in written)
    assert names == ["hidden.html", "hidden.svg", "train.html", "train.svg"]
    for svg in ("train.svg", "hidden.svg"):
        root = ET.parse(tmp_path / "out" / svg).getroot()
        assert root.tag.endswith("svg")
        text = "".join(root.itertext())
        assert run_dir.name[:10] in text.replace("\u00a0", " ")
    html = (tmp_path / "out" / "hidden.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "forget gate" in html
    assert "‖∂ŷ/∂x_t‖" in html
    train = (tmp_path / "out" / "train.html").read_text()
    assert "persistence" in train and "loss per epoch" in train


def test_export_command(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["export", str(run_dir), "--out", str(tmp_path), "--format", "svg"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hidden.svg", "train.svg"]
    assert main(["export", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a run directory" in err


def test_probe_npz_holds_the_exact_window_and_internals(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "probe.npz"
    assert main(["probe", str(run_dir), "--npz", str(out), "--sample", "5"]) == 0
    arrays = np.load(out)  # no pickle needed
    cfg = RunConfig.load(run_dir / "config.toml")
    prep = prepare(cfg.data)
    np.testing.assert_array_equal(arrays["x"], prep.val.X[5])
    np.testing.assert_allclose(arrays["x_original"][:, list(prep.feature_names).index("infl")],
                               prep.target_values[prep.val.starts[5]: prep.val.starts[5] + 8],
                               rtol=1e-5, atol=1e-4)
    assert list(arrays["labels"]) == prep.input_labels(prep.val, 5)
    assert int(arrays["sample"]) == 5
    for layer in (0, 1):
        for kind in ("h", "c", "i", "f", "g", "o"):
            assert arrays[f"{kind}_l{layer}_fwd"].shape == (8, 3)
        assert arrays[f"grad_l{layer}_fwd"].shape == (8,)
    assert arrays["input_grad"].shape == (8,) and (arrays["input_grad"] > 0).all()
    again = probe_arrays(run_dir, 5)
    np.testing.assert_array_equal(again["h_l1_fwd"], arrays["h_l1_fwd"])
    assert main(["probe", str(run_dir), "--npz", str(out), "--sample", "100000"]) == 2
