"""The accounts tables."""

import uuid
from datetime import datetime

from geoalchemy2 import Geography, WKBElement
from sqlalchemy import CheckConstraint, DateTime, Enum, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import CITEXT
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from accounts.domain import MAX_EMAIL, PHONE_PATTERN, USERNAME_PATTERN, UserStatus
from servicekit.auth import Role
from servicekit.db import created_now, new_metadata, updated_now, uuid_pk
from servicekit.idempotency import IdempotencyKeyMixin
from servicekit.outbox import OutboxEventMixin


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
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    avatar_url: Mapped[str] = mapped_column(String(2048), default="")
    # Geography so that "within N km" is a true distance on the sphere; GeoAlchemy2 adds its GIST index.
    location: Mapped[WKBElement | None] = mapped_column(Geography(geometry_type="POINT", srid=4326))
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


class OutboxEvent(OutboxEventMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass
