"""Ingest: bytes to Articles (decoding, boilerplate, metadata, sentence segmentation, input readers)."""
