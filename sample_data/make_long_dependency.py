"""Generate ``long_dependency.csv``: a synthetic series whose target is an input from 20 steps ago.

The lesson: with ``--window 24`` the value that matters sits near the far (oldest) end of every
window, so the network must carry it through about 20 recurrent steps of distracting input.
Gated cells (GRU, LSTM) can learn to hold it; a plain tanh RNN usually cannot and settles for
predicting the mean.

Generating process (numpy only, fixed seed, so the file is identical on every run)::

    signal[t] = 0                      with probability 0.9
              = s * a, a ~ U(0.5, 1.0), s = +1 or -1 at random   (a spike, probability 0.1)
    noise[t]  ~ N(0, 0.5^2)            a dense distractor, unrelated to the target
    target[t] = signal[t - 20] + e[t], e[t] ~ N(0, 0.02^2)

The process runs for N + LAG steps and the first LAG are dropped, so every written row has a
defined target. Columns: ``step`` (0..N-1, the time column), ``signal``, ``noise``, ``target``.

Usage::

    python sample_data/make_long_dependency.py      # rewrites sample_data/long_dependency.csv
    seqlab train sample_data/long_dependency.csv --target target --window 24 --model gru
    seqlab train sample_data/long_dependency.csv --target target --window 24 --model rnn
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SEED = 7
N = 3000  # rows written
LAG = 20  # target[t] = signal[t - LAG]
SPIKE_PROB = 0.1
NOISE_SD = 0.5  # distractor column
TARGET_NOISE_SD = 0.02
DECIMALS = 6

OUT = Path(__file__).resolve().parent / "long_dependency.csv"


def generate() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    total = N + LAG
    spikes = rng.random(total) < SPIKE_PROB
    amplitude = rng.uniform(0.5, 1.0, total) * rng.choice([-1.0, 1.0], total)
    signal = np.where(spikes, amplitude, 0.0)
    noise = rng.normal(0.0, NOISE_SD, total)
    target = np.zeros(total)
    target[LAG:] = signal[:-LAG]
    target += rng.normal(0.0, TARGET_NOISE_SD, total)
    keep = slice(LAG, None)
    return {
        "step": np.arange(N),
        "signal": np.round(signal[keep], DECIMALS),
        "noise": np.round(noise[keep], DECIMALS),
        "target": np.round(target[keep], DECIMALS),
    }


def write(path: Path = OUT) -> None:
    cols = generate()
    lines = ["step,signal,noise,target"]
    for i in range(N):
        lines.append(
            f"{cols['step'][i]},{cols['signal'][i]:.{DECIMALS}f},"
            f"{cols['noise'][i]:.{DECIMALS}f},{cols['target'][i]:.{DECIMALS}f}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
    print(f"wrote {OUT} ({N} rows, lag {LAG})")
