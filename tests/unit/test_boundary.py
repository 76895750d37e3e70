"""The engine never imports Textual; the cheap entry points never import torch."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import seqlab

ROOT = Path(seqlab.__file__).resolve().parent
ENGINE_PACKAGES = ("data", "text", "models", "training", "render")


def engine_modules() -> list[str]:
    names = ["seqlab", "seqlab.config", "seqlab.errors", "seqlab.cli"]
    for pkg in ENGINE_PACKAGES:
        path = ROOT / pkg
        if not path.is_dir():
            continue
        names.append(f"seqlab.{pkg}")
        for info in pkgutil.walk_packages([str(path)], prefix=f"seqlab.{pkg}."):
            names.append(info.name)
    return names


def _loaded_after_import(module: str) -> set[str]:
    code = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return set(out.stdout.split())


def test_engine_module_list_is_not_empty() -> None:
    mods = engine_modules()
    assert "seqlab.training.trainer" in mods
    assert any(m.startswith("seqlab.data.") for m in mods)


@pytest.mark.parametrize("module", engine_modules())
def test_engine_module_does_not_import_textual(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert "textual" not in loaded, f"{module} imports textual"


@pytest.mark.parametrize(
    "module",
    ["seqlab", "seqlab.cli", "seqlab.config", "seqlab.data", "seqlab.text", "seqlab.render"],
)
def test_cheap_modules_do_not_import_torch(module: str) -> None:
    assert "torch" not in _loaded_after_import(module)


def test_help_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from seqlab.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NOTORCH')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().endswith("NOTORCH")
