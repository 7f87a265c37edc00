import uuid

import grpc
import pytest

from marketplace.messaging.v1 import messaging_service_pb2 as pb
from marketplace.messaging.v1 import resources_pb2
from testkit.grpc import error_reason, field_violations, rpc_error


async def test_a_buyer_starts_one_conversation_per_listing(messaging, person, listing_of):
    seller_id, seller = person()
    buyer_id, buyer = person()
    listing = await listing_of(seller)
    first = await messaging.CreateConversation(
        pb.CreateConversationRequest(listing_id=listing.id, text="Still available?"), metadata=buyer
    )
    second = await messaging.CreateConversation(
        pb.CreateConversationRequest(listing_id=listing.id, text="Hello?"), metadata=buyer
    )
    assert first.id == second.id
    assert (first.buyer_id, first.seller_id) == (str(buyer_id), str(seller_id))
    assert second.last_message.text == "Hello?"


async def test_the_seller_sees_the_conversation_with_its_unread_messages(messaging, person, listing_of):
    _, seller = person()
    _, buyer = person()
    listing = await listing_of(seller)
    await messaging.CreateConversation(pb.CreateConversationRequest(listing_id=listing.id, text="One"), metadata=buyer)
    await messaging.CreateConversation(pb.CreateConversationRequest(listing_id=listing.id, text="Two"), metadata=buyer)
    seller_view = await messaging.ListConversations(pb.ListConversationsRequest(), metadata=seller)
    assert [c.unread_count for c in seller_view.conversations] == [2]
    assert seller_view.conversations[0].last_message.text == "Two"
    buyer_view = await messaging.ListConversations(pb.ListConversationsRequest(), metadata=buyer)
    assert [c.unread_count for c in buyer_view.conversations] == [0]


async def test_nobody_else_sees_the_conversation(messaging, person, listing_of):
    _, seller = person()
    _, buyer = person()
    _, stranger = person()
    listing = await listing_of(seller)
    await messaging.CreateConversation(pb.CreateConversationRequest(listing_id=listing.id, text="Hi"), metadata=buyer)
    assert len((await messaging.ListConversations(pb.ListConversationsRequest(), metadata=stranger)).conversations) == 0


async def test_pages_of_conversations_are_newest_first_and_complete(messaging, person, listing_of):
    _, buyer = person()
    listings = [await listing_of(person()[1]) for _ in range(3)]
    for listing in listings:
        await messaging.CreateConversation(
            pb.CreateConversationRequest(listing_id=listing.id, text="Hi"), metadata=buyer
        )
    first = await messaging.ListConversations(pb.ListConversationsRequest(page_size=2), metadata=buyer)
    rest = await messaging.ListConversations(
        pb.ListConversationsRequest(page_size=2, page_token=first.next_page_token), metadata=buyer
    )
    seen = [c.listing_id for c in [*first.conversations, *rest.conversations]]
    assert seen == [listing.id for listing in reversed(listings)]
    assert rest.next_page_token == ""


async def test_a_seller_cannot_message_their_own_listing(messaging, person, listing_of):
    _, seller = person()
    listing = await listing_of(seller)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await messaging.CreateConversation(
            pb.CreateConversationRequest(listing_id=listing.id, text="Me"), metadata=seller
        )
    assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(err.value) == "OWN_LISTING"


async def test_an_unknown_listing_is_not_found(messaging, person):
    _, buyer = person()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await messaging.CreateConversation(
            pb.CreateConversationRequest(listing_id=str(uuid.uuid4()), text="Hi"), metadata=buyer
        )
    assert err.value.code() is grpc.StatusCode.NOT_FOUND


async def test_a_listing_id_or_a_participant_is_required(messaging, person):
    _, buyer = person()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await messaging.CreateConversation(pb.CreateConversationRequest(text="Hi"), metadata=buyer)
    assert "listing_id" in field_violations(err.value)


async def test_a_repeated_request_id_sends_the_message_once(messaging, person, listing_of):
    _, seller = person()
    _, buyer = person()
    listing = await listing_of(seller)
    request = pb.CreateConversationRequest(listing_id=listing.id, text="Once", request_id=uuid.uuid4().hex)
    await messaging.CreateConversation(request, metadata=buyer)
    await messaging.CreateConversation(request, metadata=buyer)
    seller_view = await messaging.ListConversations(pb.ListConversationsRequest(), metadata=seller)
    assert seller_view.conversations[0].unread_count == 1


async def test_two_users_talk_about_no_listing_in_one_conversation_whoever_starts_it(messaging, person):
    one_id, one = person()
    other_id, other = person()
    first = await messaging.CreateConversation(
        pb.CreateConversationRequest(participant_id=str(other_id), text="Hello"), metadata=one
    )
    second = await messaging.CreateConversation(
        pb.CreateConversationRequest(participant_id=str(one_id), text="Hi back"), metadata=other
    )
    assert first.id == second.id
    assert first.listing_id == ""
    assert (first.buyer_id, first.seller_id) == (str(one_id), str(other_id))
    assert second.last_message.text == "Hi back"
    assert second.unread_count == 1


async def test_a_listing_and_a_participant_together_or_neither_are_refused(messaging, person, listing_of):
    other_id, _ = person()
    _, caller = person()
    listing = await listing_of(person()[1])
    both = pb.CreateConversationRequest(listing_id=listing.id, participant_id=str(other_id))
    assert "participant_id" in field_violations(await rpc_error(messaging.CreateConversation(both, metadata=caller)))
    myself_id, me = person()
    error = await rpc_error(
        messaging.CreateConversation(pb.CreateConversationRequest(participant_id=str(myself_id)), metadata=me)
    )
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION


async def test_a_participant_gets_the_conversation_and_anyone_else_404_on_every_route(messaging, person, talk):
    conversation, (_, seller), _ = await talk()
    assert (
        await messaging.GetConversation(pb.GetConversationRequest(conversation_id=conversation.id), metadata=seller)
    ).id == conversation.id
    _, stranger = person()
    calls = [
        messaging.GetConversation(pb.GetConversationRequest(conversation_id=conversation.id), metadata=stranger),
        messaging.ListMessages(pb.ListMessagesRequest(conversation_id=conversation.id), metadata=stranger),
        messaging.CreateMessage(
            pb.CreateMessageRequest(conversation_id=conversation.id, message=resources_pb2.Message(text="x")),
            metadata=stranger,
        ),
        messaging.MarkConversationRead(
            pb.MarkConversationReadRequest(conversation_id=conversation.id), metadata=stranger
        ),
        messaging.ArchiveConversation(
            pb.ArchiveConversationRequest(conversation_id=conversation.id), metadata=stranger
        ),
        messaging.UnarchiveConversation(
            pb.UnarchiveConversationRequest(conversation_id=conversation.id), metadata=stranger
        ),
        messaging.MuteConversation(pb.MuteConversationRequest(conversation_id=conversation.id), metadata=stranger),
    ]
    for call in calls:
        error = await rpc_error(call)
        assert error.code() is grpc.StatusCode.NOT_FOUND
        assert error_reason(error) == "CONVERSATION_NOT_FOUND"


async def test_mark_read_resets_the_unread_count_and_stamps_the_messages_read(messaging, talk):
    conversation, (_, seller), (_, buyer) = await talk("One")
    await messaging.CreateMessage(
        pb.CreateMessageRequest(conversation_id=conversation.id, message=resources_pb2.Message(text="Two")),
        metadata=buyer,
    )
    get = pb.GetConversationRequest(conversation_id=conversation.id)
    assert (await messaging.GetConversation(get, metadata=seller)).unread_count == 2
    read = await messaging.MarkConversationRead(
        pb.MarkConversationReadRequest(conversation_id=conversation.id), metadata=seller
    )
    assert read.unread_count == 0
    assert read.last_read_message_id == read.last_message.id
    page = await messaging.ListMessages(pb.ListMessagesRequest(conversation_id=conversation.id), metadata=buyer)
    assert all(message.HasField("read_time") for message in page.messages)
    assert (await messaging.GetConversation(get, metadata=buyer)).unread_count == 0


async def test_archive_hides_from_the_inbox_until_a_new_message_unless_muted(messaging, talk):
    conversation, (_, seller), (_, buyer) = await talk()
    archive = pb.ArchiveConversationRequest(conversation_id=conversation.id)
    assert (await messaging.ArchiveConversation(archive, metadata=seller)).archived

    async def inbox(archived: bool = False) -> list[str]:
        page = await messaging.ListConversations(pb.ListConversationsRequest(archived=archived), metadata=seller)
        return [c.id for c in page.conversations]

    assert await inbox() == []
    assert await inbox(archived=True) == [conversation.id]
    send = pb.CreateMessageRequest(conversation_id=conversation.id, message=resources_pb2.Message(text="Still there?"))
    await messaging.CreateMessage(send, metadata=buyer)
    assert await inbox() == [conversation.id]
    await messaging.MuteConversation(pb.MuteConversationRequest(conversation_id=conversation.id), metadata=seller)
    await messaging.ArchiveConversation(archive, metadata=seller)
    await messaging.CreateMessage(send, metadata=buyer)
    assert await inbox() == []
    unarchived = await messaging.UnarchiveConversation(
        pb.UnarchiveConversationRequest(conversation_id=conversation.id), metadata=seller
    )
    assert (unarchived.archived, unarchived.muted, unarchived.unread_count) == (False, True, 3)
    assert await inbox() == [conversation.id]
