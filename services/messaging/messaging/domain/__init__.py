"""Rules of messaging, one module per resource: no I/O, no proto, no clock."""
