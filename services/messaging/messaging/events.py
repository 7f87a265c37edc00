"""The events messaging publishes, built from the protos: integration events to the outbox
(protos/marketplace/messaging/v1/events.proto), and live events to the per-user log that StreamUserEvents reads
(UserEvent, messaging.repository.user_events).

Each function adds its event in the caller's transaction, so every event of a type has the same payload wherever
it is published, and none is published for a change that rolls back.
"""

from uuid import UUID

from google.protobuf.message import Message as ProtoMessage
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.messaging.v1 import events_pb2, messaging_service_pb2
from messaging.models import Conversation, Message, OutboxEvent
from messaging.repository import user_events
from messaging.resources import message_to_proto
from servicekit import outbox


def conversation_started(session: AsyncSession, conversation: Conversation) -> None:
    payload = events_pb2.ConversationStarted(
        conversation_id=str(conversation.id),
        listing_id=str(conversation.listing_id or ""),
        buyer_id=str(conversation.buyer_id),
        seller_id=str(conversation.seller_id),
    )
    outbox.add(session, OutboxEvent, "messaging.conversation.started", conversation.id, payload)


def message_sent(session: AsyncSession, conversation: Conversation, message: Message, recipient_id: UUID) -> None:
    payload = events_pb2.MessageSent(
        message_id=str(message.id),
        conversation_id=str(conversation.id),
        listing_id=str(conversation.listing_id or ""),
        sender_id=str(message.sender_id),
        recipient_id=str(recipient_id),
    )
    outbox.add(session, OutboxEvent, "messaging.message.sent", message.id, payload)


async def tell(session: AsyncSession, user_ids: list[UUID], **payload: ProtoMessage) -> None:
    """A live event to each user, of the kind its one payload field names (`message=...`, `offer_made=...`,
    and what later kinds UserEvent adds)."""
    [(event_type, _)] = payload.items()
    event = messaging_service_pb2.UserEvent(type=event_type, **payload).SerializeToString()
    await user_events.publish(session, user_ids, event_type, event)


async def message_posted(session: AsyncSession, conversation: Conversation, message: Message) -> None:
    """A new message, live to both participants: the sender's other devices show it too."""
    await tell(session, [conversation.buyer_id, conversation.seller_id], message=message_to_proto(message))
