"""Add the user's preferences to profiles: currency, language, search radius, notification choices.

The columns have constant defaults (no table rewrite); their checks are added NOT VALID here and
validated by the next revision, which scans the table without blocking writes.

Revision ID: bdd57ac2ab09
Revises: ef32dcee366e
Create Date: 2026-12-02 05:06:53.753636
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bdd57ac2ab09"
down_revision: str | None = "ef32dcee366e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = {"prefer-bigint-over-int": "a search radius in kilometres is checked to be at most 500"}

CHECKS = {
    "preferred_currency_code": "preferred_currency = '' OR preferred_currency ~ '^[A-Z]{3}$'",
    "language_length": "char_length(language) BETWEEN 2 AND 35",
    "search_radius_km_range": "search_radius_km BETWEEN 1 AND 500",
}


def upgrade() -> None:
    op.add_column("profiles", sa.Column("preferred_currency", sa.Text(), server_default="", nullable=False))
    op.add_column("profiles", sa.Column("language", sa.Text(), server_default="en", nullable=False))
    op.add_column("profiles", sa.Column("search_radius_km", sa.Integer(), server_default="50", nullable=False))
    op.add_column(
        "profiles", sa.Column("notify_messages", sa.Boolean(), server_default=sa.text("true"), nullable=False)
    )
    op.add_column("profiles", sa.Column("notify_offers", sa.Boolean(), server_default=sa.text("true"), nullable=False))
    op.add_column(
        "profiles", sa.Column("notify_transactions", sa.Boolean(), server_default=sa.text("true"), nullable=False)
    )
    op.add_column("profiles", sa.Column("notify_matches", sa.Boolean(), server_default=sa.text("true"), nullable=False))
    op.add_column(
        "profiles", sa.Column("notify_marketing", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    for name, condition in CHECKS.items():
        op.create_check_constraint(op.f(f"ck_profiles_{name}"), "profiles", condition, postgresql_not_valid=True)


def downgrade() -> None:
    for name in CHECKS:
        op.drop_constraint(op.f(f"ck_profiles_{name}"), "profiles", type_="check")
    op.drop_column("profiles", "notify_marketing")
    op.drop_column("profiles", "notify_matches")
    op.drop_column("profiles", "notify_transactions")
    op.drop_column("profiles", "notify_offers")
    op.drop_column("profiles", "notify_messages")
    op.drop_column("profiles", "search_radius_km")
    op.drop_column("profiles", "language")
    op.drop_column("profiles", "preferred_currency")
