"""Thin widgets: a reactive holding data, rendering a renderable from seqlab.render."""
