"""Verifications."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.domain.verifications import VerificationStatus, VerificationType
from accounts.models import Verification
from servicekit.pagination import Page

PENDING_VERIFICATION = "uq_verifications_pending_user_id_type"


async def get_verification(session: AsyncSession, verification_id: UUID, *, for_update: bool = False):
    stmt = select(Verification).where(Verification.id == verification_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def verification_statuses(
    session: AsyncSession, user_id: UUID, type_: VerificationType
) -> list[VerificationStatus]:
    stmt = select(Verification.status).where(Verification.user_id == user_id, Verification.type == type_)
    return list(await session.scalars(stmt))


async def approved_types(session: AsyncSession, user_id: UUID) -> list[VerificationType]:
    stmt = (
        select(Verification.type)
        .where(Verification.user_id == user_id, Verification.status == VerificationStatus.APPROVED)
        .distinct()
        .order_by(Verification.type)
    )
    return list(await session.scalars(stmt))


async def list_verifications(
    session: AsyncSession, page: Page, *, user_id: UUID | None, status: VerificationStatus | None
) -> list[Verification]:
    stmt = select(Verification)
    if user_id is not None:
        stmt = stmt.where(Verification.user_id == user_id)
    if status is not None:
        stmt = stmt.where(Verification.status == status)
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(Verification.submitted_at, Verification.id) < tuple_(*after))
    stmt = stmt.order_by(Verification.submitted_at.desc(), Verification.id.desc()).limit(page.size + 1)
    return list(await session.scalars(stmt))
