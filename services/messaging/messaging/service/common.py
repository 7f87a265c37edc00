"""What the use cases of every resource share: a participant's view of a conversation, and opening one."""

from typing import TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from messaging import events
from messaging.domain import conversations as domain
from messaging.models import Conversation
from messaging.repository import conversations as repository
from messaging.repository.conversations import ConversationView

T = TypeVar("T")


async def participants_view(session: AsyncSession, conversation_id: UUID, user_id: UUID) -> ConversationView:
    """The conversation as the user sees it; NOT_FOUND for a conversation that does not exist or is not theirs."""
    return _found(await repository.view_for(session, conversation_id, user_id), conversation_id)


async def participants_conversation(session: AsyncSession, conversation_id: UUID, user_id: UUID) -> Conversation:
    """The conversation alone, found and refused as participants_view does."""
    return _found(await repository.conversation_for(session, conversation_id, user_id), conversation_id)


def _found(found: T | None, conversation_id: UUID) -> T:
    if found is None:
        raise domain.ConversationNotFound(f"conversation {conversation_id} does not exist")
    return found


async def open_conversation(
    session: AsyncSession, listing_id: UUID | None, buyer_id: UUID, seller_id: UUID
) -> Conversation:
    """The conversation of the buyer and the seller about the listing (or about none), started when there is none."""
    if listing_id is None:
        found = await repository.find_without_listing(session, buyer_id, seller_id)
    else:
        found = await repository.find_about_listing(session, listing_id, buyer_id)
    if found is not None:
        return found
    conversation, started = await repository.add_conversation(session, listing_id, buyer_id, seller_id)
    if started:
        events.conversation_started(session, conversation)
    return conversation
