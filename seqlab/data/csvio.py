"""Read a CSV into a :class:`Table`: encoding, delimiter, decimal comma, time column, checks.

Every problem a user can fix raises :class:`~seqlab.errors.DataError` with one line saying what
is wrong and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from seqlab.data.timecol import TimeInfo, mixed_formats, parse_numeric_time, parse_text_time
from seqlab.errors import DataError
from seqlab.inputfile import check_input_file, decode_cp949

_DELIMS = ("\t", ";", ",")  # preference order when several split the sample equally well
_DELIM_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_DEC_COMMA = re.compile(r"^\s*[-+]?\d*,\d+(?:[eE][-+]?\d+)?\s*$")
_NUMBERISH = re.compile(r"^\s*[-+]?[\d.,]+(?:[eE][-+]?\d+)?\s*$")
_THOUSANDS = re.compile(r"^\s*[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*$")


@dataclass
class Table:
    """A loaded CSV, sorted by time when it has a time column."""

    path: str
    frame: pd.DataFrame  # sorted by time if a time column exists; original column names
    time_column: str | None  # detected time column (not a feature)
    time_labels: list[str]  # one label per row (row index 0.. when there is no time column)
    numeric_columns: list[str]  # numeric columns except the time column
    column_kinds: dict[str, str]  # column -> "time" | "numeric" | "text"
    delimiter: str
    encoding: str
    notes: list[str] = field(default_factory=list)
    line_numbers: np.ndarray | None = None  # file line (1-based, header = 1) of each frame row
    text_examples: dict[str, tuple[str, int]] = field(default_factory=dict)  # col -> (value, line)
    time_kind: str = ""  # "quarter" | "month" | "date" | "year" | "index" ("" without time)
    time_step_s: float = float("nan")  # dates: usual spacing in seconds
    time_key: np.ndarray | None = None  # sortable time of each (sorted) row

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def line_of(self, row: int) -> int:
        """File line number of frame row ``row`` (for messages)."""
        if self.line_numbers is None or row >= len(self.line_numbers):
            return row + 2
        return int(self.line_numbers[row])


def read_table(path: str | Path, time_column: str | None = None) -> Table:
    """Load and check a CSV. ``time_column`` forces the time column instead of detecting it."""
    p = Path(path)
    try:
        return _read_table(p, time_column)
    except csv.Error as exc:  # e.g. a field over the csv module's 128 KB limit
        raise DataError(f"cannot read {p} as CSV ({exc}); check its quotes and delimiters "
                        "(a huge field usually means an unclosed quote).") from None


def _read_table(p: Path, time_column: str | None) -> Table:
    raw = _read_bytes(p)
    text, encoding = _decode(raw, p)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DataError(f"{p} is empty; give a CSV with a header row and data rows.")
    delim = sniff_delimiter(text)
    # One column: an empty cell is an empty line, so keep empty lines as missing values.
    first = next(ln for ln in text.split("\n") if ln.strip())
    single = len(next(csv.reader([first], delimiter=delim))) == 1
    frame = _parse(text, delim, p, keep_blank=single)
    notes: list[str] = []
    lines = _line_numbers(text, len(frame), delim, keep_blank=single)

    frame.columns = [str(c).strip() for c in frame.columns]
    empty_unnamed = [c for c in frame.columns
                     if c.startswith("Unnamed:") and frame[c].isna().all()]
    if empty_unnamed:
        frame = frame.drop(columns=empty_unnamed)
        notes.append(f"ignored {len(empty_unnamed)} empty unnamed column(s) "
                     "(trailing delimiters)")

    kinds: dict[str, str] = {}
    examples: dict[str, tuple[str, int]] = {}
    dec_comma = False
    for col in list(frame.columns):
        s = frame[col]
        if pd.api.types.is_bool_dtype(s):
            frame[col] = s.astype(np.float64)
            kinds[col] = "numeric"
        elif pd.api.types.is_numeric_dtype(s):
            kinds[col] = "numeric"
        else:
            conv, used_comma = _to_number(s, delim)
            if conv is not None:
                frame[col] = conv
                kinds[col] = "numeric"
                dec_comma = dec_comma or used_comma
            else:
                kinds[col] = "text"
                examples[col] = _first_non_number(s, lines)
    if delim != "," and dec_comma:
        notes.append("read numbers with a decimal comma (e.g. 1,5 = 1.5)")

    tcol, info = _find_time(frame, kinds, time_column, lines, notes)
    labels: list[str]
    if tcol is not None and info is not None:
        kinds[tcol] = "time"
        frame, lines, labels, time_key = _order_by_time(frame, lines, info, tcol, notes)
    else:
        time_key = None
        labels = [str(i) for i in range(len(frame))]

    numeric = [c for c in frame.columns if kinds[c] == "numeric"]
    if not numeric:
        desc = ", ".join(f"{c} ({kinds[c]})" for c in frame.columns)
        hint = ""
        for col, (val, line) in examples.items():
            if col != tcol:  # the time column's values are times, not failed numbers
                hint = f" Column '{col}' has the non-number {val!r} at line {line}."
                break
        raise DataError(f"{p} has no numeric column (columns: {desc}); seqlab needs at least "
                        f"one column of numbers to forecast.{hint}")
    return Table(path=str(p), frame=frame, time_column=tcol, time_labels=labels,
                 numeric_columns=numeric, column_kinds=kinds, delimiter=delim,
                 encoding=encoding, notes=notes, line_numbers=lines, text_examples=examples,
                 time_kind=info.kind if info is not None and tcol else "",
                 time_step_s=info.step_s if info is not None and tcol else float("nan"),
                 time_key=time_key)


def sniff_delimiter(text: str) -> str:
    """Pick tab, semicolon or comma: the one that splits the first lines into equal counts."""
    sample = [ln for ln in text.split("\n", 200)[:200] if ln.strip()][:50]
    best: str | None = None
    best_score = -1.0
    for d in _DELIMS:
        counts = [len(r) for r in csv.reader(sample, delimiter=d)]
        if not counts or counts[0] < 2:
            continue
        rest = counts[1:]
        score = 1.0 if not rest else sum(c == counts[0] for c in rest) / len(rest)
        if score > best_score:
            best, best_score = d, score
    if best is not None:
        return best
    # One column: commas only in the data rows mean decimal commas ("value\n1,5\n2,5").
    if len(sample) > 1 and "," not in sample[0] and any("," in ln for ln in sample[1:]):
        return ";"
    return ","


def _read_bytes(p: Path) -> bytes:
    check_input_file(p, "data file")  # a FIFO, a device or a binary file is refused unread
    try:
        with open(p, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise DataError(f"data file {p} not found; check the path (relative paths start in "
                        "the current folder).") from None
    except IsADirectoryError:
        raise DataError(f"{p} is a folder, not a CSV file; pass the path of a .csv file.") \
            from None
    except PermissionError:
        raise DataError(f"cannot read {p}: permission denied; check the file's permissions "
                        "or copy it somewhere readable.") from None
    except OSError as exc:
        raise DataError(f"cannot read {p}: {exc.strerror or exc}; check the file.") from None


def _decode(raw: bytes, p: Path) -> tuple[str, str]:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in raw:
        raise DataError(f"{p} looks like a binary file, not a CSV (it contains NUL bytes); "
                        "export or save it as CSV (UTF-8) and try again.")
    try:
        text = raw.decode("utf-8-sig")
        return text, "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        pass
    return decode_cp949(raw, p, "CSV"), "cp949"


def _parse(text: str, delim: str, p: Path, keep_blank: bool = False) -> pd.DataFrame:
    decimal = "," if delim != "," else "."
    if keep_blank:
        text = text.lstrip()
    try:
        with warnings.catch_warnings():
            # Rows longer than the header: pandas warns that it drops their extra fields (with
            # index_col=False; without it, it would quietly take the first column as row labels).
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=delim, decimal=decimal, index_col=False,
                                skipinitialspace=True, skip_blank_lines=not keep_blank)
    except pd.errors.EmptyDataError:
        raise DataError(f"{p} is empty; give a CSV with a header row and data rows.") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        _raise_if_ragged(text, delim, p)
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else "parse error"
        raise DataError(f"cannot read {p} as CSV ({msg}); check its quotes and delimiters.") \
            from None
    if keep_blank and len(frame):  # drop the empty lines at the end of the file
        filled = np.flatnonzero(frame.notna().any(axis=1).to_numpy())
        frame = frame.iloc[: (int(filled[-1]) + 1) if len(filled) else 0]
    if len(frame) == 0:
        raise DataError(f"{p} has a header but no data rows; add rows of data below the header.")
    if frame.isna().to_numpy().any():
        _raise_if_ragged(text, delim, p)  # short rows show up as missing values
    return frame


def _raise_if_ragged(text: str, delim: str, p: Path) -> None:
    reader = csv.reader(io.StringIO(text), delimiter=delim, skipinitialspace=True)
    expected: int | None = None
    start = 1
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            start = reader.line_num + 1
            continue
        if expected is None:
            expected = len(row)
        elif len(row) != expected:
            if any("\n" in f for f in row):
                raise DataError(f"{p} has an unclosed quote (\") near line {start}; close or "
                                "remove it and try again.")
            name = _DELIM_NAMES[delim]
            raise DataError(f"{p} line {reader.line_num} has {len(row)} field(s) but the "
                            f"header has {expected} ({name}-separated); fix that row (a stray "
                            "delimiter or a missing field) and try again.")
        start = reader.line_num + 1


def _line_numbers(text: str, n_rows: int, delim: str = ",",
                  keep_blank: bool = False) -> np.ndarray:
    """File line (1-based) of each data row, skipping blank lines like pandas does.

    pandas skips a line of nothing but spaces and tabs (a tab delimiter makes it a row)."""
    b = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    nl = np.flatnonzero(b == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(b)]))
    space = (b == 32) | ((b == 9) & (delim != "\t"))
    filled = np.concatenate(([0], np.cumsum(~space & (b != 10))))
    nonblank = np.flatnonzero(filled[ends] > filled[starts]) + 1
    if keep_blank and len(nonblank):
        data = np.arange(nonblank[0] + 1, nonblank[0] + 1 + n_rows)
    else:
        data = nonblank[1:]
    if len(data) != n_rows:  # quoted line breaks etc.: fall back to "header + row"
        return np.arange(n_rows, dtype=np.int64) + 2
    return data.astype(np.int64)


def _to_number(s: pd.Series, delim: str) -> tuple[pd.Series | None, bool]:
    """Convert a text column to float if every value is a number; (series, used decimal comma)."""
    try:
        return _floats(s), False
    except (ValueError, TypeError):
        pass
    vals = s.dropna().astype(str)
    if len(vals) == 0 or not vals.iloc[:50].str.match(_NUMBERISH).any():
        return None, False
    text = s.astype(str)
    if delim != "," and vals.str.match(_DEC_COMMA).any():
        try:
            return _floats(text.str.replace(",", ".", regex=False).where(s.notna())), True
        except (ValueError, TypeError):
            return None, False
    if delim == "," and vals.str.match(_THOUSANDS).any():
        try:
            return _floats(text.str.replace(",", "", regex=False).where(s.notna())), False
        except (ValueError, TypeError):
            return None, False
    return None, False


def _floats(text: pd.Series) -> pd.Series:
    """``pd.to_numeric`` as float64; an integer too long for a float is infinite, as 1e400 is."""
    try:
        return pd.to_numeric(text).astype(np.float64)
    except OverflowError:  # float() of the digits gives inf where pandas gives up
        return pd.Series([float(str(x)) for x in text], index=text.index, dtype=np.float64)


def _first_non_number(s: pd.Series, lines: np.ndarray) -> tuple[str, int]:
    for part in (s.iloc[:1000], s):
        num = pd.to_numeric(part, errors="coerce")
        bad = np.flatnonzero((num.isna() & part.notna()).to_numpy())
        if len(bad):
            break
    if len(bad) == 0:
        return "", int(lines[0]) if len(lines) else 2
    i = int(bad[0])
    return str(s.iloc[i]), int(lines[i])


def _find_time(frame: pd.DataFrame, kinds: dict[str, str], forced: str | None,
               lines: np.ndarray, notes: list[str]) -> tuple[str | None, TimeInfo | None]:
    if forced is not None:
        if forced not in frame.columns:
            raise DataError(f"unknown time column '{forced}': available columns are "
                            f"{', '.join(frame.columns)}.")
        s = frame[forced]
        _check_time_gaps(forced, s, lines)
        if kinds[forced] == "numeric":
            info = parse_numeric_time(forced, s, forced=True)
        else:
            info = parse_text_time(s)
        if info is None:
            raise DataError(f"column '{forced}' cannot be read as times (dates like 2020-03-05, "
                            "months like 1949-01, quarters like 1959Q1, or numbers); choose "
                            "another --time-column.")
        return forced, info
    numeric_pick: tuple[str, TimeInfo] | None = None
    for col in frame.columns:
        s = frame[col]
        if kinds[col] == "text":
            nonnull = s.dropna()
            if len(nonnull) == 0:
                continue
            info = parse_text_time(nonnull)
            if info is not None:
                _check_time_gaps(col, s, lines)
                return col, info
            mixed = mixed_formats(nonnull)
            if mixed is not None:
                rows = sorted(int(frame.index.get_loc(nonnull.index[k])) for k in mixed)
                (i, a), (j, b) = ((r, str(s.iloc[r])) for r in rows)
                notes.append(f"column '{col}' looks like dates in mixed formats ({a!r} at line "
                             f"{int(lines[i])}, {b!r} at line {int(lines[j])}), so it is not "
                             "used as time: rows stay in file order; write every date one way "
                             "(e.g. 2020-01-31) to order and label rows by it")
        elif numeric_pick is None and not s.isna().any():
            info = parse_numeric_time(col, s)
            if info is not None:
                numeric_pick = (col, info)
    if numeric_pick is not None:
        return numeric_pick
    return None, None


def _check_time_gaps(col: str, s: pd.Series, lines: np.ndarray) -> None:
    miss = np.flatnonzero(s.isna().to_numpy())
    if len(miss):
        raise DataError(f"time column '{col}' has {len(miss)} empty value(s) (first at line "
                        f"{int(lines[miss[0]])}); fill them in or delete those rows.")


def _order_by_time(frame: pd.DataFrame, lines: np.ndarray, info: TimeInfo, col: str,
                   notes: list[str]) -> tuple[pd.DataFrame, np.ndarray, list[str], np.ndarray]:
    key = info.key
    labels = info.labels
    if len(key) > 1 and bool(np.any(key[1:] < key[:-1])):
        order = np.argsort(key, kind="stable")
        frame = frame.iloc[order].reset_index(drop=True)
        lines = lines[order]
        key = key[order]
        labels = labels[order]
        notes.append(f"rows were not in time order; sorted them by '{col}' (rows sharing a "
                     "timestamp keep their file order)")
    if len(key) > 1:
        dup = np.flatnonzero(key[1:] == key[:-1]) + 1
        if len(dup):
            first = int(dup[np.argmin(lines[dup])])
            notes.append(f"{len(dup)} duplicated timestamps (first at line {int(lines[first])}, "
                         f"{labels[first]})")
        uniq_idx = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        if len(uniq_idx) > 2:
            gaps = np.diff(key[uniq_idx].astype(np.float64))
            step = float(np.median(gaps))
            big = np.flatnonzero(gaps > 1.5 * step)
            if step > 0 and len(big):
                after = labels[uniq_idx[big[0]]]
                notes.append(f"irregular spacing: {len(big)} gaps larger than the usual step "
                             f"(first after {after})")
    return frame, lines, [str(x) for x in labels], key
