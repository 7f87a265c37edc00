"""Use cases of messages: sending one, reading a conversation's pages; and `post`, what every new message does,
whoever posts it (a participant, or trading's events)."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from messaging import events
from messaging.domain import conversations as conversation_rules
from messaging.domain import messages as domain
from messaging.domain.messages import Content, MessageKind
from messaging.domain.settings import MessagingRuntimeSettings
from messaging.models import Conversation, Message
from messaging.repository import messages as repository
from messaging.service.common import participants_conversation
from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.idempotency import Once
from servicekit.pagination import Page, page_result


async def post(
    session: AsyncSession,
    conversation: Conversation,
    sender_id: UUID | None,
    kind: MessageKind,
    text: str,
    image_url: str = "",
    offer_id: UUID | None = None,
    origin: str | None = None,
) -> Message | None:
    """Adds the message and what follows from it in the caller's transaction: the conversation's newest message,
    unread counts and inboxes (repository.messages.advance), the outbox event, and the live event to both
    participants. None, and nothing done, when a message of the same origin was posted before."""
    message = await repository.add_message(session, conversation.id, sender_id, kind, text, image_url, offer_id, origin)
    if message is None:
        return None
    await repository.advance(
        session, message, domain.unread_by(sender_id, conversation.buyer_id, conversation.seller_id)
    )
    if sender_id is not None:
        recipient = conversation_rules.other_participant(sender_id, conversation.buyer_id, conversation.seller_id)
        events.message_sent(session, conversation, message, recipient)
    await events.message_posted(session, conversation, message)
    return message


async def send_message(
    db: Database,
    caller: Caller,
    conversation_id: UUID,
    content: Content,
    once: Once,
    settings: MessagingRuntimeSettings,
) -> Message:
    """The caller's message in one of their conversations (NOT_FOUND for anyone else)."""
    content = domain.check_content(
        content, settings.max_message_length, settings.is_enabled("images_enabled", caller.user_id), "message."
    )
    async with db.begin() as session:
        await idempotency.claim(session, once)
        conversation = await participants_conversation(session, conversation_id, caller.user_id)
        message = await post(session, conversation, caller.user_id, content.kind, content.text, content.image_url)
        assert message is not None
        await idempotency.complete(session, once, message)
        return message


async def list_messages(db: Database, caller: Caller, conversation_id: UUID, page: Page) -> tuple[list[Message], str]:
    async with db.read() as session:
        await participants_conversation(session, conversation_id, caller.user_id)
        messages = await repository.page_of(session, conversation_id, page)
    return page_result(messages, page, lambda message: (message.created_at, message.id))
