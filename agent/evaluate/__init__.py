"""`newsbrief eval`: evaluation sets, gold labels, scorers, the baseline and reports.

See docs/EVALUATION.md for the gold format, the matching rules and every metric.
"""
