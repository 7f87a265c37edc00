"""The trading context."""
