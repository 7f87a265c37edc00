"""The accounts tables."""

import uuid
from datetime import datetime

from geoalchemy2 import Geography, WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import CITEXT, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from accounts.domain.ledger import HoldStatus, LedgerAccountKind, PostingKind
from accounts.domain.users import MAX_EMAIL, PHONE_PATTERN, USERNAME_PATTERN, UserStatus
from accounts.domain.verifications import VerificationStatus, VerificationType
from servicekit.audit import AuditEntryMixin
from servicekit.auth import Role
from servicekit.db import created_now, new_metadata, updated_now, uuid_pk
from servicekit.idempotency import IdempotencyKeyMixin
from servicekit.outbox import OutboxEventMixin
from servicekit.partitions import PartitionedTable, Period
from servicekit.retention import OutboxConsumerMixin, PrunedPartitionMixin
from servicekit.runtime_settings import RuntimeSettingMixin


class Base(DeclarativeBase):
    metadata = new_metadata()


def _values(enum: type) -> list[str]:
    return [member.value for member in enum]


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"char_length(email) <= {MAX_EMAIL} AND strpos(email, '@') > 1", name="email_shape"),
        CheckConstraint(f"username ~ '^{USERNAME_PATTERN}$'", name="username_shape"),
        CheckConstraint(f"phone ~ '^{PHONE_PATTERN}$'", name="phone_shape"),
        # Only argon2id hashes: a row with a plain or weaker hash cannot be written by mistake.
        CheckConstraint("password_hash LIKE '$argon2id$%'", name="password_hash_argon2id"),
    )

    id: Mapped[uuid_pk]
    # citext: unique, and found at sign-in, whatever the letter case.
    email: Mapped[str] = mapped_column(CITEXT, unique=True)
    username: Mapped[str] = mapped_column(CITEXT, unique=True)
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    role: Mapped[Role] = mapped_column(Enum(Role, name="user_role", values_callable=_values))
    status: Mapped[UserStatus] = mapped_column(
        Enum(UserStatus, name="user_status", values_callable=_values), default=UserStatus.ACTIVE
    )
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]

    profile: Mapped["Profile"] = relationship(back_populates="user", lazy="raise", cascade="all, delete-orphan")


class Profile(Base):
    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint("char_length(display_name) <= 100", name="display_name_length"),
        CheckConstraint("char_length(bio) <= 2000", name="bio_length"),
        CheckConstraint("preferred_currency = '' OR preferred_currency ~ '^[A-Z]{3}$'", name="preferred_currency_code"),
        CheckConstraint("char_length(language) BETWEEN 2 AND 35", name="language_length"),
        CheckConstraint("search_radius_km BETWEEN 1 AND 500", name="search_radius_km_range"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    avatar_url: Mapped[str] = mapped_column(String(2048), default="")
    # Geography so that "within N km" is a true distance on the sphere; GeoAlchemy2 adds its GIST index.
    location: Mapped[WKBElement | None] = mapped_column(Geography(geometry_type="POINT", srid=4326))
    # Preferences: empty currency means prices as listed.
    preferred_currency: Mapped[str] = mapped_column(Text, default="", server_default="")
    language: Mapped[str] = mapped_column(Text, default="en", server_default="en")
    search_radius_km: Mapped[int] = mapped_column(Integer, default=50, server_default="50")
    notify_messages: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_offers: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_transactions: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_matches: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_marketing: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]

    user: Mapped[User] = relationship(back_populates="profile", lazy="raise")


class RefreshToken(Base):
    """A refresh token, stored only as the SHA-256 of the random value handed out once."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        CheckConstraint("replaced_by IS NULL OR revoked_at IS NOT NULL", name="replaced_only_when_revoked"),
    )

    id: Mapped[uuid_pk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Every token rotated from one sign-in shares the family id, so reuse revokes them all.
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[created_now]
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replaced_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("refresh_tokens.id", ondelete="SET NULL"))


class Verification(Base):
    """A user's request to have one fact about them checked by an admin."""

    __tablename__ = "verifications"
    __table_args__ = (
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_unless_pending"),
        CheckConstraint("(status = 'pending') = (reviewer_id IS NULL)", name="reviewer_unless_pending"),
        CheckConstraint("status = 'rejected' OR rejection_reason = ''", name="reason_only_when_rejected"),
        CheckConstraint("jsonb_typeof(data) = 'object'", name="data_is_object"),
        # One verification of a kind waits for review at a time.
        Index(
            "uq_verifications_pending_user_id_type",
            "user_id",
            "type",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        # Keyset pages: one user's, and the review queue by status.
        Index("ix_verifications_user_id_submitted_at_id", "user_id", "submitted_at", "id"),
        Index("ix_verifications_status_submitted_at_id", "status", "submitted_at", "id"),
    )

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[VerificationType] = mapped_column(
        Enum(VerificationType, name="verification_type", values_callable=_values)
    )
    status: Mapped[VerificationStatus] = mapped_column(
        Enum(VerificationStatus, name="verification_status", values_callable=_values)
    )
    data: Mapped[dict] = mapped_column(JSONB, default=dict)
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[created_now]
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[updated_now]


class LedgerAccount(Base):
    """A balance of the double-entry ledger.

    A user's wallet in a currency is their `available` and `held` accounts; `platform_fees` and
    `external` (money entering or leaving the marketplace) belong to the platform, in shards.
    The balance is kept by a trigger on ledger_entries and is always the sum of the account's entries.
    """

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint("(user_id IS NOT NULL) = (kind IN ('available', 'held'))", name="user_accounts_have_an_owner"),
        # Money that entered the marketplace leaves `external` below zero; nothing else goes negative.
        CheckConstraint("kind = 'external' OR balance_minor >= 0", name="balance_not_negative"),
        CheckConstraint("shard >= 0 AND (user_id IS NULL OR shard = 0)", name="only_platform_accounts_shard"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso_4217"),
        # One wallet per user and currency; one platform account per kind, currency and shard.
        UniqueConstraint(
            "user_id", "kind", "currency", "shard", name="uq_ledger_accounts_owner", postgresql_nulls_not_distinct=True
        ),
        # What the entries' composite foreign key refers to: an entry's currency is its account's.
        UniqueConstraint("id", "currency", name="uq_ledger_accounts_id_currency"),
    )

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[LedgerAccountKind] = mapped_column(
        Enum(LedgerAccountKind, name="ledger_account_kind", values_callable=_values)
    )
    currency: Mapped[str] = mapped_column(String(3))
    shard: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class Hold(Base):
    """A buyer's money in escrow for one purpose: captured or released in parts, never beyond what is left.

    Its amounts are kept by a trigger from its postings, as balances are from entries, and refused
    by the CHECKs below when a posting would take more than is left (migration "create holds").
    """

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint("remaining_minor >= 0", name="remaining_not_negative"),
        CheckConstraint("remaining_minor <= amount_minor", name="remaining_within_amount"),
        CheckConstraint("captured_minor >= 0 AND released_minor >= 0", name="settled_not_negative"),
        CheckConstraint("remaining_minor + captured_minor + released_minor = amount_minor", name="amounts_add_up"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso_4217"),
    )

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    remaining_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    captured_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    released_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    status: Mapped[HoldStatus] = mapped_column(
        Enum(HoldStatus, name="hold_status", values_callable=_values),
        Computed(
            "CASE WHEN remaining_minor > 0 THEN 'open'::hold_status ELSE 'closed'::hold_status END", persisted=True
        ),
    )
    # The HoldFunds request that made it; its posting holds the idempotency key.
    request_id: Mapped[str] = mapped_column(String(200))
    transaction_id: Mapped[uuid.UUID | None]
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class Posting(Base):
    """One balanced movement of money, made once per idempotency key."""

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso_4217"),
        CheckConstraint("request_id <> ''", name="request_id_not_empty"),
        # The idempotency key: a retry finds the first posting instead of making a second.
        UniqueConstraint("scope", "request_id", name="uq_postings_scope_request_id"),
        UniqueConstraint("id", "currency", name="uq_postings_id_currency"),
    )

    id: Mapped[uuid_pk]
    kind: Mapped[PostingKind] = mapped_column(Enum(PostingKind, name="posting_kind", values_callable=_values))
    # Whose keys these are: "hold", "capture:<hold id>" and "release:<hold id>" for the internal calls,
    # "deposit:<user id>" for a user's deposits.
    scope: Mapped[str] = mapped_column(String(100))
    request_id: Mapped[str] = mapped_column(String(200))
    transaction_id: Mapped[uuid.UUID | None]
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[created_now]
    # The hold it fills, pays out or gives back.
    hold_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("holds.id"), index=True)


# Ledger entries are kept for good, a month per partition (docs/design.md, "Partitions").
LEDGER_ENTRIES = PartitionedTable(
    "ledger_entries",
    "created_at",
    Period.MONTH,
    ahead=2,
    # Statement triggers stay with the table they are on: entries are written, and refused, through ledger_entries.
    on_partition=(
        "CREATE TRIGGER ledger_entries_through_table BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {partition}"
        " FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_through_table()",
    ),
)


class LedgerEntry(Base):
    """One line of a posting; append-only. Triggers apply it to its account's balance and check,
    at commit, that its posting sums to zero and that it was written with its posting, at its time.

    Partitioned by month of created_at, which the primary key and the unique key therefore hold; as
    every entry has its posting's time, (posting_id, account_id) is unique all the same."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount_not_zero"),
        ForeignKeyConstraint(
            ["posting_id", "currency"],
            ["postings.id", "postings.currency"],
            name="fk_ledger_entries_posting_id_postings",
        ),
        ForeignKeyConstraint(
            ["account_id", "currency"],
            ["ledger_accounts.id", "ledger_accounts.currency"],
            name="fk_ledger_entries_account_id_ledger_accounts",
        ),
        UniqueConstraint("posting_id", "account_id", "created_at", name="uq_ledger_entries_posting_id_account_id"),
        # An account's entries newest first, in keyset pages.
        Index("ix_ledger_entries_account_id_created_at_id", "account_id", "created_at", "id"),
        {"postgresql_partition_by": LEDGER_ENTRIES.partition_by},
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    posting_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    # Its posting's created_at: the time of the transaction that wrote both.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), primary_key=True)


class LoginFailures(Base):
    """Attempts counted on one key in a fixed window that starts at the first: sign-ins that failed (or
    are being checked) per account, per client and per pair of both, and registrations per client."""

    __tablename__ = "login_failures"
    __table_args__ = (CheckConstraint("failures > 0", name="failures_positive"),)

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    # The attempts counted; named when only failed sign-ins were.
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


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
