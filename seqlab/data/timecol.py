"""Find and parse the time column: ISO dates, ``YYYY-MM``, quarters like ``1959Q1``, years."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Column names that hint at time (compared as whole names or as name tokens).
TIME_HINTS = frozenset(
    {"year", "yr", "years", "date", "time", "month", "period", "ds", "datetime", "timestamp",
     "day", "week", "quarter", "qtr", "t", "dt", "step", "timestep", "hour", "minute",
     "날짜", "일자", "연도", "년도", "시간", "기간", "월", "년"}
)

_QUARTER = re.compile(r"^(\d{4})\s*[-/ ]?\s*[Qq]([1-4])$")
_QUARTER_REV = re.compile(r"^[Qq]([1-4])\s*[-/ ]?\s*(\d{4})$")
_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})\.?$")
_DATE_FORMATS = (
    "%Y/%m/%d", "%Y.%m.%d", "%Y.%m.%d.", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%Y%m%d",
)
_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S")


@dataclass
class TimeInfo:
    """A parsed time column: a sortable key and a compact label per row."""

    key: np.ndarray  # float64 or int64, sortable, one per row
    labels: np.ndarray  # object array of str, one per row
    kind: str  # "quarter" | "month" | "date" | "year" | "index"
    step_s: float = math.nan  # dates: the usual spacing in seconds (median of distinct gaps)


def name_hints_time(name: str) -> bool:
    low = name.strip().lower()
    if low in TIME_HINTS:
        return True
    tokens = [t for t in re.split(r"[^0-9a-z가-힣]+", low) if t]
    return any(t in TIME_HINTS and len(t) > 1 for t in tokens)


def parse_text_time(values: pd.Series) -> TimeInfo | None:
    """Parse a column of strings as times; None unless every value parses."""
    # every value is stripped: a space anywhere (a CSV's trailing space) must not change how
    # the whole column reads
    s = values.astype(str).str.strip()
    if len(s) == 0:
        return None
    info = _quarters(s) or _months(s)
    if info is not None:
        return info
    dt = _datetimes(s)
    return None if dt is None else _from_datetimes(dt)


def mixed_formats(values: pd.Series) -> tuple[int, int] | None:
    """For a text column that did not parse as times: (i, j), positions of two values that
    parse as dates in two different formats, when at least half of the values parse with one
    format (a date column written in mixed formats); None otherwise. Only the first 1000 values
    are read (a bounded cost on a long column); in a tie the format tried first is the main one
    (ISO 8601 first)."""
    s = values.astype(str).str.strip().iloc[:1000]
    if len(s) < 2 or not any(ch.isdigit() for ch in s.iloc[0]):
        return None
    best: pd.Series | None = None
    for fmt in ("ISO8601", *(f + t for f in _DATE_FORMATS for t in _TIME_SUFFIXES)):
        try:
            ok = pd.to_datetime(s, errors="coerce", format=fmt).notna()
        except (ValueError, TypeError, OverflowError):
            continue
        if best is None or int(ok.sum()) > int(best.sum()):
            best = ok
    if best is None or not best.any() or best.all() or best.mean() < 0.5:
        return None
    i = int(np.flatnonzero(best.to_numpy())[0])
    bad = np.flatnonzero(~best.to_numpy())
    for j in bad:  # a value that parses in some other format: a date, not a stray word
        for fmt in ("ISO8601", *_DATE_FORMATS):
            if pd.notna(pd.to_datetime(s.iloc[int(j)], errors="coerce", format=fmt)):
                return i, int(j)
    return None


def parse_numeric_time(name: str, values: pd.Series, forced: bool = False) -> TimeInfo | None:
    """A numeric column as time: years (``1700`` or ``1700.0``), ``YYYYMMDD`` or an index.

    Conservative: without a name hint only an integral, strictly increasing, evenly spaced
    column of years (1000..2300) counts. ``forced`` (the user named it) accepts any numbers.
    """
    v = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if len(v) == 0 or not np.isfinite(v).all():
        return None
    hint = name_hints_time(name)
    integral = bool(np.all(np.abs(v - np.round(v)) < 1e-9))
    in_years = integral and bool(np.all((v >= 1000) & (v <= 2300)))
    if integral and hint and bool(np.all((v >= 10000101) & (v <= 23001231))):
        dt = pd.to_datetime(pd.Series(v.astype(np.int64).astype(str)), format="%Y%m%d",
                            errors="coerce")
        if dt.notna().all():
            return _from_datetimes(dt)
    if in_years:
        diffs = np.diff(v)
        evenly_increasing = len(v) > 2 and bool(np.all(diffs > 0)) and np.ptp(diffs) < 1e-9
        unique = len(np.unique(v)) == len(v)
        if (hint and unique) or forced or evenly_increasing:
            labels = np.array([str(int(round(x))) for x in v], dtype=object)
            return TimeInfo(key=v, labels=labels, kind="year")
        return None
    if forced or (hint and len(v) > 1 and bool(np.all(np.diff(v) > 0))):
        if integral:
            labels = np.array([str(int(round(x))) for x in v], dtype=object)
        else:
            labels = np.array([f"{x:g}" for x in v], dtype=object)
        return TimeInfo(key=v, labels=labels, kind="index")
    return None


def _quarters(s: pd.Series) -> TimeInfo | None:
    if not _QUARTER.match(s.iloc[0]) and not _QUARTER_REV.match(s.iloc[0]):
        return None
    fwd = s.str.extract(_QUARTER)
    if fwd.notna().all().all():
        year = fwd[0].astype(int).to_numpy()
        q = fwd[1].astype(int).to_numpy()
    else:
        rev = s.str.extract(_QUARTER_REV)
        if not rev.notna().all().all():
            return None
        year = rev[1].astype(int).to_numpy()
        q = rev[0].astype(int).to_numpy()
    key = (year * 4 + q - 1).astype(np.int64)
    labels = np.array([f"{y}Q{qq}" for y, qq in zip(year, q, strict=True)], dtype=object)
    return TimeInfo(key=key, labels=labels, kind="quarter")


def _months(s: pd.Series) -> TimeInfo | None:
    if not _MONTH.match(s.iloc[0]):
        return None
    m = s.str.extract(_MONTH)
    if not m.notna().all().all():
        return None
    year = m[0].astype(int).to_numpy()
    month = m[1].astype(int).to_numpy()
    if not np.all((month >= 1) & (month <= 12)):
        return None
    key = (year * 12 + month - 1).astype(np.int64)
    labels = np.array([f"{y:04d}-{mm:02d}" for y, mm in zip(year, month, strict=True)],
                      dtype=object)
    return TimeInfo(key=key, labels=labels, kind="month")


def _datetimes(s: pd.Series) -> pd.Series | None:
    first = s.iloc[0]
    # a first value without a digit or under 6 characters ("2020", "12", "A1") is no date
    if not any(ch.isdigit() for ch in first) or len(first) < 6:
        return None
    attempts: list[dict[str, object]] = [{"format": "ISO8601"}]
    attempts += [{"format": f + t} for f in _DATE_FORMATS for t in _TIME_SUFFIXES]
    for kwargs in attempts:
        try:
            dt = pd.to_datetime(s, errors="coerce", **kwargs)  # type: ignore[call-overload]
        except (ValueError, TypeError, OverflowError):
            try:
                dt = pd.to_datetime(s, errors="coerce", utc=True, **kwargs)  # type: ignore[call-overload]
            except (ValueError, TypeError, OverflowError):
                continue
        if dt.notna().all():
            return dt
    return None


def _from_datetimes(dt: pd.Series) -> TimeInfo:
    if getattr(dt.dt, "tz", None) is not None:
        dt = dt.dt.tz_localize(None)
    arr = dt.to_numpy()
    secs = arr.astype("datetime64[s]")
    day = secs.astype("datetime64[D]")
    if np.all(secs == day):
        unit = "D"
    elif np.all(secs == secs.astype("datetime64[m]")):
        unit = "m"
    else:
        unit = "s"
    labels = np.datetime_as_string(arr, unit=unit).astype(object)
    if unit != "D":
        labels = np.array([x.replace("T", " ") for x in labels], dtype=object)
    key = arr.view(np.int64) if arr.dtype.kind == "M" else secs.view(np.int64)
    distinct = np.unique(secs.view(np.int64))
    step = float(np.median(np.diff(distinct))) if len(distinct) > 1 else math.nan
    return TimeInfo(key=key.astype(np.int64), labels=labels, kind="date", step_s=step)


# The seasonal period forecasters use for each sampling frequency (Hyndman & Athanasopoulos,
# "Forecasting: Principles and Practice", section 2.1): a year of months or quarters, a week of
# days, a year of weeks, a day of hours.
_DAY = 86400.0


def season_of(kind: str, step_s: float = math.nan) -> tuple[int, str]:
    """(seasonal period, the frequency in words) for a time column; 1 when none applies."""
    if kind == "month":
        return 12, "monthly"
    if kind == "quarter":
        return 4, "quarterly"
    if kind == "year":
        return 1, "yearly"
    if kind == "date" and math.isfinite(step_s) and step_s > 0:
        for lo, hi, m, name in ((3300, 3900, 24, "hourly"), (0.9 * _DAY, 1.1 * _DAY, 7, "daily"),
                                (6.5 * _DAY, 7.5 * _DAY, 52, "weekly"),
                                (27 * _DAY, 32 * _DAY, 12, "monthly"),
                                (88 * _DAY, 93 * _DAY, 4, "quarterly")):
            if lo <= step_s <= hi:
                return m, name
        return 1, "irregular or other spacing"
    return 1, "no calendar frequency"
