"""Installed the way users install: a built wheel in a fresh virtual environment ships the
samples, and `seqlab samples` / `seqlab train` work from it (offline: no dependency is fetched,
the environment borrows this interpreter's installed packages)."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | Path, timeout: int = 300, **kw) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                         env={**env, "COLUMNS": "100"}, stdin=subprocess.DEVNULL, **kw)
    assert out.returncode == 0, f"{args}: {out.stderr[-2000:]}"
    return out


def test_wheel_ships_the_samples_and_trains(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
        "-w", dist, ROOT, cwd=tmp_path)
    wheel = next(dist.glob("seqlab-*.whl"))

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    py = venv / "bin" / "python"
    # The dependencies (torch, numpy, ...) come from this interpreter's site-packages, added as
    # plain paths: unlike --system-site-packages this runs none of their .pth hooks, so an
    # editable install of seqlab there cannot stand in for the wheel under test.
    purelib = run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    borrowed = [*site.getsitepackages(), sysconfig.get_paths()["purelib"]]
    Path(purelib.stdout.strip(), "borrowed.pth").write_text("\n".join(borrowed) + "\n")
    run(py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--no-build-isolation",
        wheel)

    where = run(py, "-c", "import seqlab; print(seqlab.__file__)", cwd=tmp_path).stdout
    assert Path(where.strip()).is_relative_to(venv), where  # the wheel, not this checkout

    seqlab = venv / "bin" / "seqlab"
    listed = run(seqlab, "samples", cwd=tmp_path).stdout.split()
    assert any(p.endswith("airline_passengers.csv") for p in listed), listed
    assert any(p.endswith("ko_sentences.txt") for p in listed), listed
    assert all(Path(p).is_relative_to(venv) and Path(p).is_file() for p in listed), listed
    sample = next(p for p in listed if p.endswith("airline_passengers.csv"))

    out = run(seqlab, "train", sample, "--epochs", "1", "--hidden", "4", "--difference",
              "--runs-dir", tmp_path / "runs", "--json", cwd=tmp_path).stdout
    assert '"status": "finished"' in out.splitlines()[-1]
