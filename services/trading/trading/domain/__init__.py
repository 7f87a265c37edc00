"""Rules of trading, one module per resource: no I/O, no proto, no clock."""
