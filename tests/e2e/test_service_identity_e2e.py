"""Internal methods admit only the services their contract names, by a token of their own."""

import time
import uuid

import grpc
import pytest
from google.protobuf import descriptor_pool
from google.protobuf.message_factory import GetMessageClass

from marketplace.accounts.v1 import accounts_service_pb2 as accounts_pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc
from marketplace.catalog.v1 import catalog_service_pb2  # noqa: F401  (registers the catalog service)
from marketplace.common.v1 import access_pb2, events_pb2  # noqa: F401  (registers the event feed)
from marketplace.common.v1.money_pb2 import Money
from marketplace.messaging.v1 import messaging_service_pb2  # noqa: F401
from marketplace.trading.v1 import trading_service_pb2  # noqa: F401
from servicekit.auth import SigningKey
from servicekit.config import CONTEXTS
from servicekit.identity import ServiceIdentity, service_token_interceptors
from testkit.api import signed_up
from testkit.tokens import bearer, mint

SERVICES = {
    "accounts": "marketplace.accounts.v1.AccountsService",
    "catalog": "marketplace.catalog.v1.CatalogService",
    "trading": "marketplace.trading.v1.TradingService",
    "messaging": "marketplace.messaging.v1.MessagingService",
}
FEED = "marketplace.common.v1.EventFeedService"


def internal_methods() -> list[tuple[str, str, object]]:
    """(context, /Service/Method, descriptor) of every ACCESS_INTERNAL method a context serves."""
    pool = descriptor_pool.Default()
    found = []
    for context, service in SERVICES.items():
        for name in (service, FEED):
            for method in pool.FindServiceByName(name).methods:
                if method.GetOptions().Extensions[access_pb2.access] == access_pb2.ACCESS_INTERNAL:
                    found.append((context, f"/{name}/{method.name}", method))
    return found


INTERNAL = internal_methods()


async def call(channel: grpc.aio.Channel, path: str, method, metadata=()) -> grpc.StatusCode:
    """Calls the method with an empty request and returns the status code it ends with."""
    request_class = GetMessageClass(method.input_type)
    response_class = GetMessageClass(method.output_type)
    kind = channel.unary_stream if method.server_streaming else channel.unary_unary
    callable_ = kind(
        path, request_serializer=request_class.SerializeToString, response_deserializer=response_class.FromString
    )
    try:
        if method.server_streaming:
            async for _ in callable_(request_class(), metadata=metadata, timeout=5):
                break
        else:
            await callable_(request_class(), metadata=metadata, timeout=5)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def test_every_internal_method_names_its_callers():
    assert INTERNAL
    for _, path, method in INTERNAL:
        callers = set(method.GetOptions().Extensions[access_pb2.callers])
        assert callers and callers <= set(CONTEXTS), path


@pytest.mark.parametrize(("context", "path", "method"), INTERNAL, ids=[path for _, path, _ in INTERNAL])
async def test_an_internal_method_refuses_a_caller_without_credentials(stack, context, path, method):
    assert await call(stack.channel(context), path, method) is grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(("context", "path", "method"), INTERNAL, ids=[path for _, path, _ in INTERNAL])
async def test_an_internal_method_refuses_a_user_token(stack, context, path, method):
    token = bearer(mint(stack.signing_key))
    assert await call(stack.channel(context), path, method, token) is grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(("context", "path", "method"), INTERNAL, ids=[path for _, path, _ in INTERNAL])
async def test_an_internal_method_refuses_a_service_its_contract_does_not_name(stack, context, path, method):
    callers = set(method.GetOptions().Extensions[access_pb2.callers])
    strangers = sorted(set(CONTEXTS) - callers)
    if not strangers:
        pytest.skip("every service may call this method")
    channel = stack.channel(context, as_service=strangers[0])
    assert await call(channel, path, method) is grpc.StatusCode.PERMISSION_DENIED


async def test_a_token_signed_by_a_key_no_service_published_is_refused(stack):
    impostor = ServiceIdentity("trading", SigningKey.generate())
    channel = grpc.aio.insecure_channel(
        stack.addresses["accounts"], interceptors=service_token_interceptors(impostor, "accounts")
    )
    _, path, method = next(entry for entry in INTERNAL if entry[1].endswith("/HoldFunds"))
    assert await call(channel, path, method) is grpc.StatusCode.UNAUTHENTICATED
    await channel.close()


async def test_a_token_made_for_another_service_is_refused(stack):
    for_catalog = stack.identity("trading").token_for("catalog")
    _, path, method = next(entry for entry in INTERNAL if entry[1].endswith("/HoldFunds"))
    code = await call(stack.channel("accounts"), path, method, (("x-service-token", for_catalog),))
    assert code is grpc.StatusCode.UNAUTHENTICATED


async def test_an_expired_service_token_is_refused(stack):
    key = stack.service_keys["trading"]
    now = int(time.time())
    expired = key.sign({"iss": "trading", "sub": "trading", "aud": "accounts", "iat": now - 900, "exp": now - 600})
    _, path, method = next(entry for entry in INTERNAL if entry[1].endswith("/HoldFunds"))
    code = await call(stack.channel("accounts"), path, method, (("x-service-token", expired),))
    assert code is grpc.StatusCode.UNAUTHENTICATED


async def test_a_public_method_refuses_a_service_token_that_is_not_valid(stack):
    impostor = ServiceIdentity("messaging", SigningKey.generate())
    channel = grpc.aio.insecure_channel(
        stack.addresses["trading"], interceptors=service_token_interceptors(impostor, "trading")
    )
    method = descriptor_pool.Default().FindMethodByName("marketplace.trading.v1.TradingService.GetListing")
    assert await call(channel, "/marketplace.trading.v1.TradingService/GetListing", method) is (
        grpc.StatusCode.UNAUTHENTICATED
    )
    await channel.close()


async def test_trading_holds_a_buyers_funds_in_accounts(stack, api):
    buyer = await signed_up(api)
    deposit = {"amount": {"currency": "USD", "amount_minor": 5000}, "request_id": uuid.uuid4().hex}
    assert (await api.post("/v1/wallets/me:deposit", json=deposit, headers=buyer.headers)).status_code == 200
    trading = accounts_service_pb2_grpc.AccountsServiceStub(stack.channel("accounts", as_service="trading"))
    await trading.HoldFunds(
        accounts_pb.HoldFundsRequest(
            request_id=uuid.uuid4().hex, user_id=buyer.id, amount=Money(currency="USD", amount_minor=1200)
        )
    )
    [wallet] = (await api.get("/v1/wallets/me", headers=buyer.headers)).json()["wallets"]
    assert (int(wallet["held"]["amount_minor"]), int(wallet["balance"]["amount_minor"])) == (1200, 3800)
