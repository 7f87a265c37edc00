"""Create the runtime settings: the values admins set, as JSON by name.

Revision ID: 33e4666a88b4
Revises: d23c2d819d5c
Create Date: 2026-12-02 04:59:44.128694
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "33e4666a88b4"
down_revision: str | None = "d23c2d819d5c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.CREATE_RUNTIME_SETTINGS_EXCUSES


def upgrade() -> None:
    revisions.create_runtime_settings()


def downgrade() -> None:
    revisions.drop_runtime_settings()
