"""Long-format files: several series sharing the timestamps, one row per series and time.

Such a file sorted by time alone interleaves the series into one scrambled sequence. It is
detected from repeated timestamps, and the user chooses: ``series_id`` (one model across all
series; windows never cross series) or ``aggregate`` (sum or mean by time: one series).
numpy + pandas only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seqlab.config import DataConfig
from seqlab.data.csvio import Table
from seqlab.errors import DataError

LONG_RATIO = 1.5  # rows per distinct timestamp from which a file counts as long format


@dataclass(frozen=True)
class LongFormat:
    """What repeated timestamps say about a file."""

    rows: int
    times: int  # distinct timestamps
    candidates: list[str]  # columns that tell the series apart (time + column is unique)

    @property
    def per_time(self) -> float:
        return self.rows / max(self.times, 1)

    def describe(self, path: str) -> str:
        name = path.rsplit("/", 1)[-1]
        who = (f"the series seem told apart by '{self.candidates[0]}'" if self.candidates
               else "no column tells the series apart")
        choose = (f"--series-id {self.candidates[0]}" if self.candidates else "--series-id COL")
        return (f"{name} has {self.rows} rows for {self.times} timestamps (about "
                f"{self.per_time:.3g} per timestamp): it looks like long format, several series "
                f"sharing the timestamps, and {who}; choose {choose} (one model across all "
                "series) or --aggregate sum|mean (one series by time).")


def detect(table: Table) -> LongFormat | None:
    """A LongFormat when most timestamps repeat; None for a plain series."""
    key = table.time_key
    if key is None or table.time_column is None or len(key) < 2:
        return None
    times = int(len(np.unique(key)))
    if len(key) < LONG_RATIO * times:
        return None
    frame = table.frame
    candidates: list[str] = []
    text_cols = [c for c, k in table.column_kinds.items() if k == "text"]
    num_cols = [c for c, k in table.column_kinds.items() if k == "numeric"]
    per_time = len(key) / times
    for col in text_cols + num_cols:
        s = frame[col]
        if s.isna().any():
            continue
        if col in num_cols:
            v = s.to_numpy(dtype=np.float64)
            integral = bool(np.all(np.abs(v - np.round(v)) < 1e-9))
            if not integral or s.nunique() > 3 * per_time:
                continue  # a measured value, not a label
        pairs = pd.DataFrame({"t": key, "id": s.to_numpy()})
        if not pairs.duplicated().any():
            candidates.append(col)
    return LongFormat(rows=len(key), times=times, candidates=candidates)


def arrange(cfg: DataConfig, table: Table) -> tuple[Table, np.ndarray | None, list[str],
                                                    list[str]]:
    """(table, series index per row or None, series names, notes) for the chosen handling.

    ``series_id``: rows ordered by series, then time. ``aggregate``: one row per timestamp.
    Neither on a long-format file: a DataError naming the choice.
    """
    notes = list(table.notes)
    if cfg.series_id is not None:
        return _by_series(cfg.series_id, table, notes)
    if cfg.aggregate is not None:
        return _aggregate(cfg.aggregate, table, notes), None, [], notes
    found = detect(table)
    if found is not None:
        raise DataError(found.describe(table.path))
    return table, None, [], notes


def _drop_order_notes(notes: list[str]) -> list[str]:
    return [n for n in notes if "duplicated timestamps" not in n and "not in time order" not in n]


def _by_series(col: str, table: Table, notes: list[str]) -> tuple[Table, np.ndarray, list[str],
                                                                   list[str]]:
    kinds = table.column_kinds
    if col not in kinds:
        raise DataError(f"unknown series-id column '{col}': available columns are "
                        f"{', '.join(kinds)}.")
    if kinds[col] == "time":
        raise DataError(f"'{col}' is the time column; --series-id names the column that tells "
                        "the series apart (a store, a sensor, a region).")
    frame = table.frame
    s = frame[col]
    if s.isna().any():
        raise DataError(f"series-id column '{col}' has empty cells; fill them in.")
    codes, uniques = pd.factorize(s, sort=False)  # series in order of first appearance
    order = np.argsort(codes, kind="stable")  # rows stay in time order within a series
    key = table.time_key
    if key is not None:
        k = np.asarray(key)[order]
        c = codes[order]
        dup = np.flatnonzero((c[1:] == c[:-1]) & (k[1:] == k[:-1]))
        if len(dup):
            i = int(order[dup[0] + 1])
            raise DataError(f"series '{uniques[c[dup[0]]]}' has the timestamp "
                            f"{table.time_labels[i]} more than once (line {table.line_of(i)}): "
                            f"'{col}' does not tell the series apart on its own; choose another "
                            "--series-id or --aggregate.")
    new = dataclasses.replace(
        table,
        frame=frame.iloc[order].reset_index(drop=True),
        time_labels=[table.time_labels[i] for i in order],
        line_numbers=None if table.line_numbers is None else table.line_numbers[order],
        time_key=None if key is None else np.asarray(key)[order],
        numeric_columns=[c for c in table.numeric_columns if c != col],
    )
    names = [str(u) for u in uniques]
    notes = _drop_order_notes(notes)
    notes.append(f"long format: {len(names)} series told apart by '{col}' "
                 f"({', '.join(names[:4])}{', ...' if len(names) > 4 else ''}), each in time "
                 "order; one model learns from all of them")
    return new, codes[order].astype(np.int64), names, notes


def _aggregate(how: str, table: Table, notes: list[str]) -> Table:
    key = table.time_key
    if key is None or table.time_column is None:
        raise DataError("--aggregate needs a time column to group by; this file has none.")
    frame = table.frame
    numeric = list(table.numeric_columns)
    grouped = pd.DataFrame({c: frame[c] for c in numeric})
    grouped["__key"] = key
    agg = grouped.groupby("__key", sort=True)
    values = agg.sum(min_count=1) if how == "sum" else agg.mean()
    first = grouped.reset_index().groupby("__key", sort=True)["index"].min().to_numpy()
    out = frame.iloc[first][[table.time_column]].reset_index(drop=True)
    for c in numeric:
        out[c] = values[c].to_numpy()
    new = dataclasses.replace(
        table,
        frame=out,
        time_labels=[table.time_labels[i] for i in first],
        line_numbers=None if table.line_numbers is None else table.line_numbers[first],
        time_key=np.asarray(key)[first],
        column_kinds={c: k for c, k in table.column_kinds.items() if c in out.columns},
    )
    notes[:] = _drop_order_notes(notes)
    notes.append(f"long format: the {len(frame)} rows summed up by '{table.time_column}' into "
                 f"{len(out)} timestamps ({how} of {', '.join(numeric)})"
                 if how == "sum" else
                 f"long format: the {len(frame)} rows averaged by '{table.time_column}' into "
                 f"{len(out)} timestamps (mean of {', '.join(numeric)})")
    return new
