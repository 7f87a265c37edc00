"""Use cases of conversations: starting one, and the inbox."""

from uuid import UUID

from sqlalchemy import func

from messaging import events
from messaging.clients import Trading
from messaging.domain import conversations as domain
from messaging.domain.settings import MessagingRuntimeSettings
from messaging.models import Conversation, Message
from messaging.repository import conversations as repository
from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.idempotency import Once
from servicekit.pagination import Page, page_result


async def start_conversation(
    db: Database,
    trading: Trading,
    caller: Caller,
    listing_id: UUID,
    text: str,
    once: Once,
    settings: MessagingRuntimeSettings,
) -> repository.ConversationView:
    """Opens the caller's conversation with the listing's seller (or finds it) and sends text."""
    text = domain.check_text(text, settings.max_message_length)
    listing = await trading.listing(listing_id)
    if listing.seller_id == caller.user_id:
        raise domain.ConversationWithYourself("this is your own listing")
    async with db.begin() as session:
        await idempotency.claim(session, once)
        conversation = await repository.find_conversation(session, listing.id, caller.user_id)
        if conversation is None:
            conversation = await repository.add_conversation(session, listing.id, caller.user_id, listing.seller_id)
            events.conversation_started(session, conversation)
        if text:
            await _send(session, conversation, caller.user_id, text)
        view = await repository.view_for(session, conversation, caller.user_id)
        await idempotency.complete(session, once, view)
        return view


async def _send(session, conversation: Conversation, sender_id: UUID, text: str) -> Message:
    message = Message(conversation_id=conversation.id, sender_id=sender_id, text=text)
    session.add(message)
    conversation.updated_at = func.now()
    await session.flush()
    await session.refresh(conversation, ["updated_at"])
    recipient = conversation.seller_id if sender_id == conversation.buyer_id else conversation.buyer_id
    events.message_sent(session, conversation, message, recipient)
    return message


async def list_conversations(
    db: Database, caller: Caller, archived: bool, listing_id: UUID | None, page: Page
) -> tuple[list[repository.ConversationView], str]:
    async with db.read() as session:
        views = await repository.list_for_participant(session, caller.user_id, archived, listing_id, page)
    return page_result(views, page, lambda view: (view.conversation.updated_at, view.conversation.id))
