"""Where the bundled samples are: one locator for the command line and the lab.

An installed wheel (``pip install .``, ``pipx install``) carries them in the package as
``seqlab/sample_data``; a source checkout (and an editable install of one) keeps them in the
repository's ``sample_data/``, the paths the README uses.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
DEFAULT_NAME = "airline_passengers.csv"


def sample_dir() -> Path:
    """The folder holding the bundled samples (its ``text/`` holds the corpora)."""
    inside = _PACKAGE / "sample_data"
    if (inside / DEFAULT_NAME).is_file():
        return inside
    return _PACKAGE.parent / "sample_data"


def default_sample() -> Path:
    """The sample the lab opens when no file is given."""
    return sample_dir() / DEFAULT_NAME


def list_samples() -> list[Path]:
    """Every bundled series (CSV) and text corpus (TXT), series first."""
    d = sample_dir()
    return sorted(d.glob("*.csv")) + sorted((d / "text").glob("*.txt"))
