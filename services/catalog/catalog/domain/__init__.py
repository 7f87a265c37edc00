"""Rules of the catalog, one module per resource: no I/O, no proto, no clock."""
