"""Views of a brief: Markdown for terminals, a self-contained HTML story page."""
