"""Model backends and the shared structured-output loop."""
