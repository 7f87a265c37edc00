"""Messaging's resources as protos: what the servicer answers and what the events carry, built once here."""

from marketplace.messaging.v1 import messaging_service_pb2, resources_pb2
from messaging.models import Message
from messaging.repository.conversations import ConversationView
from messaging.repository.user_events import LoggedEvent
from servicekit import enums
from servicekit.convert import timestamp


def message_to_proto(message: Message) -> resources_pb2.Message:
    return resources_pb2.Message(
        id=str(message.id),
        conversation_id=str(message.conversation_id),
        sender_id=str(message.sender_id or ""),
        text=message.text,
        image_url=message.image_url,
        offer_id=str(message.offer_id or ""),
        create_time=timestamp(message.created_at),
        kind=enums.to_proto(resources_pb2.MessageKind, message.kind),
        read_time=timestamp(message.read_at) if message.read_at else None,
    )


def conversation_to_proto(view: ConversationView) -> resources_pb2.Conversation:
    conversation, state = view.conversation, view.state
    return resources_pb2.Conversation(
        id=str(conversation.id),
        listing_id=str(conversation.listing_id or ""),
        buyer_id=str(conversation.buyer_id),
        seller_id=str(conversation.seller_id),
        unread_count=state.unread_count,
        last_message=message_to_proto(view.last_message) if view.last_message else None,
        archived=state.archived,
        muted=state.muted,
        last_read_message_id=str(state.last_read_message_id or ""),
        create_time=timestamp(conversation.created_at),
        update_time=timestamp(conversation.updated_at),
    )


def user_event_to_proto(event: LoggedEvent) -> messaging_service_pb2.UserEvent:
    """A logged event as the stream sends it: its number is its id."""
    proto = messaging_service_pb2.UserEvent.FromString(event.payload)
    proto.id = str(event.seq)
    proto.create_time.CopyFrom(timestamp(event.created_at))
    return proto
