"""The messaging gRPC servicer: proto <-> domain, nothing else (the resources' protos: messaging.resources)."""

from collections.abc import AsyncIterator

from grpc.aio import ServicerContext

from marketplace.messaging.v1 import messaging_service_pb2 as pb
from marketplace.messaging.v1 import messaging_service_pb2_grpc as pb_grpc
from marketplace.messaging.v1 import resources_pb2
from messaging.clients import Trading
from messaging.domain.conversations import Topic
from messaging.domain.messages import Content
from messaging.domain.settings import MessagingRuntimeSettings
from messaging.live import UserEventListener
from messaging.resources import conversation_to_proto, message_to_proto, user_event_to_proto
from messaging.service import conversations, messages, user_events
from servicekit.admin import AdminMethods
from servicekit.auth import require_caller
from servicekit.db import Database
from servicekit.errors import InvalidArgument
from servicekit.idempotency import Once
from servicekit.ids import parse_id, parse_optional_id
from servicekit.pagination import INT8, page_request
from servicekit.runtime_settings import SettingsStore


def parse_event_id(value: str) -> int | None:
    """The number of the last event a client received; None for none."""
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or int(value) not in INT8:
        raise InvalidArgument.field("last_event_id", "must be the id of an event the stream sent: a number")
    return int(value)


class MessagingApi(AdminMethods, pb_grpc.MessagingServiceServicer):
    def __init__(
        self,
        db: Database,
        runtime_settings: SettingsStore[MessagingRuntimeSettings],
        trading: Trading,
        listener: UserEventListener,
        stream_reread_seconds: float,
    ) -> None:
        super().__init__(db, runtime_settings)
        self._trading = trading
        self._listener = listener
        self._stream_reread_seconds = stream_reread_seconds

    async def CreateConversation(
        self, request: pb.CreateConversationRequest, context: ServicerContext
    ) -> resources_pb2.Conversation:
        topic = Topic(
            listing_id=parse_optional_id("listing_id", request.listing_id),
            participant_id=parse_optional_id("participant_id", request.participant_id),
        )
        view = await conversations.start_conversation(
            self._db,
            self._trading,
            require_caller(),
            topic,
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
            parse_optional_id("listing_id", request.listing_id),
            page_request(request.page_size, request.page_token),
        )
        return pb.ListConversationsResponse(
            conversations=[conversation_to_proto(view) for view in views], next_page_token=next_token
        )

    async def GetConversation(
        self, request: pb.GetConversationRequest, context: ServicerContext
    ) -> resources_pb2.Conversation:
        view = await conversations.get_conversation(
            self._db, require_caller(), parse_id("conversation_id", request.conversation_id)
        )
        return conversation_to_proto(view)

    async def ListMessages(self, request: pb.ListMessagesRequest, context: ServicerContext) -> pb.ListMessagesResponse:
        found, next_token = await messages.list_messages(
            self._db,
            require_caller(),
            parse_id("conversation_id", request.conversation_id),
            page_request(request.page_size, request.page_token),
        )
        return pb.ListMessagesResponse(
            messages=[message_to_proto(message) for message in found], next_page_token=next_token
        )

    async def CreateMessage(self, request: pb.CreateMessageRequest, context: ServicerContext) -> resources_pb2.Message:
        message = await messages.send_message(
            self._db,
            require_caller(),
            parse_id("conversation_id", request.conversation_id),
            Content(text=request.message.text, image_url=request.message.image_url),
            Once.of(request, message_to_proto),
            self._runtime_settings.values,
        )
        return message_to_proto(message)

    async def MarkConversationRead(
        self, request: pb.MarkConversationReadRequest, context: ServicerContext
    ) -> resources_pb2.Conversation:
        view = await conversations.mark_read(
            self._db, require_caller(), parse_id("conversation_id", request.conversation_id)
        )
        return conversation_to_proto(view)

    async def ArchiveConversation(
        self, request: pb.ArchiveConversationRequest, context: ServicerContext
    ) -> resources_pb2.Conversation:
        return await self._set_flags(request.conversation_id, archived=True)

    async def UnarchiveConversation(
        self, request: pb.UnarchiveConversationRequest, context: ServicerContext
    ) -> resources_pb2.Conversation:
        return await self._set_flags(request.conversation_id, archived=False)

    async def MuteConversation(
        self, request: pb.MuteConversationRequest, context: ServicerContext
    ) -> resources_pb2.Conversation:
        return await self._set_flags(request.conversation_id, muted=True)

    async def UnmuteConversation(
        self, request: pb.UnmuteConversationRequest, context: ServicerContext
    ) -> resources_pb2.Conversation:
        return await self._set_flags(request.conversation_id, muted=False)

    async def _set_flags(self, conversation_id: str, **flags: bool) -> resources_pb2.Conversation:
        view = await conversations.set_flags(
            self._db, require_caller(), parse_id("conversation_id", conversation_id), **flags
        )
        return conversation_to_proto(view)

    async def StreamUserEvents(
        self, request: pb.StreamUserEventsRequest, context: ServicerContext
    ) -> AsyncIterator[pb.UserEvent]:
        caller = require_caller()
        last_event_id = parse_event_id(request.last_event_id)

        async def started() -> None:
            # Headers once the start is fixed: a client that has them (the gateway's 200) misses nothing after.
            await context.send_initial_metadata(())

        async for event in user_events.follow(
            self._db, self._listener, caller, last_event_id, self._stream_reread_seconds, started
        ):
            yield user_event_to_proto(event)
