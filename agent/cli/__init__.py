"""The `newsbrief` command line (`agent.cli.main`)."""

from .main import main

__all__ = ["main"]
