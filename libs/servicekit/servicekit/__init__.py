"""The small shared runtime of every marketplace service."""
