"""Create the runtime settings: the values admins set, as JSON by name.

Revision ID: 3ff04b38afe4
Revises: 72947307e983
Create Date: 2026-12-02 04:59:45.878138
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "3ff04b38afe4"
down_revision: str | None = "72947307e983"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.CREATE_RUNTIME_SETTINGS_EXCUSES


def upgrade() -> None:
    revisions.create_runtime_settings()


def downgrade() -> None:
    revisions.drop_runtime_settings()
