"""Use cases of messaging, one module per resource: one function per action; the end of `db.begin()` is the commit."""
