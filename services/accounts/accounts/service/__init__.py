"""Use cases of accounts, one module per resource; each function owns its transaction."""
