"""Create the runtime settings: the values admins set, as JSON by name.

Revision ID: 06b292d53fb8
Revises: 1851f72bdb6d
Create Date: 2026-12-02 04:59:47.250495
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "06b292d53fb8"
down_revision: str | None = "1851f72bdb6d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.CREATE_RUNTIME_SETTINGS_EXCUSES


def upgrade() -> None:
    revisions.create_runtime_settings()


def downgrade() -> None:
    revisions.drop_runtime_settings()
