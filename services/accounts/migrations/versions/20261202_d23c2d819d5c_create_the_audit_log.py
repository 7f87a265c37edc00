"""Create the audit log of admin actions and settings changes.

Revision ID: d23c2d819d5c
Revises: 5e22e8e10033
Create Date: 2026-12-02 04:59:32.941706
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "d23c2d819d5c"
down_revision: str | None = "5e22e8e10033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.CREATE_AUDIT_LOG_EXCUSES


def upgrade() -> None:
    revisions.create_audit_log()


def downgrade() -> None:
    revisions.drop_audit_log()
