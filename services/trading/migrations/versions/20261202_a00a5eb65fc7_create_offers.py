"""Create offers: prices proposed for listings, countered in chains, at most one accepted per listing.

Revision ID: a00a5eb65fc7
Revises: d5acee96aa27
Create Date: 2026-12-02 05:41:49.250078
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit import revisions

revision: str = "a00a5eb65fc7"
down_revision: str | None = "d5acee96aa27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = {"prefer-text-field": revisions.VARCHAR_LENGTHS}


def upgrade() -> None:
    op.create_table(
        "offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("seller_id", sa.Uuid(), nullable=False),
        sa.Column("proposer_id", sa.Uuid(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "accepted", "rejected", "cancelled", "countered", "expired", name="offer_status"),
            nullable=False,
        ),
        sa.Column("previous_offer_id", sa.Uuid(), nullable=True),
        sa.Column("expire_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_offers_currency_iso4217")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_offers_amount_positive")),
        sa.CheckConstraint("buyer_id <> seller_id", name=op.f("ck_offers_buyer_not_seller")),
        sa.CheckConstraint("char_length(message) <= 2000", name=op.f("ck_offers_message_length")),
        sa.CheckConstraint("proposer_id IN (buyer_id, seller_id)", name=op.f("ck_offers_proposer_is_a_party")),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_offers_listing_id_listings")),
        sa.ForeignKeyConstraint(["previous_offer_id"], ["offers.id"], name=op.f("fk_offers_previous_offer_id_offers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    op.create_index(op.f("ix_offers_buyer_id"), "offers", ["buyer_id"], unique=False)
    op.create_index("ix_offers_listing_id_created_at", "offers", ["listing_id", "created_at", "id"], unique=False)
    op.create_index(
        "ix_offers_pending_expire_at",
        "offers",
        ["expire_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "uq_offers_listing_id_accepted",
        "offers",
        ["listing_id"],
        unique=True,
        postgresql_where=sa.text("status = 'accepted'"),
    )


def downgrade() -> None:
    op.drop_index("uq_offers_listing_id_accepted", table_name="offers", postgresql_where=sa.text("status = 'accepted'"))
    op.drop_index("ix_offers_pending_expire_at", table_name="offers", postgresql_where=sa.text("status = 'pending'"))
    op.drop_index("ix_offers_listing_id_created_at", table_name="offers")
    op.drop_index(op.f("ix_offers_buyer_id"), table_name="offers")
    op.drop_table("offers")
    op.execute("DROP TYPE offer_status")
