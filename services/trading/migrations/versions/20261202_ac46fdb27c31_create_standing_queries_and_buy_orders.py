"""Create standing queries and buy orders: the typed predicates listings are matched against, the orders and their fills.

Revision ID: ac46fdb27c31
Revises: 9c4e7a2f5b18
Create Date: 2026-12-02 13:18:22.723659
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography
from sqlalchemy.dialects import postgresql

from servicekit import revisions

revision: str = "ac46fdb27c31"
down_revision: str | None = "9c4e7a2f5b18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = {
    "prefer-text-field": revisions.VARCHAR_LENGTHS,
    "prefer-bigint-over-int": "an order's quantity and its filled units are at most 1000 by its CHECK",
    "prefer-bigint-over-smallint": "a filter's position is below the 20 filters an order may have",
}


def upgrade() -> None:
    op.create_geospatial_table(
        "standing_queries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("buy_order", name="standing_query_kind"), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("game_id", sa.Uuid(), nullable=True),
        sa.Column("terms", postgresql.TSQUERY(), nullable=True),
        sa.Column(
            "conditions",
            postgresql.ARRAY(
                sa.Enum("new", "like_new", "good", "fair", "poor", name="listing_condition", create_type=False)
            ),
            nullable=True,
        ),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("max_price_minor", sa.BigInteger(), nullable=True),
        sa.Column(
            "location",
            Geography(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeogFromText",
                name="geography",
            ),
            nullable=True,
        ),
        sa.Column("radius_m", sa.Double(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_standing_queries_currency_iso4217")),
        sa.CheckConstraint(
            "(currency IS NULL) = (max_price_minor IS NULL)", name=op.f("ck_standing_queries_price_cap_whole")
        ),
        sa.CheckConstraint("(location IS NULL) = (radius_m IS NULL)", name=op.f("ck_standing_queries_circle_whole")),
        sa.CheckConstraint("cardinality(conditions) > 0", name=op.f("ck_standing_queries_conditions_not_empty")),
        sa.CheckConstraint("max_price_minor > 0", name=op.f("ck_standing_queries_max_price_positive")),
        sa.CheckConstraint("radius_m > 0", name=op.f("ck_standing_queries_radius_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_queries")),
    )
    op.create_index(
        "ix_standing_queries_open_category",
        "standing_queries",
        ["kind", "category_id", "currency", sa.literal_column("max_price_minor DESC"), "created_at", "id"],
        unique=False,
        postgresql_where=sa.text("open"),
    )
    op.create_index(
        "ix_standing_queries_open_game",
        "standing_queries",
        ["kind", "game_id", "currency", sa.literal_column("max_price_minor DESC"), "created_at", "id"],
        unique=False,
        postgresql_where=sa.text("open AND category_id IS NULL"),
    )
    op.create_table(
        "buy_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "open", "filled", "cancelled", "expired", "failed", name="buy_order_status"),
            nullable=False,
        ),
        sa.Column("q", sa.Text(), server_default="", nullable=False),
        sa.Column("attributes", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_filled", sa.Integer(), server_default="0", nullable=False),
        sa.Column("expire_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failure_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("hold_id", sa.Uuid(), nullable=True),
        sa.Column("hold_posting_id", sa.Uuid(), nullable=True),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_minor", sa.BigInteger(), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'failed') = (failure_reason <> '')", name=op.f("ck_buy_orders_failure_has_reason")
        ),
        sa.CheckConstraint(
            "settled_at IS NULL OR status NOT IN ('pending', 'open')", name=op.f("ck_buy_orders_settled_when_closed")
        ),
        sa.CheckConstraint(
            "status NOT IN ('open', 'filled') OR hold_id IS NOT NULL", name=op.f("ck_buy_orders_open_with_hold")
        ),
        sa.CheckConstraint("quantity BETWEEN 1 AND 1000", name=op.f("ck_buy_orders_quantity_range")),
        sa.CheckConstraint("quantity_filled BETWEEN 0 AND quantity", name=op.f("ck_buy_orders_filled_within_quantity")),
        sa.ForeignKeyConstraint(["id"], ["standing_queries.id"], name=op.f("fk_buy_orders_id_standing_queries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buy_orders")),
    )
    op.create_index("ix_buy_orders_buyer_id_created_at", "buy_orders", ["buyer_id", "created_at", "id"], unique=False)
    op.create_index(
        "ix_buy_orders_open_expire_at",
        "buy_orders",
        ["expire_at"],
        unique=False,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "ix_buy_orders_unfinished_updated_at",
        "buy_orders",
        ["updated_at"],
        unique=False,
        postgresql_where=sa.text(
            "(status = 'pending') OR (status IN ('cancelled', 'expired') AND settled_at IS NULL) OR (status = 'open' AND matched_at IS NULL)"
        ),
    )
    op.create_table(
        "standing_query_filters",
        sa.Column("standing_query_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("minimum", sa.Double(), nullable=True),
        sa.Column("maximum", sa.Double(), nullable=True),
        sa.Column("numbers", postgresql.ARRAY(sa.Float()), nullable=True),
        sa.Column("strings", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("booleans", postgresql.ARRAY(sa.Boolean()), nullable=True),
        sa.CheckConstraint("minimum <= maximum", name=op.f("ck_standing_query_filters_range_not_empty")),
        sa.CheckConstraint(
            "num_nonnulls(numbers, strings, booleans) + (num_nonnulls(minimum, maximum) > 0)::int = 1",
            name=op.f("ck_standing_query_filters_one_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["standing_query_id"],
            ["standing_queries.id"],
            name=op.f("fk_standing_query_filters_standing_query_id_standing_queries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("standing_query_id", "position", name=op.f("pk_standing_query_filters")),
    )
    op.create_table(
        "buy_order_fills",
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("buy_order_id", sa.Uuid(), nullable=False),
        sa.Column("held_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("held_minor >= 0", name=op.f("ck_buy_order_fills_held_not_negative")),
        sa.ForeignKeyConstraint(
            ["buy_order_id"], ["buy_orders.id"], name=op.f("fk_buy_order_fills_buy_order_id_buy_orders")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["transactions.id"], name=op.f("fk_buy_order_fills_transaction_id_transactions")
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_buy_order_fills")),
    )
    op.create_index(
        "ix_buy_order_fills_buy_order_id_created_at",
        "buy_order_fills",
        ["buy_order_id", "created_at", "transaction_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_buy_order_fills_buy_order_id_created_at", table_name="buy_order_fills")
    op.drop_table("buy_order_fills")
    op.drop_table("standing_query_filters")
    op.drop_index(
        "ix_buy_orders_unfinished_updated_at",
        table_name="buy_orders",
        postgresql_where=sa.text(
            "(status = 'pending') OR (status IN ('cancelled', 'expired') AND settled_at IS NULL) OR (status = 'open' AND matched_at IS NULL)"
        ),
    )
    op.drop_index("ix_buy_orders_open_expire_at", table_name="buy_orders", postgresql_where=sa.text("status = 'open'"))
    op.drop_index("ix_buy_orders_buyer_id_created_at", table_name="buy_orders")
    op.drop_table("buy_orders")
    op.drop_index(
        "ix_standing_queries_open_game",
        table_name="standing_queries",
        postgresql_where=sa.text("open AND category_id IS NULL"),
    )
    op.drop_index("ix_standing_queries_open_category", table_name="standing_queries", postgresql_where=sa.text("open"))
    op.drop_geospatial_table("standing_queries")
    op.execute("DROP TYPE buy_order_status")
    op.execute("DROP TYPE standing_query_kind")
