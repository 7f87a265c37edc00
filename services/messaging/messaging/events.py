"""The integration events messaging publishes, built from protos/marketplace/messaging/v1/events.proto.

Each function adds one event to the outbox in the caller's transaction, so every event of a
type has the same payload wherever it is published.
"""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.messaging.v1 import events_pb2
from messaging.models import Conversation, Message, OutboxEvent
from servicekit import outbox


def conversation_started(session: AsyncSession, conversation: Conversation) -> None:
    payload = events_pb2.ConversationStarted(
        conversation_id=str(conversation.id),
        listing_id=str(conversation.listing_id),
        buyer_id=str(conversation.buyer_id),
        seller_id=str(conversation.seller_id),
    )
    outbox.add(session, OutboxEvent, "messaging.conversation.started", conversation.id, payload)


def message_sent(session: AsyncSession, conversation: Conversation, message: Message, recipient_id: UUID) -> None:
    payload = events_pb2.MessageSent(
        message_id=str(message.id),
        conversation_id=str(conversation.id),
        listing_id=str(conversation.listing_id),
        sender_id=str(message.sender_id),
        recipient_id=str(recipient_id),
    )
    outbox.add(session, OutboxEvent, "messaging.message.sent", message.id, payload)
