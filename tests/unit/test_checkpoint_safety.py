"""Checkpoints are loaded only with a torch where weights_only=True is safe."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_checkpoints_are_refused_with_a_torch_where_weights_only_is_unsafe(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from seqlab.errors import SeqlabError
    from seqlab.training import trainer

    path = tmp_path / "model.pt"
    torch.save({"state_dict": {}, "config": {}}, path)
    assert trainer.torch_version("2.13.0+cpu") == (2, 13, 0) > trainer.SAFE_TORCH
    monkeypatch.setattr(torch, "__version__", "2.5.1")
    with pytest.raises(SeqlabError, match="CVE-2025-32434"):
        trainer.load_payload(path)
