"""Queries of messaging, one module per resource. Session first, never a commit."""
