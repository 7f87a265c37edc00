"""Messages: sent by participants, read newest first, once per request_id, checked, and correct when a hundred
come at once."""

import asyncio
import uuid

import grpc
import pytest

from marketplace.messaging.v1 import messaging_service_pb2 as pb
from marketplace.messaging.v1 import resources_pb2
from servicekit.auth import Role
from testkit.grpc import error_reason, field_violations, rpc_error
from testkit.settings import reset_settings, settings_change


def send(conversation_id: str, text: str = "", image_url: str = "", request_id: str = "") -> pb.CreateMessageRequest:
    message = resources_pb2.Message(text=text, image_url=image_url)
    return pb.CreateMessageRequest(conversation_id=conversation_id, message=message, request_id=request_id)


async def test_messages_come_newest_first_in_complete_pages(messaging, talk):
    conversation, (_, seller), (_, buyer) = await talk("0")
    for n in range(1, 5):
        await messaging.CreateMessage(send(conversation.id, str(n)), metadata=seller if n % 2 else buyer)
    texts, token = [], ""
    while True:
        page = await messaging.ListMessages(
            pb.ListMessagesRequest(conversation_id=conversation.id, page_size=2, page_token=token), metadata=buyer
        )
        texts += [message.text for message in page.messages]
        if not (token := page.next_page_token):
            break
    assert texts == ["4", "3", "2", "1", "0"]


async def test_a_message_tells_its_kind_sender_and_makes_the_conversation_newest(messaging, talk):
    conversation, (seller_id, seller), _ = await talk()
    sent = await messaging.CreateMessage(send(conversation.id, "Look", "https://example.com/a.png"), metadata=seller)
    assert (sent.kind, sent.sender_id, sent.image_url) == (
        resources_pb2.MESSAGE_KIND_IMAGE,
        str(seller_id),
        "https://example.com/a.png",
    )
    assert not sent.HasField("read_time")
    got = await messaging.GetConversation(pb.GetConversationRequest(conversation_id=conversation.id), metadata=seller)
    assert got.last_message == sent


async def test_a_repeated_request_id_sends_once_and_answers_the_first_message(messaging, talk):
    conversation, (_, seller), (_, buyer) = await talk()
    request = send(conversation.id, "Once", request_id=uuid.uuid4().hex)
    first = await messaging.CreateMessage(request, metadata=buyer)
    again = await messaging.CreateMessage(request, metadata=buyer)
    assert again == first
    got = await messaging.GetConversation(pb.GetConversationRequest(conversation_id=conversation.id), metadata=seller)
    assert got.unread_count == 2


@pytest.mark.parametrize(
    ("text", "image_url", "field"),
    [
        ("x" * 100_000, "", "message.text"),
        ("", "", "message.text"),
        (" \n\t ", "", "message.text"),
        ("nul \x00 inside", "", "message.text"),
        ("", "ftp://example.com/a.png", "message.image_url"),
        ("", "javascript:alert(1)", "message.image_url"),
    ],
    ids=["100000 characters", "empty", "blank", "NUL", "ftp image", "javascript image"],
)
async def test_bad_messages_are_refused_naming_the_field(messaging, talk, text, image_url, field):
    conversation, _, (_, buyer) = await talk()
    error = await rpc_error(messaging.CreateMessage(send(conversation.id, text, image_url), metadata=buyer))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(error)


async def test_images_are_refused_while_the_setting_is_off(messaging, talk, person):
    _, admin = person(Role.ADMIN)
    conversation, _, (_, buyer) = await talk()
    await messaging.UpdateSettings(settings_change(None, {"images_enabled": {"enabled": False}}), metadata=admin)
    try:
        error = await rpc_error(
            messaging.CreateMessage(send(conversation.id, image_url="https://example.com/a.png"), metadata=buyer)
        )
        assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(error) == "IMAGES_DISABLED"
        await messaging.CreateMessage(send(conversation.id, "text still goes"), metadata=buyer)
    finally:
        await reset_settings(messaging, admin)


async def test_100_concurrent_sends_make_100_messages_100_unread_and_the_newest_last(messaging, talk):
    conversation, (_, seller), (_, buyer) = await talk("")
    sent = await asyncio.gather(
        *(messaging.CreateMessage(send(conversation.id, f"#{n}"), metadata=buyer) for n in range(100))
    )
    assert len({message.id for message in sent}) == 100
    got = await messaging.GetConversation(pb.GetConversationRequest(conversation_id=conversation.id), metadata=seller)
    assert got.unread_count == 100
    newest = await messaging.ListMessages(
        pb.ListMessagesRequest(conversation_id=conversation.id, page_size=1), metadata=seller
    )
    assert got.last_message == newest.messages[0]
    count, token = 0, ""
    while True:
        page = await messaging.ListMessages(
            pb.ListMessagesRequest(conversation_id=conversation.id, page_size=100, page_token=token), metadata=seller
        )
        count += len(page.messages)
        if not (token := page.next_page_token):
            break
    assert count == 100
