"""The Textual front end of seqlab. Importing this package imports neither torch nor Textual."""
