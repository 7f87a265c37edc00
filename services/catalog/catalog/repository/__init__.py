"""Queries of the catalog, one module per resource. Session first, never a commit.

Item reads and writes, the typed filters and the set-based effects of template and attribute
changes on many items are SQLAlchemy Core statements: they are the hot paths.
"""
