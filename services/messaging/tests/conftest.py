import uuid

import pytest

from marketplace.common.v1 import money_pb2
from marketplace.messaging.v1 import messaging_service_pb2, messaging_service_pb2_grpc
from marketplace.trading.v1 import resources_pb2, trading_service_pb2, trading_service_pb2_grpc
from servicekit.auth import Role
from testkit.catalog import new_category
from testkit.tokens import bearer, mint


@pytest.fixture
async def messaging(stack):
    return messaging_service_pb2_grpc.MessagingServiceStub(stack.channel("messaging"))


@pytest.fixture
def person(signing_key):
    """A new signed-in user each time it is called: (user id, metadata)."""

    def make(role: Role = Role.BOTH):
        user_id = uuid.uuid4()
        return user_id, bearer(mint(signing_key, user_id, role))

    return make


@pytest.fixture(scope="session")
async def balls(stack):
    """A catalog category, without attributes, for the listings of the tests."""
    return await new_category(stack)


@pytest.fixture
async def listing_of(stack, balls):
    """Creates a free-form listing in the real trading service for the given seller metadata."""
    trading = trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))

    async def create(seller_auth) -> resources_pb2.Listing:
        listing = resources_pb2.Listing(
            title="Signed ball", category_id=balls.id, price=money_pb2.Money(currency="USD", amount_minor=2500)
        )
        return await trading.CreateListing(
            trading_service_pb2.CreateListingRequest(listing=listing), metadata=seller_auth
        )

    return create


@pytest.fixture
def talk(messaging, person, listing_of):
    """Starts a conversation about a new listing between a new seller and a new buyer (with a first message from
    the buyer when text is given): (conversation, seller, buyer), each person as (user id, metadata)."""

    async def start(text: str = "Hi"):
        seller, buyer = person(), person()
        listing = await listing_of(seller[1])
        conversation = await messaging.CreateConversation(
            messaging_service_pb2.CreateConversationRequest(listing_id=listing.id, text=text), metadata=buyer[1]
        )
        return conversation, seller, buyer

    return start
