"""Alembic environment of the catalog (async, its own version table)."""

from catalog.models import Base
from servicekit.migrations import run_env

run_env("catalog", Base.metadata)
