"""Alembic environment of the accounts (async, its own version table)."""

from accounts.models import Base
from servicekit.migrations import run_env

run_env("accounts", Base.metadata)
