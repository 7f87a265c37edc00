"""Alembic environment of the trading (async, its own version table)."""

from servicekit.migrations import run_env
from trading.models import Base

run_env("trading", Base.metadata)
