"""Grounding: checks of model drafts and syntheses against the source sentences, conflicts,
timeline, duplicates.
"""
