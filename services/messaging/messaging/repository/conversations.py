"""Queries of conversations: finding and adding one, a participant's view of one, the inbox, their state."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from messaging.models import Conversation, Message, ParticipantState
from servicekit.pagination import Page


@dataclass(frozen=True)
class ConversationView:
    """A conversation as one participant sees it: with their own state."""

    conversation: Conversation
    state: ParticipantState

    @property
    def last_message(self) -> Message | None:
        return self.conversation.last_message


async def find_about_listing(session: AsyncSession, listing_id: UUID, buyer_id: UUID) -> Conversation | None:
    return await session.scalar(
        select(Conversation).where(Conversation.listing_id == listing_id, Conversation.buyer_id == buyer_id)
    )


async def find_without_listing(session: AsyncSession, one: UUID, other: UUID) -> Conversation | None:
    """The two users' conversation about no listing, whichever started it (`uq_conversations_pair_without_listing`)."""
    return await session.scalar(
        select(Conversation).where(
            Conversation.listing_id.is_(None),
            func.least(Conversation.buyer_id, Conversation.seller_id) == min(one, other),
            func.greatest(Conversation.buyer_id, Conversation.seller_id) == max(one, other),
        )
    )


async def add_conversation(
    session: AsyncSession, listing_id: UUID | None, buyer_id: UUID, seller_id: UUID
) -> tuple[Conversation, bool]:
    """Inserts the conversation and both participants' states, or finds the one a concurrent start made; whether
    it is new."""
    conversation_id = await session.scalar(
        insert(Conversation)
        .values(listing_id=listing_id, buyer_id=buyer_id, seller_id=seller_id)
        .on_conflict_do_nothing()
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
    if listing_id is None:
        found = await find_without_listing(session, buyer_id, seller_id)
    else:
        found = await find_about_listing(session, listing_id, buyer_id)
    assert found is not None
    return found, conversation_id is not None


def _views() -> Any:
    return (
        select(ParticipantState)
        .join(ParticipantState.conversation)
        .options(contains_eager(ParticipantState.conversation).selectinload(Conversation.last_message))
        .execution_options(populate_existing=True)
    )


async def view_for(session: AsyncSession, conversation_id: UUID, user_id: UUID) -> ConversationView | None:
    """The conversation as the user sees it; None when it does not exist or they do not take part in it."""
    state = await session.scalar(
        _views().where(ParticipantState.conversation_id == conversation_id, ParticipantState.user_id == user_id)
    )
    return ConversationView(state.conversation, state) if state is not None else None


async def conversation_for(session: AsyncSession, conversation_id: UUID, user_id: UUID) -> Conversation | None:
    """The conversation alone, as view_for finds it: what a send or a page of messages needs."""
    return await session.scalar(
        select(Conversation)
        .join(ParticipantState)
        .where(ParticipantState.conversation_id == conversation_id, ParticipantState.user_id == user_id)
    )


async def inbox(
    session: AsyncSession, user_id: UUID, archived: bool, listing_id: UUID | None, page: Page
) -> list[ConversationView]:
    """The user's conversations, most recently active first: their own state rows, through the inbox index."""
    stmt = _views().where(ParticipantState.user_id == user_id, ParticipantState.archived == archived)
    if listing_id:
        stmt = stmt.where(Conversation.listing_id == listing_id)
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(ParticipantState.active_at, ParticipantState.conversation_id) < tuple_(*after))
    stmt = stmt.order_by(ParticipantState.active_at.desc(), ParticipantState.conversation_id.desc()).limit(
        page.size + 1
    )
    return [ConversationView(state.conversation, state) for state in await session.scalars(stmt)]


async def change_state(session: AsyncSession, conversation_id: UUID, user_id: UUID, **values: Any) -> None:
    await session.execute(
        update(ParticipantState)
        .where(ParticipantState.conversation_id == conversation_id, ParticipantState.user_id == user_id)
        .values(**values)
    )


async def mark_read(session: AsyncSession, conversation_id: UUID, user_id: UUID) -> None:
    """Nothing left unread for the user, and the other participant's messages read now. The state row first:
    its lock waits for the sends in flight, and the messages are then read in a newer snapshot that has them."""
    newest = select(Conversation.last_message_id).where(Conversation.id == conversation_id).scalar_subquery()
    await change_state(
        session, conversation_id, user_id, unread_count=0, last_read_message_id=newest, last_read_at=func.now()
    )
    await session.execute(
        update(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.sender_id != user_id,
            Message.read_at.is_(None),
        )
        .values(read_at=func.now())
    )
