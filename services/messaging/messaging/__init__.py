"""The messaging context."""
