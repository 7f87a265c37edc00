"""Use cases of conversations: starting one (or finding it), the inbox, one conversation, and each
participant's own state of it (read, archived, muted)."""

from collections.abc import Awaitable, Callable
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from messaging.clients import Trading
from messaging.domain import conversations as domain
from messaging.domain.messages import Content, check_content
from messaging.domain.settings import MessagingRuntimeSettings
from messaging.repository import conversations as repository
from messaging.repository.conversations import ConversationView
from messaging.service.common import open_conversation, participants_view
from messaging.service.messages import post
from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.idempotency import Once
from servicekit.pagination import Page, page_result


async def start_conversation(
    db: Database,
    trading: Trading,
    caller: Caller,
    topic: domain.Topic,
    text: str,
    once: Once,
    settings: MessagingRuntimeSettings,
) -> ConversationView:
    """Opens the caller's conversation with the listing's seller, or with the user named (or finds it), and
    sends the text when there is one."""
    topic = domain.check_topic(topic)
    if text:
        check_content(Content(text), settings.max_message_length, images_enabled=True)
    if topic.listing_id is not None:
        other_id = (await trading.listing(topic.listing_id)).seller_id
    else:
        assert topic.participant_id is not None
        other_id = topic.participant_id
    domain.check_other(caller.user_id, other_id)
    async with db.begin() as session:
        await idempotency.claim(session, once)
        conversation = await open_conversation(session, topic.listing_id, caller.user_id, other_id)
        if text:
            await post(session, conversation, caller.user_id, Content(text).kind, text)
        view = await participants_view(session, conversation.id, caller.user_id)
        await idempotency.complete(session, once, view)
        return view


async def list_conversations(
    db: Database, caller: Caller, archived: bool, listing_id: UUID | None, page: Page
) -> tuple[list[ConversationView], str]:
    async with db.read() as session:
        views = await repository.inbox(session, caller.user_id, archived, listing_id, page)
    return page_result(views, page, lambda view: (view.state.active_at, view.conversation.id))


async def get_conversation(db: Database, caller: Caller, conversation_id: UUID) -> ConversationView:
    async with db.read() as session:
        return await participants_view(session, conversation_id, caller.user_id)


async def _change(
    db: Database, caller: Caller, conversation_id: UUID, change: Callable[[AsyncSession], Awaitable[None]]
) -> ConversationView:
    async with db.begin() as session:
        await participants_view(session, conversation_id, caller.user_id)
        await change(session)
        return await participants_view(session, conversation_id, caller.user_id)


async def mark_read(db: Database, caller: Caller, conversation_id: UUID) -> ConversationView:
    """Nothing unread for the caller any more; the other participant's messages carry the time they were read."""
    return await _change(
        db, caller, conversation_id, lambda session: repository.mark_read(session, conversation_id, caller.user_id)
    )


async def set_flags(db: Database, caller: Caller, conversation_id: UUID, **flags: bool) -> ConversationView:
    """Archives, unarchives, mutes or unmutes the conversation for the caller alone."""
    return await _change(
        db,
        caller,
        conversation_id,
        lambda session: repository.change_state(session, conversation_id, caller.user_id, **flags),
    )
