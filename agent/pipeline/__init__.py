"""The pipeline: the article step, the synthesis step, workers, budget, run directory and the run
itself.
"""
