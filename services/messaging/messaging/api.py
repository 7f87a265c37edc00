"""The messaging gRPC servicer: proto <-> domain, nothing else (the resources' protos: messaging.resources)."""

from grpc.aio import ServicerContext

from marketplace.messaging.v1 import messaging_service_pb2 as pb
from marketplace.messaging.v1 import messaging_service_pb2_grpc as pb_grpc
from marketplace.messaging.v1 import resources_pb2
from messaging.clients import Trading
from messaging.domain.settings import MessagingRuntimeSettings
from messaging.resources import conversation_to_proto
from messaging.service import conversations
from servicekit.admin import AdminMethods
from servicekit.auth import require_caller
from servicekit.db import Database
from servicekit.idempotency import Once
from servicekit.ids import parse_id
from servicekit.pagination import page_request
from servicekit.runtime_settings import SettingsStore


class MessagingApi(AdminMethods, pb_grpc.MessagingServiceServicer):
    def __init__(
        self, db: Database, runtime_settings: SettingsStore[MessagingRuntimeSettings], trading: Trading
    ) -> None:
        super().__init__(db, runtime_settings)
        self._trading = trading

    async def CreateConversation(
        self, request: pb.CreateConversationRequest, context: ServicerContext
    ) -> resources_pb2.Conversation:
        view = await conversations.start_conversation(
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
        views, next_token = await conversations.list_conversations(
            self._db,
            require_caller(),
            request.archived,
            parse_id("listing_id", request.listing_id) if request.listing_id else None,
            page_request(request.page_size, request.page_token),
        )
        return pb.ListConversationsResponse(
            conversations=[conversation_to_proto(view) for view in views], next_page_token=next_token
        )
