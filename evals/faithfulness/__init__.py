"""The claim verifier benchmark: pairs, the fit of its thresholds, the report."""
