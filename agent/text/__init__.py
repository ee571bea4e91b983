"""Text utilities: folding, word bags and sentence lookups, shared by every layer above."""
