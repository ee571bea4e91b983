"""Prompt files (loader) and the schema field guide written into prompts."""
