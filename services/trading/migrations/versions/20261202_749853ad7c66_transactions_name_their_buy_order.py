"""Transactions name the buy order they fill, whose hold they draw on.

Revision ID: 749853ad7c66
Revises: ac46fdb27c31
Create Date: 2026-12-02 13:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "749853ad7c66"
down_revision: str | None = "ac46fdb27c31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("transactions", sa.Column("buy_order_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column("transactions", "buy_order_id")
