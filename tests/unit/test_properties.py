"""Property-based tests: random tables and random TOML never give anything but a result or a
SeqlabError (one line, no traceback) from CSV loading, preparation and config parsing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import tempfile
from pathlib import Path

import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from seqlab.config import DataConfig, RunConfig, TextRunConfig
from seqlab.data import prepare, read_table
from seqlab.errors import SeqlabError

CSV_EXAMPLES = 100
TOML_EXAMPLES = 300

# -------------------------------------------------------------------------------- tables
names = st.one_of(
    st.sampled_from(["v", "date", "t", "y", "v[/x]", "[bold]", "값", "a b", "", " ", "v"]),
    st.text(min_size=0, max_size=8),
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0, 1e301, -1e-300, 5e38, 1e19]),
)
cells = st.one_of(
    numbers.map(repr),
    numbers.map(str),
    st.sampled_from(["", "nan", "NA", "1,5", "2020-01-01", "1949-01", "1959Q1", "01/02/2020",
                     "true", "x", "[t]", "\"", "1e999"]),
    st.text(max_size=6),
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[bytes, int]:
    n_cols = draw(st.integers(1, 4))
    header = [draw(names) for _ in range(n_cols)]
    n_rows = draw(st.integers(0, 40))
    numeric_col = draw(st.booleans())
    rows = []
    for i in range(n_rows):
        row = [draw(cells) for _ in range(n_cols)]
        if numeric_col:  # most tables have one column of plain numbers, so preparing runs
            row[0] = repr(math.sin(i) * 10 + i) if draw(st.integers(0, 9)) else draw(cells)
        rows.append(row)
    delim = draw(st.sampled_from([",", ";", "\t"]))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delim, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp949", "utf-16"]))
    try:
        raw = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        raw = buf.getvalue().encode("utf-8")
    return raw, draw(st.integers(1, 4))


@settings(max_examples=CSV_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tables(), st.sampled_from(["error", "drop", "ffill", "interpolate"]), st.booleans())
def test_csv_loading_and_preparing_give_a_table_or_a_seqlab_error(
        table: tuple[bytes, int], missing: str, difference: bool) -> None:
    raw, window = table
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t.csv"
        path.write_bytes(raw)
        try:
            loaded = read_table(path)
        except SeqlabError as exc:
            assert "\n" not in str(exc) and str(exc)
            event("refused when read")
            return
        assert loaded.numeric_columns and loaded.n_rows >= 1
        assert len(loaded.time_labels) == loaded.n_rows
        cfg = DataConfig(path=str(path), window=window, missing=missing,  # type: ignore[arg-type]
                         difference=difference, target=loaded.numeric_columns[0],
                         features=[loaded.numeric_columns[0]])
        try:
            prepared = prepare(cfg, loaded)
        except SeqlabError as exc:
            assert "\n" not in str(exc) and str(exc)
            event("refused when prepared")
            return
        event("prepared")
        for split in (prepared.train, prepared.val, prepared.test):
            assert len(split) >= 1 and split.X.shape[1] == window
            assert bool(abs(split.X).max() < math.inf)


# -------------------------------------------------------------------------------- configs
FIELDS = ["path", "target", "features", "window", "horizon", "stride", "split", "missing",
          "scale_x", "scale_y", "difference", "cell", "hidden_size", "num_layers",
          "bidirectional", "dropout", "epochs", "batch_size", "lr", "patience", "clip", "seed",
          "device", "threads", "runs_dir", "tokenizer", "embedding", "min_freq", "max_size",
          "text", "probe_every", "probe_sample", "sha256", "time_column", "bogus"]
scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(0, 64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=10),
    st.sampled_from(["lstm", "gru", "rnn", "auto", "yes", "no", "[/x]", "minmax", "drop",
                     "char", "cpu", "cuda:0"]),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
)
values = st.one_of(scalars, st.lists(scalars, max_size=4),
                   st.dictionaries(st.sampled_from(FIELDS), scalars, max_size=2))
sections = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)
random_documents = st.dictionaries(
    st.sampled_from(["data", "model", "train", "text", "extra"]),
    st.one_of(sections, scalars), max_size=4)


@st.composite
def mutated(draw: st.DrawFn, cls: type) -> dict:
    """A valid config's TOML table with one to three fields given random values."""
    doc = cls().to_dict()
    if "data" in doc:
        doc["data"]["path"] = "x.csv"
    else:
        doc["text"]["text"] = "some typed text"
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(sorted(doc)))
        key = draw(st.sampled_from(sorted(doc[section])))
        doc[section][key] = draw(values)
    return doc


documents = st.one_of(random_documents, mutated(RunConfig), mutated(TextRunConfig))


@settings(max_examples=TOML_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from([RunConfig, TextRunConfig]))
def test_config_parsing_gives_a_config_or_a_seqlab_error(doc: dict, cls: type) -> None:
    text = tomli_w.dumps(doc)
    try:
        cfg = cls.from_toml(text, "c.toml")
        cfg.validate()
    except SeqlabError as exc:
        assert "\n" not in str(exc) and str(exc)
        event("refused")
        return
    event("accepted")
    # a config that passed reads back the same from its own TOML
    again = cls.from_toml(cfg.to_toml(), "again.toml")
    assert again.to_dict() == cfg.to_dict() or _nan_equal(again.to_dict(), cfg.to_dict())


def _nan_equal(a: object, b: object) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_nan_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_nan_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b
