"""Queries of conversations: finding and adding one, the inbox with unread counts and last messages."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.models import Conversation, Message, ParticipantState
from servicekit.pagination import Page


@dataclass(frozen=True)
class ConversationView:
    """A conversation as one participant sees it."""

    conversation: Conversation
    archived: bool
    unread_count: int
    last_message: Message | None


async def find_conversation(session: AsyncSession, listing_id: UUID, buyer_id: UUID) -> Conversation | None:
    return await session.scalar(
        select(Conversation).where(Conversation.listing_id == listing_id, Conversation.buyer_id == buyer_id)
    )


async def add_conversation(session: AsyncSession, listing_id: UUID, buyer_id: UUID, seller_id: UUID) -> Conversation:
    """Inserts the conversation and both participants' states, or returns the one that exists."""
    conversation_id = await session.scalar(
        insert(Conversation)
        .values(listing_id=listing_id, buyer_id=buyer_id, seller_id=seller_id)
        .on_conflict_do_nothing(constraint="uq_conversations_listing_id_buyer_id")
        .returning(Conversation.id)
    )
    if conversation_id is not None:
        await session.execute(
            insert(ParticipantState).values(
                [
                    {"conversation_id": conversation_id, "user_id": buyer_id},
                    {"conversation_id": conversation_id, "user_id": seller_id},
                ]
            )
        )
    return await find_conversation(session, listing_id, buyer_id)


async def list_for_participant(
    session: AsyncSession, user_id: UUID, archived: bool, listing_id: UUID | None, page: Page
) -> list[ConversationView]:
    """The user's conversations, most recently active first, with unread counts and last messages."""
    stmt = (
        select(Conversation, ParticipantState.archived, ParticipantState.last_read_at)
        .join(ParticipantState, ParticipantState.conversation_id == Conversation.id)
        .where(ParticipantState.user_id == user_id, ParticipantState.archived == archived)
    )
    if listing_id:
        stmt = stmt.where(Conversation.listing_id == listing_id)
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(Conversation.updated_at, Conversation.id) < tuple_(*after))
    rows = (
        await session.execute(
            stmt.order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(page.size + 1)
        )
    ).all()
    ids = [row.Conversation.id for row in rows]
    last_messages = await _last_messages(session, ids)
    unread = await _unread_counts(session, user_id, ids)
    return [
        ConversationView(
            conversation=row.Conversation,
            archived=row.archived,
            unread_count=unread.get(row.Conversation.id, 0),
            last_message=last_messages.get(row.Conversation.id),
        )
        for row in rows
    ]


async def _last_messages(session: AsyncSession, conversation_ids: list[UUID]) -> dict[UUID, Message]:
    if not conversation_ids:
        return {}
    stmt = (
        select(Message)
        .where(Message.conversation_id.in_(conversation_ids))
        .ext(distinct_on(Message.conversation_id))
        .order_by(Message.conversation_id, Message.created_at.desc(), Message.id.desc())
    )
    return {message.conversation_id: message for message in await session.scalars(stmt)}


async def _unread_counts(session: AsyncSession, user_id: UUID, conversation_ids: list[UUID]) -> dict[UUID, int]:
    """Messages from the other participant newer than what the user last read."""
    if not conversation_ids:
        return {}
    stmt = (
        select(Message.conversation_id, func.count())
        .join(
            ParticipantState,
            and_(ParticipantState.conversation_id == Message.conversation_id, ParticipantState.user_id == user_id),
        )
        .where(
            Message.conversation_id.in_(conversation_ids),
            Message.sender_id != user_id,
            or_(ParticipantState.last_read_at.is_(None), Message.created_at > ParticipantState.last_read_at),
        )
        .group_by(Message.conversation_id)
    )
    return dict((await session.execute(stmt)).all())


async def view_for(session: AsyncSession, conversation: Conversation, user_id: UUID) -> ConversationView:
    archived = await session.scalar(
        select(ParticipantState.archived).where(
            ParticipantState.conversation_id == conversation.id, ParticipantState.user_id == user_id
        )
    )
    last_messages = await _last_messages(session, [conversation.id])
    unread = await _unread_counts(session, user_id, [conversation.id])
    return ConversationView(
        conversation=conversation,
        archived=bool(archived),
        unread_count=unread.get(conversation.id, 0),
        last_message=last_messages.get(conversation.id),
    )
