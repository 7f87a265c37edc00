"""The trading tables."""

import datetime
import enum
import uuid

from geoalchemy2 import Geography, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSQUERY, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship

from servicekit.audit import AuditEntryMixin
from servicekit.db import created_now, new_metadata, updated_now, uuid_pk
from servicekit.idempotency import IdempotencyKeyMixin
from servicekit.outbox import OutboxEventMixin
from servicekit.retention import OutboxConsumerMixin, PrunedPartitionMixin
from servicekit.runtime_settings import RuntimeSettingMixin
from servicekit.urls import MAX_URL
from trading.domain.buy_orders import MAX_QUANTITY, BuyOrderStatus
from trading.domain.listings import MAX_IMAGES, Condition, Feed, ListingStatus
from trading.domain.offers import MAX_MESSAGE, OfferStatus
from trading.domain.standing_queries import StandingQueryKind
from trading.domain.streams import MAX_COMMENT, StreamStatus
from trading.domain.streams import MAX_DESCRIPTION as MAX_STREAM_DESCRIPTION
from trading.domain.streams import MAX_TITLE as MAX_STREAM_TITLE
from trading.domain.transactions import TransactionStatus


class Base(DeclarativeBase):
    metadata = new_metadata()


def _enum(cls: type[enum.Enum], name: str, **options) -> Enum:
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members], **options)


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("price_minor > 0", name="price_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
        CheckConstraint("char_length(title) BETWEEN 1 AND 200", name="title_length"),
        CheckConstraint("item_id IS NULL OR category_id IS NOT NULL", name="item_has_category"),
        CheckConstraint("(category_id IS NULL) = (game_id IS NULL)", name="category_has_game"),
        CheckConstraint("jsonb_typeof(attributes) = 'object'", name="attributes_object"),
        CheckConstraint(f"cardinality(image_urls) <= {MAX_IMAGES}", name="image_count"),
        CheckConstraint(f"char_length(video_url) <= {MAX_URL}", name="video_url_length"),
        CheckConstraint(f"char_length(thumbnail_url) <= {MAX_URL}", name="thumbnail_url_length"),
        Index("ix_listings_status_created_at", "status", "created_at"),
        Index("ix_listings_search_document_stored", "search_document", postgresql_using="gin"),
        # The listings with every word of a search in their title, which come first by relevance.
        Index("ix_listings_title_document", text("to_tsvector('simple'::regconfig, title)"), postgresql_using="gin"),
        # A category's page of active listings, newest or cheapest first, read in order: a search by
        # category sorts none of its matches (37,000 for a category of 4 % at 1,000,000 listings).
        Index(
            "ix_listings_active_category_created_at",
            "category_id",
            "created_at",
            "id",
            postgresql_where=text("status = 'active'"),
        ),
        Index(
            "ix_listings_active_category_price",
            "category_id",
            "price_minor",
            "id",
            postgresql_where=text("status = 'active'"),
        ),
        # An item is in one listing at most until that one is sold or cancelled.
        Index(
            "uq_listings_item_id_open",
            "item_id",
            unique=True,
            postgresql_where=text("status NOT IN ('sold', 'cancelled')"),
        ),
    )

    # A flush reads back what the database sets (updated_at) with RETURNING: no refresh before an event.
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid_pk]
    seller_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    condition: Mapped[Condition | None] = mapped_column(_enum(Condition, "listing_condition"))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    location: Mapped[WKBElement | None] = mapped_column(Geography(geometry_type="POINT", srid=4326))
    feed: Mapped[Feed] = mapped_column(_enum(Feed, "listing_feed"), default=Feed.DISCOVER)
    status: Mapped[ListingStatus] = mapped_column(_enum(ListingStatus, "listing_status"), default=ListingStatus.ACTIVE)
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]
    # What catalog said when the listing was made: the item sold (none for a free-form listing),
    # its category and game, and the values as catalog stores them.
    item_id: Mapped[uuid.UUID | None]
    category_id: Mapped[uuid.UUID | None]
    game_id: Mapped[uuid.UUID | None]
    attributes: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    image_urls: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default=text("'{}'::text[]"))
    video_url: Mapped[str] = mapped_column(Text, default="", server_default="")
    thumbnail_url: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The text a search matches, weighted, the title above the description: setweight(to_tsvector('simple',
    # title), 'A') || setweight(to_tsvector('simple', description), 'B'), written by the trigger
    # listings_search_document on every insert and change of either. 'simple' does not stem, as the
    # Elasticsearch distribution the tests run has no stemmers either. Deferred: only a search reads it.
    search_document: Mapped[str | None] = deferred(mapped_column(TSVECTOR))


class TitleWord(Base):
    """Every distinct word of the listings' titles, added by triggers as listings are written (never
    removed: a word no title holds any more finds no listing). A typo is looked up among them."""

    __tablename__ = "title_words"
    __table_args__ = (
        Index("ix_title_words_word_trgm", "word", postgresql_using="gin", postgresql_ops={"word": "gin_trgm_ops"}),
    )

    word: Mapped[str] = mapped_column(Text, primary_key=True)


class ListingAttributeValue(Base):
    """A listing's attribute value, typed, for search filters and facets: exactly the column of its type
    is set. Written with the listing from its `attributes` (the values as catalog stores them)."""

    __tablename__ = "listing_attribute_values"
    __table_args__ = (
        CheckConstraint("num_nonnulls(value_string, value_number, value_boolean) = 1", name="one_typed_value"),
        CheckConstraint("char_length(key) BETWEEN 1 AND 64", name="key_length"),
        # Equality and range lookups per key, one index per type as catalog's values; the listing's id
        # makes a filter's semi-join index-only.
        *(
            Index(
                f"ix_listing_attribute_values_{kind}",
                "key",
                f"value_{kind}",
                "listing_id",
                postgresql_where=text(f"value_{kind} IS NOT NULL"),
            )
            for kind in ("number", "string", "boolean")
        ),
    )

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value_string: Mapped[str | None] = mapped_column(Text)
    value_number: Mapped[float | None]
    value_boolean: Mapped[bool | None]


class ListingLike(Base):
    """One user's like of a listing; liking again finds the row there."""

    __tablename__ = "listing_likes"

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[created_now]


class CountedView(Base):
    """One view of a listing, appended: a view inserts and locks nothing else, and the count is the
    number of rows. No foreign key on purpose: its check would take a KEY SHARE lock on the listing
    row per view (listings are never deleted, so no row is left without its listing)."""

    __tablename__ = "listing_views"
    __table_args__ = (Index("ix_listing_views_listing_id", "listing_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    listing_id: Mapped[uuid.UUID]
    viewed_at: Mapped[created_now]


class Offer(Base):
    """A price proposed for a listing: by its buyer, or a counter-offer by either side (`previous_offer_id`)."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
        CheckConstraint(f"char_length(message) <= {MAX_MESSAGE}", name="message_length"),
        CheckConstraint("buyer_id <> seller_id", name="buyer_not_seller"),
        CheckConstraint("proposer_id IN (buyer_id, seller_id)", name="proposer_is_a_party"),
        Index("ix_offers_listing_id_created_at", "listing_id", "created_at", "id"),
        # The sweeper's scan: pending offers by expiry.
        Index("ix_offers_pending_expire_at", "expire_at", postgresql_where=text("status = 'pending'")),
        # A listing is sold once: at most one of its offers is ever accepted.
        Index("uq_offers_listing_id_accepted", "listing_id", unique=True, postgresql_where=text("status = 'accepted'")),
    )

    id: Mapped[uuid_pk]
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"))
    buyer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    seller_id: Mapped[uuid.UUID]
    proposer_id: Mapped[uuid.UUID]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[OfferStatus] = mapped_column(_enum(OfferStatus, "offer_status"), default=OfferStatus.PENDING)
    previous_offer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("offers.id"))
    expire_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class Transaction(Base):
    """One purchase of a listing, driven by the purchase saga (services/trading/README.md, "Purchases").

    `settled_at` is set once the ledger holds nothing more for it: the hold captured, released, or never
    placed. A final status without it is escrow the reconciler still has to settle.
    """

    __tablename__ = "transactions"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
        CheckConstraint("platform_fee_minor BETWEEN 0 AND amount_minor", name="fee_within_amount"),
        CheckConstraint("platform_fee_bps BETWEEN 0 AND 10000", name="fee_bps_range"),
        CheckConstraint("buyer_id <> seller_id", name="buyer_not_seller"),
        CheckConstraint("(status = 'pending') = (paid_at IS NULL AND closed_at IS NULL)", name="paid_or_closed"),
        CheckConstraint("(status IN ('pending', 'paid')) = (closed_at IS NULL)", name="closed_when_final"),
        CheckConstraint("paid_at IS NULL OR hold_id IS NOT NULL", name="paid_with_hold"),
        CheckConstraint("settled_at IS NULL OR closed_at IS NOT NULL", name="settled_when_closed"),
        CheckConstraint("(status = 'failed') = (failure_reason <> '')", name="failure_has_reason"),
        # A listing is bought once at a time: of its transactions, one at most is open or completed.
        Index(
            "uq_transactions_listing_id_live",
            "listing_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'paid', 'completed')"),
        ),
        # An accepted offer starts one transaction.
        Index("uq_transactions_offer_id", "offer_id", unique=True, postgresql_where=text("offer_id IS NOT NULL")),
        Index("ix_transactions_buyer_id_created_at", "buyer_id", "created_at", "id"),
        Index("ix_transactions_seller_id_created_at", "seller_id", "created_at", "id"),
        # The reconciler's two scans: the steps a request left half-way, and the physical purchases that
        # wait for their buyer's confirmation.
        Index(
            "ix_transactions_unsettled_updated_at",
            "updated_at",
            postgresql_where=text("settled_at IS NULL AND (status <> 'paid' OR item_id IS NOT NULL)"),
        ),
        Index(
            "ix_transactions_awaiting_confirmation",
            "auto_complete_at",
            postgresql_where=text("status = 'paid' AND item_id IS NULL"),
        ),
    )

    # As on Listing: the saga's steps build their events from the flushed row without reading it again.
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid_pk]
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"))
    offer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("offers.id"))
    item_id: Mapped[uuid.UUID | None]
    buyer_id: Mapped[uuid.UUID]
    seller_id: Mapped[uuid.UUID]
    status: Mapped[TransactionStatus] = mapped_column(
        _enum(TransactionStatus, "transaction_status"), default=TransactionStatus.PENDING
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    platform_fee_minor: Mapped[int] = mapped_column(BigInteger)
    platform_fee_bps: Mapped[int]
    status_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    failure_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    hold_id: Mapped[uuid.UUID | None]
    hold_posting_id: Mapped[uuid.UUID | None]
    settle_posting_id: Mapped[uuid.UUID | None]
    # The buy order it fills, drawing on that order's hold; none for buy-now and accepted offers.
    buy_order_id: Mapped[uuid.UUID | None]
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]
    paid_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    auto_complete_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    item_transferred_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))


class StandingQuery(Base):
    """What a listing must be to match a query kept open, typed so that indexes find the queries a
    listing matches (trading.repository.standing_queries): a buy order's, one kind of them. Empty
    columns ask nothing; the attribute filters are its rows of `standing_query_filters`."""

    __tablename__ = "standing_queries"
    __table_args__ = (
        CheckConstraint("(location IS NULL) = (radius_m IS NULL)", name="circle_whole"),
        CheckConstraint("radius_m > 0", name="radius_positive"),
        CheckConstraint("(currency IS NULL) = (max_price_minor IS NULL)", name="price_cap_whole"),
        CheckConstraint("max_price_minor > 0", name="max_price_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
        CheckConstraint("cardinality(conditions) > 0", name="conditions_not_empty"),
    )

    id: Mapped[uuid_pk]
    kind: Mapped[StandingQueryKind] = mapped_column(_enum(StandingQueryKind, "standing_query_kind"))
    owner_id: Mapped[uuid.UUID]
    # Matched while true: a buy order's while it is open.
    open: Mapped[bool] = mapped_column(default=False)
    category_id: Mapped[uuid.UUID | None]
    game_id: Mapped[uuid.UUID | None]
    # websearch_to_tsquery('simple', words), matched against the listing's search_document.
    terms: Mapped[str | None] = mapped_column(TSQUERY)
    conditions: Mapped[list[Condition] | None] = mapped_column(
        ARRAY(_enum(Condition, "listing_condition", create_type=False))
    )
    currency: Mapped[str | None] = mapped_column(String(3))
    max_price_minor: Mapped[int | None] = mapped_column(BigInteger)
    # Not indexed: a listing is checked against the candidates' own circles, not looked up by a point.
    location: Mapped[WKBElement | None] = mapped_column(
        Geography(geometry_type="POINT", srid=4326, spatial_index=False)
    )
    radius_m: Mapped[float | None]
    created_at: Mapped[created_now]


# The open queries of a category (or of a game, for those without one) in a currency, the highest price cap
# first, then oldest: a listing's best match is the first of them that its filters pass, read in this order
# from its price up and no further than the matches asked for.
Index(
    "ix_standing_queries_open_category",
    StandingQuery.kind,
    StandingQuery.category_id,
    StandingQuery.currency,
    StandingQuery.max_price_minor.desc(),
    StandingQuery.created_at,
    StandingQuery.id,
    postgresql_where=text("open"),
)
Index(
    "ix_standing_queries_open_game",
    StandingQuery.kind,
    StandingQuery.game_id,
    StandingQuery.currency,
    StandingQuery.max_price_minor.desc(),
    StandingQuery.created_at,
    StandingQuery.id,
    postgresql_where=text("open AND category_id IS NULL"),
)


class StandingQueryFilter(Base):
    """One attribute filter of a standing query, typed: a number range (either bound may be open), or any
    of a list of numbers, strings or booleans. A listing passes it when it has a value of the key that
    the filter admits; one without the key fails it."""

    __tablename__ = "standing_query_filters"
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(numbers, strings, booleans) + (num_nonnulls(minimum, maximum) > 0)::int = 1",
            name="one_kind",
        ),
        CheckConstraint("minimum <= maximum", name="range_not_empty"),
    )

    standing_query_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("standing_queries.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    key: Mapped[str] = mapped_column(Text)
    minimum: Mapped[float | None]
    maximum: Mapped[float | None]
    numbers: Mapped[list[float] | None] = mapped_column(ARRAY(Float))
    strings: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    booleans: Mapped[list[bool] | None] = mapped_column(ARRAY(Boolean))


class BuyOrder(Base):
    """A buyer's standing order to buy matching listings, with its hold on their wallet
    (services/trading/README.md, "Buy orders"). What it matches is its standing query (same id).

    `release_minor` is the order's own part of the hold to give back once it is cancelled or expired;
    `settled_at` records that it was (or that nothing was to be): each fill settles its own part.
    """

    __tablename__ = "buy_orders"
    __table_args__ = (
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity_range"),
        CheckConstraint("quantity_filled BETWEEN 0 AND quantity", name="filled_within_quantity"),
        CheckConstraint("(status = 'failed') = (failure_reason <> '')", name="failure_has_reason"),
        CheckConstraint("status NOT IN ('open', 'filled') OR hold_id IS NOT NULL", name="open_with_hold"),
        CheckConstraint("settled_at IS NULL OR status NOT IN ('pending', 'open')", name="settled_when_closed"),
        Index("ix_buy_orders_buyer_id_created_at", "buyer_id", "created_at", "id"),
        # The sweeper's scan: open orders by expiry.
        Index("ix_buy_orders_open_expire_at", "expire_at", postgresql_where=text("status = 'open'")),
        # The reconciler's: orders whose hold a crash left unplaced, unreleased or unmatched.
        Index(
            "ix_buy_orders_unfinished_updated_at",
            "updated_at",
            postgresql_where=text(
                "(status = 'pending') OR (status IN ('cancelled', 'expired') AND settled_at IS NULL)"
                " OR (status = 'open' AND matched_at IS NULL)"
            ),
        ),
    )

    # As on Listing: events are built from the flushed row without reading it again.
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = mapped_column(ForeignKey("standing_queries.id"), primary_key=True)
    buyer_id: Mapped[uuid.UUID]
    status: Mapped[BuyOrderStatus] = mapped_column(
        _enum(BuyOrderStatus, "buy_order_status"), default=BuyOrderStatus.PENDING
    )
    # The words and filters as the buyer wrote them (the standing query holds them parsed).
    q: Mapped[str] = mapped_column(Text, default="", server_default="")
    attributes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default=text("'{}'::text[]"))
    quantity: Mapped[int]
    quantity_filled: Mapped[int] = mapped_column(default=0, server_default="0")
    expire_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    failure_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    hold_id: Mapped[uuid.UUID | None]
    hold_posting_id: Mapped[uuid.UUID | None]
    # When the listings on sale at its opening were matched; a crash before leaves it to the reconciler.
    matched_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    release_minor: Mapped[int | None] = mapped_column(BigInteger)
    settled_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]
    closed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    query: Mapped[StandingQuery] = relationship(lazy="raise")


class BuyOrderFill(Base):
    """A listing bought for a buy order: the transaction, and the part of the order's hold it draws on
    (the order's max price; 0 once a fill that did not go through gave its unit back to the order)."""

    __tablename__ = "buy_order_fills"
    __table_args__ = (
        Index("ix_buy_order_fills_buy_order_id_created_at", "buy_order_id", "created_at", "transaction_id"),
        CheckConstraint("held_minor >= 0", name="held_not_negative"),
    )

    transaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transactions.id"), primary_key=True)
    buy_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("buy_orders.id"))
    held_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[created_now]


class SavedSearch(Base):
    """A search its owner keeps, told of each listing on sale that matches it (services/trading/README.md,
    "Saved searches"). What it matches is its standing query (same id); deleting that deletes this."""

    __tablename__ = "saved_searches"
    __table_args__ = (
        # The owner's list, newest first, and the count their bound reads.
        Index("ix_saved_searches_owner_id_created_at", "owner_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ForeignKey("standing_queries.id", ondelete="CASCADE"), primary_key=True)
    owner_id: Mapped[uuid.UUID]
    # The words and filters as the owner wrote them (the standing query holds them parsed).
    q: Mapped[str] = mapped_column(Text, default="", server_default="")
    attributes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default=text("'{}'::text[]"))
    created_at: Mapped[created_now]
    query: Mapped[StandingQuery] = relationship(lazy="raise")


class SavedSearchMatch(Base):
    """A listing a saved search was told of: at most one per saved search and listing, however often the
    listing goes on sale again or drops its price."""

    __tablename__ = "saved_search_matches"

    saved_search_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="CASCADE"), primary_key=True
    )
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"), primary_key=True)
    created_at: Mapped[created_now]


class Stream(Base):
    """A live selling stream: announced for a time (scheduled), started (live), then ended."""

    __tablename__ = "streams"
    __table_args__ = (
        CheckConstraint(f"char_length(title) BETWEEN 1 AND {MAX_STREAM_TITLE}", name="title_length"),
        CheckConstraint(f"char_length(description) <= {MAX_STREAM_DESCRIPTION}", name="description_length"),
        CheckConstraint(f"char_length(url) <= {MAX_URL}", name="url_length"),
        CheckConstraint(f"char_length(thumbnail_url) <= {MAX_URL}", name="thumbnail_url_length"),
        # The moves set the times: a scheduled stream has neither, a live one its start, an ended one both.
        CheckConstraint(
            "(status = 'scheduled' AND started_at IS NULL AND ended_at IS NULL)"
            " OR (status = 'live' AND started_at IS NOT NULL AND ended_at IS NULL)"
            " OR (status = 'ended' AND started_at IS NOT NULL AND ended_at >= started_at)",
            name="status_times",
        ),
        # ListStreams reads each status in its own order (repository.streams).
        Index("ix_streams_live_started_at", "started_at", "id", postgresql_where=text("status = 'live'")),
        Index("ix_streams_scheduled_at", "scheduled_at", "id", postgresql_where=text("status = 'scheduled'")),
        Index("ix_streams_ended_ended_at", "ended_at", "id", postgresql_where=text("status = 'ended'")),
    )

    id: Mapped[uuid_pk]
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A catalog category (checked there when the stream is made; no foreign key across databases).
    category_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    scheduled_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    url: Mapped[str] = mapped_column(Text, default="", server_default="")
    thumbnail_url: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[StreamStatus] = mapped_column(_enum(StreamStatus, "stream_status"), default=StreamStatus.SCHEDULED)
    started_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class StreamLike(Base):
    """One user's like of a stream; liking again finds the row there."""

    __tablename__ = "stream_likes"

    stream_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[created_now]


class StreamViewer(Base):
    """One viewer of a live stream, appended as a listing's views are (CountedView), and without a
    foreign key for the same reason: a popular stream's viewers must not queue on its row."""

    __tablename__ = "stream_viewers"
    __table_args__ = (Index("ix_stream_viewers_stream_id", "stream_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    stream_id: Mapped[uuid.UUID]
    viewed_at: Mapped[created_now]


class StreamShare(Base):
    """One share of a stream by a signed-in user, appended and counted like its viewers."""

    __tablename__ = "stream_shares"
    __table_args__ = (Index("ix_stream_shares_stream_id", "stream_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    stream_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    shared_at: Mapped[created_now]


class StreamComment(Base):
    """A comment written on a stream while it was live."""

    __tablename__ = "stream_comments"
    __table_args__ = (
        CheckConstraint(f"char_length(text) BETWEEN 1 AND {MAX_COMMENT}", name="text_length"),
        Index("ix_stream_comments_stream_id_created_at", "stream_id", "created_at", "id"),
    )

    id: Mapped[uuid_pk]
    stream_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streams.id"))
    author_id: Mapped[uuid.UUID]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_now]


class PinnedListing(Base):
    """A listing its seller pinned to their stream; shown while the listing is active."""

    __tablename__ = "pinned_listings"
    __table_args__ = (
        Index("ix_pinned_listings_stream_id_pinned_at", "stream_id", "pinned_at", "listing_id"),
        Index("ix_pinned_listings_listing_id", "listing_id"),
    )

    stream_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streams.id"), primary_key=True)
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"), primary_key=True)
    pinned_at: Mapped[created_now]


class OutboxEvent(OutboxEventMixin, Base):
    pass


class OutboxConsumer(OutboxConsumerMixin, Base):
    pass


class PrunedPartition(PrunedPartitionMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class AuditEntry(AuditEntryMixin, Base):
    pass


class RuntimeSetting(RuntimeSettingMixin, Base):
    pass
