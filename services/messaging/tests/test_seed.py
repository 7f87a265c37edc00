"""`python -m messaging seed`: the demo conversation about the seller's sneakers, on a stack of its own seeded as
`make run` seeds it, and the same conversation however often it runs."""

import asyncio

import pytest

from accounts.app import SPEC as ACCOUNTS
from marketplace.accounts.v1 import accounts_service_pb2 as accounts_pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc
from marketplace.common.v1 import money_pb2
from marketplace.messaging.v1 import messaging_service_pb2 as pb
from marketplace.messaging.v1 import messaging_service_pb2_grpc
from marketplace.messaging.v1 import resources_pb2 as messaging_resources
from marketplace.trading.v1 import resources_pb2, trading_service_pb2, trading_service_pb2_grpc
from messaging.app import SPEC as MESSAGING
from messaging.seed import LISTING_TITLE, MESSAGES
from servicekit.cli import main
from servicekit.demo import DEMO_BUYER, DEMO_PASSWORD, DEMO_SELLER
from servicekit.server import ServiceSpec
from testkit.catalog import new_category
from testkit.stack import Stack, command_environment, start_stack, stop_stack
from testkit.waiting import eventually


async def seed_in_process(stack: Stack, spec: ServiceSpec, **environment: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (command_environment(stack, spec.name) | environment).items():
            patch.setenv(name, value)
        # In a thread: the command runs its own event loop.
        await asyncio.to_thread(main, spec, ["seed"])


async def signed_in(stack: Stack, login: str) -> tuple[str, tuple]:
    accounts = accounts_service_pb2_grpc.AccountsServiceStub(stack.channel("accounts"))
    session = await accounts.CreateSession(accounts_pb.CreateSessionRequest(login=login, password=DEMO_PASSWORD))
    return session.user_id, (("authorization", f"Bearer {session.access_token}"),)


@pytest.fixture(scope="module")
async def demo_stack(pg_server, key_files, stack_settings):
    """A stack of its own with accounts' demo users, and the demo seller's sneakers on sale."""
    stack = await start_stack(pg_server, key_files, stack_settings)
    try:
        await seed_in_process(stack, ACCOUNTS, ADMIN_PASSWORD="seed-test-admin-password")
        category = await new_category(stack)
        _, seller = await signed_in(stack, DEMO_SELLER.email)
        listing = resources_pb2.Listing(
            title=LISTING_TITLE, category_id=category.id, price=money_pb2.Money(currency="EUR", amount_minor=40000)
        )
        trading = trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))
        made = await trading.CreateListing(trading_service_pb2.CreateListingRequest(listing=listing), metadata=seller)
        # As trading's seed does: the buyer's offer, posted in the conversation by the consumer before the seed runs.
        _, buyer = await signed_in(stack, DEMO_BUYER.email)
        offer = trading_service_pb2.CreateOfferRequest(
            listing_id=made.id, amount=money_pb2.Money(currency="EUR", amount_minor=36000)
        )
        await trading.CreateOffer(offer, metadata=buyer)
        messaging = messaging_service_pb2_grpc.MessagingServiceStub(stack.channel("messaging"))

        async def conversations() -> int:
            return len((await messaging.ListConversations(pb.ListConversationsRequest(), metadata=buyer)).conversations)

        await eventually(conversations, 1, seconds=10)
        yield stack
    finally:
        await stop_stack(stack, pg_server)


async def test_the_buyer_and_seller_talk_about_the_sneakers_once_however_often_it_runs(demo_stack):
    for _ in range(2):
        await seed_in_process(demo_stack, MESSAGING)
    buyer_id, buyer = await signed_in(demo_stack, DEMO_BUYER.email)
    seller_id, seller = await signed_in(demo_stack, DEMO_SELLER.email)
    messaging = messaging_service_pb2_grpc.MessagingServiceStub(demo_stack.channel("messaging"))
    [conversation] = (await messaging.ListConversations(pb.ListConversationsRequest(), metadata=buyer)).conversations
    assert (conversation.buyer_id, conversation.seller_id) == (buyer_id, seller_id)
    assert conversation.listing_id != ""
    page = await messaging.ListMessages(pb.ListMessagesRequest(conversation_id=conversation.id), metadata=seller)
    senders = {"buyer": buyer_id, "seller": seller_id}
    texts = [(m.sender_id, m.text) for m in reversed(page.messages) if m.kind == messaging_resources.MESSAGE_KIND_TEXT]
    assert texts == [(senders[s], t) for s, t in MESSAGES]
    assert [m.kind for m in page.messages].count(messaging_resources.MESSAGE_KIND_OFFER) == 1
