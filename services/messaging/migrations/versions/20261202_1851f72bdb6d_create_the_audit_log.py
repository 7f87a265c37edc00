"""Create the audit log of admin actions and settings changes.

Revision ID: 1851f72bdb6d
Revises: 4a283581ca31
Create Date: 2026-12-02 04:59:35.879788
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "1851f72bdb6d"
down_revision: str | None = "4a283581ca31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.CREATE_AUDIT_LOG_EXCUSES


def upgrade() -> None:
    revisions.create_audit_log()


def downgrade() -> None:
    revisions.drop_audit_log()
