"""Tools for developing and testing newsbrief (not used by the pipeline itself)."""
