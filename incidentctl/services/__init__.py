"""Use cases: each runs in one transaction, takes ``now``, and returns result data."""
