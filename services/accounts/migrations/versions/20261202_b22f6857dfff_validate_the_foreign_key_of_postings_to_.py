"""Validate the foreign key from postings to holds, added NOT VALID when holds were made.

VALIDATE CONSTRAINT scans postings under a lock that lets reads and writes go on.

Revision ID: b22f6857dfff
Revises: e197c9dba000
Create Date: 2026-12-02 05:30:38.087942
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b22f6857dfff"
down_revision: str | None = "e197c9dba000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE postings VALIDATE CONSTRAINT fk_postings_hold_id_holds")


def downgrade() -> None:
    # A validated foreign key stays valid: going back leaves it as the holds revision made it, in force.
    pass
