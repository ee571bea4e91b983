"""Code extraction: quotes and speakers, figures, dates and names, read exactly from the article text (no model)."""
