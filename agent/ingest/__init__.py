"""Ingest: bytes to Articles.

Decoding, boilerplate, metadata, sentence segmentation, input readers.
"""
