"""seqlab: a terminal lab for watching recurrent networks learn sequences.

Importing this package is cheap: it imports neither torch nor textual.
"""

from seqlab.errors import ConfigError, DataError, SeqlabError

__version__ = "0.1.0"

__all__ = ["ConfigError", "DataError", "SeqlabError", "__version__"]
