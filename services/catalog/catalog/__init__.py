"""The catalog context: what can be traded, and the items people own."""

from pathlib import Path

# The service's folder, where alembic.ini and migrations/ live.
ROOT = Path(__file__).resolve().parent.parent
