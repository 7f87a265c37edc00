"""Refresh tokens, stored as their hashes."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import RefreshToken


async def find_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The token row, locked, so that two refreshes of one token take turns."""
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update())


async def family_is_live(session: AsyncSession, family_id: UUID, now: datetime) -> bool:
    """Whether a token of the sign-in still works: it was neither signed out nor has it run out."""
    live = select(RefreshToken.id).where(
        RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now
    )
    return bool(await session.scalar(select(live.exists())))


async def revoke_family(session: AsyncSession, family_id: UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user_sessions(session: AsyncSession, user_id: UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
