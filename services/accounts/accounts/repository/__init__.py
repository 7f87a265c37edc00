"""Queries of accounts, one module per resource. Session (or connection) first, never a commit."""
