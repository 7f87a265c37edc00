"""The front door: rate limits, the bound on requests in flight, request sizes and CORS, through a real
gateway on uvicorn in front of the echo server. Limits are small and explicit in each test."""

import asyncio
import time

import pytest

from gateway.config import Settings
from gateway.ratelimits import Limit, RouteClass
from testkit.http import client_from

THREE_A_MINUTE = Limit(requests=3, window_seconds=60, burst=3)
NO_LIMITS = dict.fromkeys(RouteClass)
ALLOWED_ORIGIN = "https://shop.example"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_a_client_past_its_read_limit_gets_429_with_retry_after_and_ratelimit_fields(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, rate_limits={**NO_LIMITS, RouteClass.READS: THREE_A_MINUTE})

    allowed = [await client.get("/v1/rooms/r1") for _ in range(3)]
    refused = await client.get("/v1/rooms/r1")

    assert [response.status_code for response in allowed] == [200, 200, 200]
    assert allowed[0].headers["ratelimit-policy"] == '"reads-address";q=3;w=60'
    assert [response.headers["ratelimit"] for response in allowed] == [
        '"reads-address";r=2;t=20',
        '"reads-address";r=1;t=40',
        '"reads-address";r=0;t=60',
    ]
    assert refused.status_code == 429
    assert refused.json()["status"] == "RESOURCE_EXHAUSTED"
    assert refused.json()["details"] == [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMITED",
            "domain": "gateway.marketplace",
            "metadata": {"route_class": "reads", "retry_after_seconds": "20"},
        }
    ]
    assert refused.headers["retry-after"] == "20"  # one request a 20 s comes back
    assert refused.headers["ratelimit"] == '"reads-address";r=0;t=20'
    assert refused.headers["ratelimit-policy"] == '"reads-address";q=3;w=60'


async def test_another_address_is_unaffected_by_a_limited_client(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, rate_limits={**NO_LIMITS, RouteClass.READS: THREE_A_MINUTE})
    for _ in range(4):
        await client.get("/v1/rooms/r1")

    async with client_from(client, "127.0.0.2") as other:
        response = await other.get("/v1/rooms/r1")

    assert (await client.get("/v1/rooms/r1")).status_code == 429
    assert response.status_code == 200
    assert response.headers["ratelimit"] == '"reads-address";r=2;t=20'


async def test_a_token_is_limited_from_every_address_and_other_tokens_are_not(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, rate_limits={**NO_LIMITS, RouteClass.READS: THREE_A_MINUTE})
    for _ in range(3):
        await client.get("/v1/rooms/r1", headers=bearer("alice"))

    async with client_from(client, "127.0.0.2") as other:
        same_token = await other.get("/v1/rooms/r1", headers=bearer("alice"))
        other_token = await other.get("/v1/rooms/r1", headers=bearer("bob"))

    assert same_token.status_code == 429
    assert '"reads-token";r=0;t=20' in same_token.headers["ratelimit"]
    assert other_token.status_code == 200
    assert other_token.headers["ratelimit-policy"] == '"reads-address";q=3;w=60, "reads-token";q=3;w=60'


async def test_each_route_class_has_its_own_limit(echo_server, start_gateway):
    client = await start_gateway(
        echo_server.address,
        rate_limits={
            RouteClass.SIGN_IN: Limit(requests=1, window_seconds=60, burst=1),
            RouteClass.WRITES: THREE_A_MINUTE,
            RouteClass.READS: THREE_A_MINUTE,
        },
        sign_in_methods=("gwtest.echo.v1.EchoService/Shout",),
    )

    signed_in = await client.post("/v1/rooms/r1:shout", json={})
    refused = await client.post("/v1/rooms/r1:shout", json={})
    write = await client.post("/v1/rooms/r1/echoes", json={})
    read = await client.get("/v1/rooms/r1")

    assert (signed_in.status_code, refused.status_code) == (200, 429)
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["ratelimit-policy"] == '"sign-in-address";q=1;w=60'
    assert write.status_code == 200 and write.headers["ratelimit"] == '"writes-address";r=2;t=20'
    assert read.status_code == 200 and read.headers["ratelimit"] == '"reads-address";r=2;t=20'


async def test_a_class_without_a_limit_sends_no_ratelimit_fields(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, rate_limits=NO_LIMITS)

    responses = [await client.get("/v1/rooms/r1") for _ in range(5)]

    assert {response.status_code for response in responses} == {200}
    assert "ratelimit" not in responses[0].headers


async def test_the_gateways_own_endpoints_are_not_rate_limited(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, rate_limits={**NO_LIMITS, RouteClass.READS: THREE_A_MINUTE})

    responses = [await client.get("/healthz") for _ in range(5)]

    assert {response.status_code for response in responses} == {200}


async def test_past_its_bound_of_requests_in_flight_the_gateway_answers_503_at_once(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, max_in_flight=1, rate_limits=NO_LIMITS)
    held = asyncio.create_task(client.get("/v1/sleep", params={"count": "300"}))  # held 300 ms by the backend
    await asyncio.sleep(0.1)

    started = time.perf_counter()
    refused = await client.get("/v1/rooms/r1")
    waited = time.perf_counter() - started

    assert refused.status_code == 503
    assert refused.json()["status"] == "UNAVAILABLE"
    assert refused.json()["details"][0]["reason"] == "OVERLOADED"
    assert refused.headers["retry-after"] == "1"
    assert waited < 0.15, "answered without waiting for the held request"
    assert (await held).status_code == 200
    assert (await client.get("/v1/rooms/r1")).status_code == 200


async def test_a_10_mb_body_is_413(gateway):
    response = await gateway.post(
        "/v1/rooms/r1/echoes", content=b"x" * (10 * 1024 * 1024), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["status"] == "RESOURCE_EXHAUSTED"


async def test_a_chunked_body_is_counted_while_read_and_413_past_the_limit(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, max_body_bytes=1000)

    async def chunks():
        for _ in range(100):
            yield b" " * 100

    response = await client.post("/v1/rooms/r1/echoes", content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"


async def test_header_fields_past_the_limit_are_431(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, max_header_bytes=4096)

    within = await client.get("/v1/rooms/r1", headers={"x-note": "x" * 3000})
    past = await client.get("/v1/rooms/r1", headers={"x-note": "x" * 5000})

    assert within.status_code == 200
    assert past.status_code == 431
    assert past.json()["status"] == "RESOURCE_EXHAUSTED"


async def test_huge_header_fields_are_431_under_the_default_limit(gateway):
    response = await gateway.get("/v1/rooms/r1", headers={"cookie": "c" * 100_000})

    assert response.status_code == 431


async def test_a_preflight_from_an_allowed_origin_is_answered_with_the_cors_fields(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, cors_allowed_origins=(ALLOWED_ORIGIN,))

    response = await client.options(
        "/v1/rooms/r1",
        headers={
            "origin": ALLOWED_ORIGIN,
            "access-control-request-method": "PATCH",
            "access-control-request-headers": "authorization, content-type, idempotency-key",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "PATCH" in response.headers["access-control-allow-methods"]
    assert "idempotency-key" in response.headers["access-control-allow-headers"].lower()
    assert "Origin" in response.headers["vary"]


async def test_a_preflight_from_an_origin_not_listed_gets_no_cors_fields(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, cors_allowed_origins=(ALLOWED_ORIGIN,))

    response = await client.options(
        "/v1/rooms/r1", headers={"origin": "https://evil.example", "access-control-request-method": "GET"}
    )

    assert response.status_code == 403
    assert response.json()["status"] == "PERMISSION_DENIED"
    assert not [name for name in response.headers if name.startswith("access-control-")]
    assert response.headers["vary"] == "Origin"


async def test_responses_to_an_allowed_origin_expose_the_ratelimit_fields_even_when_refused(echo_server, start_gateway):
    client = await start_gateway(
        echo_server.address,
        cors_allowed_origins=(ALLOWED_ORIGIN,),
        rate_limits={**NO_LIMITS, RouteClass.READS: Limit(requests=1, window_seconds=60, burst=1)},
    )

    allowed = await client.get("/v1/rooms/r1", headers={"origin": ALLOWED_ORIGIN})
    refused = await client.get("/v1/rooms/r1", headers={"origin": ALLOWED_ORIGIN})
    stranger = await client.get("/v1/rooms/r2", headers={"origin": "https://evil.example"})

    assert (allowed.status_code, refused.status_code) == (200, 429)
    for response in (allowed, refused):
        assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert "RateLimit" in response.headers["access-control-expose-headers"]
    assert not [name for name in stranger.headers if name.startswith("access-control-")]
    assert "Origin" in stranger.headers["vary"]


async def test_without_allowed_origins_no_cors_field_is_sent(gateway):
    response = await gateway.get("/v1/rooms/r1", headers={"origin": ALLOWED_ORIGIN})

    assert not [name for name in response.headers if name.startswith("access-control-")]


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("20/60s;burst=10", Limit(20, 60, 10)),
        ("20/60s", Limit(20, 60, 20)),
        ("off", None),
        (" OFF ", None),
    ],
)
def test_limits_parse_from_their_text(text, limit):
    assert Limit.parse(text) == limit


@pytest.mark.parametrize("text", ["20", "20/60", "0/60s", "20/60s;burst=0", "20 per minute"])
def test_a_limit_that_does_not_parse_stops_start_up_naming_its_variable(text):
    with pytest.raises(ValueError, match="RATE_LIMIT_READS"):
        Settings.from_env({"RATE_LIMIT_READS": text})


def test_front_door_settings_come_from_the_environment():
    settings = Settings.from_env(
        {
            "RATE_LIMIT_SIGN_IN": "5/60s;burst=2",
            "RATE_LIMIT_WRITES": "off",
            "RATE_LIMIT_SIGN_IN_METHODS": "a.B/C, a.B/D",
            "MAX_IN_FLIGHT": "8",
            "MAX_HEADER_BYTES": "2048",
            "CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        }
    )

    assert settings.rate_limits == {
        RouteClass.SIGN_IN: Limit(5, 60, 2),
        RouteClass.WRITES: None,
        RouteClass.READS: Settings().rate_limits[RouteClass.READS],
    }
    assert settings.sign_in_methods == ("a.B/C", "a.B/D")
    assert (settings.max_in_flight, settings.max_header_bytes) == (8, 2048)
    assert settings.cors_allowed_origins == ("https://a.example", "https://b.example")
    assert Settings.from_env({}) == Settings()
