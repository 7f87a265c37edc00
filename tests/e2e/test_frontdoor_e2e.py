"""The gateway's front door in front of the real services: rate limits, the bound on requests in flight,
request sizes, CORS and the OpenAPI document. Each test starts a gateway with the small limits it names."""

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from gateway.app import create_app
from gateway.config import Settings
from gateway.ratelimits import Limit, RouteClass
from testkit.api import PASSWORD, register, signed_up
from testkit.http import client_from, serve_asgi

NO_LIMITS = dict.fromkeys(RouteClass)
TWO_A_MINUTE = Limit(requests=2, window_seconds=60, burst=2)
SHOP = "https://shop.example"


@asynccontextmanager
async def front_door(stack, **settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a gateway in front of the stack with these settings (no rate limits unless given)."""
    configured = dataclasses.replace(Settings(rate_limits=NO_LIMITS), **settings)
    async with serve_asgi(create_app(configured, addresses=stack.addresses)) as client:
        yield client


async def test_sign_ins_past_the_limit_are_429_with_the_ratelimit_fields_and_another_client_signs_in(stack, api):
    user = await register(api)
    credentials = {"login": user["username"], "password": PASSWORD}
    async with front_door(stack, rate_limits={**NO_LIMITS, RouteClass.SIGN_IN: TWO_A_MINUTE}) as gateway:
        allowed = [await gateway.post("/v1/sessions", json=credentials) for _ in range(2)]
        refused = await gateway.post("/v1/sessions", json=credentials)
        async with client_from(gateway, "127.0.0.3") as other:
            elsewhere = await other.post("/v1/sessions", json=credentials)

    assert [response.status_code for response in allowed] == [200, 200]
    assert allowed[1].headers["ratelimit"] == '"sign-in-address";r=0;t=60'
    assert refused.status_code == 429, refused.text
    assert refused.json()["status"] == "RESOURCE_EXHAUSTED"
    assert refused.headers["retry-after"] == "30"
    assert refused.headers["ratelimit-policy"] == '"sign-in-address";q=2;w=60'
    assert refused.headers["ratelimit"] == '"sign-in-address";r=0;t=30'
    assert elsewhere.status_code == 200, elsewhere.text


async def test_a_users_token_is_limited_and_another_users_is_not(stack, api):
    alice, bob = await signed_up(api), await signed_up(api)
    async with (
        front_door(stack, rate_limits={**NO_LIMITS, RouteClass.READS: TWO_A_MINUTE}) as gateway,
        client_from(gateway, "127.0.0.4") as first,
        client_from(gateway, "127.0.0.5") as second,
    ):
        mine = [await first.get("/v1/users/me", headers=alice.headers) for _ in range(2)]
        mine_elsewhere = await second.get("/v1/users/me", headers=alice.headers)
        theirs = await second.get("/v1/users/me", headers=bob.headers)

    assert [response.status_code for response in mine] == [200, 200]
    assert mine_elsewhere.status_code == 429
    assert '"reads-token";r=0;t=30' in mine_elsewhere.headers["ratelimit"]
    assert theirs.status_code == 200
    assert theirs.json()["id"] == bob.id


async def test_past_its_bound_of_requests_in_flight_the_gateway_answers_503_and_serves_the_rest(stack):
    async with front_door(stack, max_in_flight=1) as gateway:
        responses = await asyncio.gather(*(gateway.get("/v1/games") for _ in range(30)))
        after = await gateway.get("/v1/games")

    statuses = [response.status_code for response in responses]
    assert set(statuses) == {200, 503}, statuses
    refused = responses[statuses.index(503)]
    assert refused.json()["status"] == "UNAVAILABLE"
    assert refused.headers["retry-after"] == "1"
    assert after.status_code == 200


async def test_a_10_mb_body_is_413(stack, api):
    seller = await signed_up(api)
    body = b'{"title": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    async with front_door(stack) as gateway:
        response = await gateway.post(
            "/v1/listings", content=body, headers=seller.headers | {"content-type": "application/json"}
        )

    assert response.status_code == 413
    assert response.json()["status"] == "RESOURCE_EXHAUSTED"


async def test_huge_header_fields_are_431(stack):
    async with front_door(stack) as gateway:
        response = await gateway.get("/v1/games", headers={"cookie": "c" * 64 * 1024})

    assert response.status_code == 431


async def test_cors_preflights_are_answered_for_listed_origins_only(stack):
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "authorization"}
    async with front_door(stack, cors_allowed_origins=(SHOP,)) as gateway:
        allowed = await gateway.options("/v1/listings", headers=preflight | {"origin": SHOP})
        refused = await gateway.options("/v1/listings", headers=preflight | {"origin": "https://evil.example"})
        read = await gateway.get("/v1/games", headers={"origin": SHOP})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "Origin" in allowed.headers["vary"]
    assert refused.status_code == 403
    assert not [name for name in refused.headers if name.startswith("access-control-")]
    assert read.headers["access-control-allow-origin"] == SHOP


async def test_the_openapi_document_carries_the_proto_comments_enums_and_error_responses(api):
    document = (await api.get("/openapi.json")).json()
    buy = document["paths"]["/v1/listings/{listing_id}:buy"]["post"]
    condition = document["components"]["schemas"]["marketplace.trading.v1.Condition"]

    assert document["openapi"] == "3.0.3"
    assert buy["summary"] == "Buys the listing at its price: reserves it and holds the buyer's funds in escrow."
    assert "Repeating a request_id repeats nothing." in buy["description"]
    assert "CONDITION_GOOD" in condition["enum"]
    assert "- `CONDITION_GOOD`" in condition["description"]
    assert buy["responses"]["429"] == {"$ref": "#/components/responses/TooManyRequests"}
    assert "Retry-After" in document["components"]["responses"]["TooManyRequests"]["headers"]
