"""The text mode of the lab: tokens, a next-token RNN language model, and a look inside it.

Mount it with one line: ``yield TextView(runs_dir="runs")`` (e.g. inside a ``TabPane``).
"""

from seqlab.tui.text.view import TEXT_COMMANDS, TextView

__all__ = ["TEXT_COMMANDS", "TextView"]
