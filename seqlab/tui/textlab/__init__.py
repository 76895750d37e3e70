"""The lab's text mode: tokens, a next-token RNN language model, and a look inside it.

Named ``textlab`` (not ``text``) so it cannot be mistaken for the engine's ``seqlab.text``, which
reads, tokenizes and windows text without Textual; this package holds the lab's panes that show it.

Mount it with one line: ``yield TextView(runs_dir="runs")`` (e.g. inside a ``TabPane``).
"""

from seqlab.tui.textlab.view import TEXT_COMMANDS, TextView

__all__ = ["TEXT_COMMANDS", "TextView"]
