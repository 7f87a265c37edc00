"""Alembic environment of the messaging (async, its own version table)."""

from messaging.models import Base
from servicekit.migrations import run_env

run_env("messaging", Base.metadata)
