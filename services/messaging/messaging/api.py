"""The messaging gRPC servicer: proto <-> domain, nothing else."""

from grpc.aio import ServicerContext

from marketplace.messaging.v1 import messaging_service_pb2 as pb
from marketplace.messaging.v1 import messaging_service_pb2_grpc as pb_grpc
from marketplace.messaging.v1 import resources_pb2
from messaging import service
from messaging.clients import Trading
from messaging.domain import MessagingRuntimeSettings
from messaging.models import Message
from messaging.repository import ConversationView
from servicekit.admin import AdminMethods
from servicekit.auth import require_caller
from servicekit.convert import timestamp
from servicekit.db import Database
from servicekit.idempotency import Once
from servicekit.ids import parse_id
from servicekit.pagination import page_request
from servicekit.runtime_settings import SettingsStore


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


class MessagingApi(AdminMethods, pb_grpc.MessagingServiceServicer):
    def __init__(
        self, db: Database, runtime_settings: SettingsStore[MessagingRuntimeSettings], trading: Trading
    ) -> None:
        super().__init__(db, runtime_settings)
        self._trading = trading

    async def CreateConversation(
        self, request: pb.CreateConversationRequest, context: ServicerContext
    ) -> resources_pb2.Conversation:
        view = await service.start_conversation(
            self._db,
            self._trading,
            require_caller(),
            parse_id("listing_id", request.listing_id),
            request.text,
            Once.of(request, conversation_to_proto),
            self._runtime_settings.values,
        )
        return conversation_to_proto(view)

    async def ListConversations(
        self, request: pb.ListConversationsRequest, context: ServicerContext
    ) -> pb.ListConversationsResponse:
        views, next_token = await service.list_conversations(
            self._db,
            require_caller(),
            request.archived,
            parse_id("listing_id", request.listing_id) if request.listing_id else None,
            page_request(request.page_size, request.page_token),
        )
        return pb.ListConversationsResponse(
            conversations=[conversation_to_proto(view) for view in views], next_page_token=next_token
        )
