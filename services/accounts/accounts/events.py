"""The integration events accounts publishes (events.proto), added to the outbox in the caller's transaction."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import OutboxEvent, User, Verification
from marketplace.accounts.v1 import events_pb2, resources_pb2
from servicekit import enums, outbox
from servicekit.suspensions import REINSTATED, SUSPENDED

USER_REGISTERED = "accounts.user.registered"
VERIFICATION_REVIEWED = "accounts.verification.reviewed"
# Every service follows these two to refuse a suspended user's tokens, so the kit names them.
USER_SUSPENDED = SUSPENDED
USER_REINSTATED = REINSTATED


def user_registered(session: AsyncSession, user: User) -> None:
    registered = events_pb2.UserRegistered(
        user_id=str(user.id), username=user.username, role=enums.to_proto(resources_pb2.Role, user.role)
    )
    outbox.add(session, OutboxEvent, USER_REGISTERED, user.id, registered)


def user_suspended(session: AsyncSession, user_id: UUID, reason: str) -> None:
    outbox.add(
        session, OutboxEvent, USER_SUSPENDED, user_id, events_pb2.UserSuspended(user_id=str(user_id), reason=reason)
    )


def user_reinstated(session: AsyncSession, user_id: UUID) -> None:
    outbox.add(session, OutboxEvent, USER_REINSTATED, user_id, events_pb2.UserReinstated(user_id=str(user_id)))


def verification_reviewed(session: AsyncSession, verification: Verification, verification_level: int) -> None:
    reviewed = events_pb2.VerificationReviewed(
        verification_id=str(verification.id),
        user_id=str(verification.user_id),
        type=enums.to_proto(resources_pb2.VerificationType, verification.type),
        status=enums.to_proto(resources_pb2.VerificationStatus, verification.status),
        verification_level=verification_level,
    )
    outbox.add(session, OutboxEvent, VERIFICATION_REVIEWED, verification.id, reviewed)
