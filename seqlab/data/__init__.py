"""Load a CSV time series and turn it into scaled train/val/test windows.

Imports pandas and numpy only (never torch or textual).
"""

from seqlab.data.csvio import Table, read_table
from seqlab.data.prepare import Prepared, Split, prepare
from seqlab.data.scaling import Scaler

__all__ = ["Prepared", "Scaler", "Split", "Table", "prepare", "read_table"]
