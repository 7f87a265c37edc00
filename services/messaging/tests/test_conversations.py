import uuid

import grpc
import pytest

from marketplace.messaging.v1 import messaging_service_pb2 as pb
from testkit.grpc import error_reason, field_violations


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


async def test_a_listing_id_is_required(messaging, person):
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
