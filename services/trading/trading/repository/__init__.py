"""Queries of trading, one module per resource. Session first, never a commit."""
