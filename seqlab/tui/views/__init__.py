"""The five views of the lab, each a TabPane."""
