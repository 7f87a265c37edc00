"""Validate the checks of the preferences, added NOT VALID by the revision before.

VALIDATE CONSTRAINT scans the table under a lock that lets reads and writes go on.

Revision ID: 5e22e8e10033
Revises: bdd57ac2ab09
Create Date: 2026-12-02 05:14:54.648294
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5e22e8e10033"
down_revision: str | None = "bdd57ac2ab09"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


CHECKS = ("ck_profiles_preferred_currency_code", "ck_profiles_language_length", "ck_profiles_search_radius_km_range")


def upgrade() -> None:
    for name in CHECKS:
        op.execute(f"ALTER TABLE profiles VALIDATE CONSTRAINT {name}")


def downgrade() -> None:
    # A validated check stays valid: going back leaves the constraints as the revision before made them, in force.
    pass
