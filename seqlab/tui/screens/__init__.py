"""Modal screens: help and open-file."""
