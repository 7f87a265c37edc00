"""Messaging's resources as protos: what the servicer answers and what the events carry, built once here."""

from marketplace.messaging.v1 import resources_pb2
from messaging.models import Message
from messaging.repository.conversations import ConversationView
from servicekit.convert import timestamp


def message_to_proto(message: Message) -> resources_pb2.Message:
    return resources_pb2.Message(
        id=str(message.id),
        conversation_id=str(message.conversation_id),
        sender_id=str(message.sender_id),
        text=message.text,
        image_url=message.image_url,
        create_time=timestamp(message.created_at),
    )


def conversation_to_proto(view: ConversationView) -> resources_pb2.Conversation:
    conversation = view.conversation
    return resources_pb2.Conversation(
        id=str(conversation.id),
        listing_id=str(conversation.listing_id),
        buyer_id=str(conversation.buyer_id),
        seller_id=str(conversation.seller_id),
        unread_count=view.unread_count,
        last_message=message_to_proto(view.last_message) if view.last_message else None,
        archived=view.archived,
        create_time=timestamp(conversation.created_at),
        update_time=timestamp(conversation.updated_at),
    )
