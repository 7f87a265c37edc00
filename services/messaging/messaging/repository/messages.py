"""Queries of messages: adding one and moving its conversation forward, a conversation's pages, who made an offer."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import case, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.domain.messages import MessageKind
from messaging.models import Conversation, Message, ParticipantState
from servicekit.pagination import Page


async def add_message(
    session: AsyncSession,
    conversation_id: UUID,
    sender_id: UUID | None,
    kind: MessageKind,
    text: str,
    image_url: str = "",
    offer_id: UUID | None = None,
    origin: str | None = None,
) -> Message | None:
    """Inserts the message; None when a message of the same origin was posted before. Its time is the clock's,
    not the transaction's start: messages posted in one transaction (the demo's) keep their order."""
    stmt = (
        insert(Message)
        .values(
            conversation_id=conversation_id,
            sender_id=sender_id,
            kind=kind,
            text=text,
            image_url=image_url,
            offer_id=offer_id,
            origin=origin,
            created_at=func.clock_timestamp(),
        )
        .on_conflict_do_nothing(index_elements=["origin"])
        .returning(Message)
    )
    return await session.scalar(stmt)


async def advance(session: AsyncSession, message: Message, unread_by: tuple[UUID, ...]) -> None:
    """What a new message changes beside itself, without reading first, so that concurrent sends never undo
    each other: the conversation's newest message moves forward only, by (created_at, id), whatever order
    their transactions commit in (an UPDATE that waited for another re-reads the row it then changes); the
    unread counts grow by one each; both participants' activity moves forward; and the conversation comes
    back to the inbox of a participant who archived it, unless they muted it (domain.conversations)."""
    await session.execute(
        update(Conversation)
        .where(
            Conversation.id == message.conversation_id,
            or_(
                Conversation.last_message_at.is_(None),
                tuple_(Conversation.last_message_at, Conversation.last_message_id)
                < tuple_(message.created_at, message.id),
            ),
        )
        .values(last_message_id=message.id, last_message_at=message.created_at, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )
    # One statement for both rows: every send locks them in the same order.
    await session.execute(
        update(ParticipantState)
        .where(ParticipantState.conversation_id == message.conversation_id)
        .values(
            unread_count=ParticipantState.unread_count + case((ParticipantState.user_id.in_(unread_by), 1), else_=0),
            active_at=func.greatest(ParticipantState.active_at, message.created_at),
            archived=ParticipantState.archived & ParticipantState.muted,
        )
        .execution_options(synchronize_session=False)
    )


async def page_of(session: AsyncSession, conversation_id: UUID, page: Page) -> list[Message]:
    """The conversation's messages, newest first, from the page token's key on."""
    stmt = select(Message).where(Message.conversation_id == conversation_id)
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(Message.created_at, Message.id) < tuple_(*after))
    stmt = stmt.order_by(Message.created_at.desc(), Message.id.desc()).limit(page.size + 1)
    return list(await session.scalars(stmt))


async def offer_proposer(session: AsyncSession, offer_id: UUID) -> UUID | None:
    """Who made the offer, as its offer message says; None when none was posted."""
    return await session.scalar(
        select(Message.sender_id).where(Message.offer_id == offer_id, Message.kind == MessageKind.OFFER).limit(1)
    )
