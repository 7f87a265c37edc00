"""Rules of accounts, one module per resource: no I/O, no proto, no clock."""
