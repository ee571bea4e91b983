"""Code extraction: quotes and speakers, figures, dates and names.

All read exactly from the article text (no model).
"""
