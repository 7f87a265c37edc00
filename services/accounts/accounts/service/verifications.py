"""Use cases of verifications: ask for one, list them, and an admin's review."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from accounts import events
from accounts.domain.users import UserNotFound
from accounts.domain.verifications import (
    NewVerification,
    VerificationNotFound,
    VerificationPending,
    VerificationStatus,
    check_new_verification,
    review,
    verification_level,
)
from accounts.models import Verification
from accounts.repository import users, verifications
from servicekit import audit as audit_log
from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.db import Database, broken_constraint
from servicekit.errors import PermissionDenied
from servicekit.idempotency import Once
from servicekit.pagination import Page, page_result


async def create_verification(
    db: Database, caller: Caller, new: NewVerification, once: Once | None = None
) -> Verification:
    try:
        async with db.begin() as session:
            await idempotency.claim(session, once)
            if await users.get_user(session, caller.user_id) is None:
                raise UserNotFound(f"user {caller.user_id} does not exist")
            check_new_verification(
                new.type, await verifications.verification_statuses(session, caller.user_id, new.type)
            )
            verification = Verification(
                id=uuid.uuid4(),
                user_id=caller.user_id,
                type=new.type,
                status=VerificationStatus.PENDING,
                data=new.data,
                rejection_reason="",
            )
            session.add(verification)
            await session.flush()
            await session.refresh(verification)
            await idempotency.complete(session, once, verification)
    except IntegrityError as exc:
        # Two requests raced past the check; the partial unique index kept one pending.
        if broken_constraint(exc) != verifications.PENDING_VERIFICATION:
            raise
        raise VerificationPending(f"a {new.type.value} verification is waiting for review already") from exc
    return verification


async def list_verifications(
    db: Database, caller: Caller, page: Page, *, user_id: uuid.UUID | None, status: VerificationStatus | None
) -> tuple[list[Verification], str]:
    """Admins see anyone's (all by default); others only their own."""
    if not caller.is_admin:
        if user_id not in (None, caller.user_id):
            raise PermissionDenied("only admins list other users' verifications")
        user_id = caller.user_id
    async with db.read() as session:
        rows = await verifications.list_verifications(session, page, user_id=user_id, status=status)
    return page_result(rows, page, key=lambda row: (row.submitted_at, row.id))


async def review_verification(
    db: Database, caller: Caller, verification_id: uuid.UUID, *, approve: bool, reason: str = ""
) -> Verification:
    caller.require_admin()
    async with db.begin() as session:
        verification = await verifications.get_verification(session, verification_id, for_update=True)
        if verification is None:
            raise VerificationNotFound(f"verification {verification_id} does not exist")
        before = _audited(verification)
        verification.status = review(
            verification.status,
            owner_id=verification.user_id,
            reviewer_id=caller.user_id,
            approve=approve,
            reason=reason,
        )
        verification.reviewer_id = caller.user_id
        verification.decided_at = datetime.now(UTC)
        verification.rejection_reason = "" if approve else reason.strip()
        await session.flush()
        level = verification_level(await verifications.approved_types(session, verification.user_id))
        events.verification_reviewed(session, verification, level)
        await session.refresh(verification)
        action = f"verification.{verification.status.value}"
        await audit_log.record(
            session, action, "verification", verification.id, before=before, after=_audited(verification)
        )
    return verification


def _audited(verification: Verification) -> dict:
    """A verification as the audit log keeps it: without the documents it carries (data)."""
    return {
        "user_id": str(verification.user_id),
        "type": verification.type.value,
        "status": verification.status.value,
        "reason": verification.rejection_reason,
    }
