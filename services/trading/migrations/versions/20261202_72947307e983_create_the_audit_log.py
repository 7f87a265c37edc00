"""Create the audit log of admin actions and settings changes.

Revision ID: 72947307e983
Revises: 1b87aed7cddb
Create Date: 2026-12-02 04:59:34.527536
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "72947307e983"
down_revision: str | None = "1b87aed7cddb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.CREATE_AUDIT_LOG_EXCUSES


def upgrade() -> None:
    revisions.create_audit_log()


def downgrade() -> None:
    revisions.drop_audit_log()
