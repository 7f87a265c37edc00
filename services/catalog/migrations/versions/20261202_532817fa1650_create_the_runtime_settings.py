"""Create the runtime settings: the values admins set, as JSON by name.

Revision ID: 532817fa1650
Revises: 19910347d897
Create Date: 2026-12-02 04:59:31.193928
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "532817fa1650"
down_revision: str | None = "19910347d897"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.CREATE_RUNTIME_SETTINGS_EXCUSES


def upgrade() -> None:
    revisions.create_runtime_settings()


def downgrade() -> None:
    revisions.drop_runtime_settings()
