"""The gateway's own endpoints (/healthz, /metrics, /docs) and its settings."""

import pytest
from grpc_health.v1 import health_pb2

from gateway.app import create_app
from gateway.config import Settings


async def test_healthz_is_200_when_every_backend_serves(gateway):
    response = await gateway.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "SERVING", "backends": {"echo": "SERVING"}, "failing": []}


async def test_healthz_is_503_naming_a_backend_that_does_not_serve(gateway, echo_server):
    await echo_server.health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)

    response = await gateway.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["echo"]
    assert response.json()["backends"]["echo"] == "NOT_SERVING"


async def test_healthz_is_503_when_a_backend_is_unreachable(gateway_without_backend):
    response = await gateway_without_backend.get("/healthz")

    assert response.status_code == 503
    assert response.json()["backends"]["echo"].startswith(("UNAVAILABLE", "DEADLINE_EXCEEDED"))


async def test_metrics_count_requests_by_route_template_method_and_status(gateway):
    await gateway.get("/v1/rooms/a")
    await gateway.get("/v1/rooms/b")
    await gateway.get("/v1/rooms/c", params={"count": "x"})
    await gateway.get("/no/such/path")

    response = await gateway.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'gateway_http_requests_total{method="GET",route="/v1/rooms/{room_id}",status="200"} 2.0' in text
    assert 'gateway_http_requests_total{method="GET",route="/v1/rooms/{room_id}",status="400"} 1.0' in text
    assert 'gateway_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'gateway_http_request_duration_seconds_count{method="GET",route="/v1/rooms/{room_id}"} 3.0' in text


async def test_docs_serve_swagger_ui_from_the_package_reading_openapi_json(gateway):
    page = await gateway.get("/docs")

    assert page.status_code == 200
    assert 'url: "/openapi.json"' in page.text
    assert "responseInterceptor" not in page.text  # the document is served as Swagger UI reads it
    assert "/docs/static/swagger-ui-bundle.js" in page.text
    assert "https://" not in page.text
    script = await gateway.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text


async def test_openapi_json_is_served(gateway):
    response = await gateway.get("/openapi.json")

    assert response.status_code == 200
    assert response.json()["openapi"] == "3.0.3"
    assert "/v1/rooms/{room_id}" in response.json()["paths"]


def test_settings_come_from_the_environment():
    settings = Settings.from_env(
        {"CATALOG_ADDR": "catalog:1", "BACKEND_TIMEOUT_SECONDS": "2.5", "GATEWAY_PORT": "9000"}
    )

    assert settings.addresses["catalog"] == "catalog:1"
    assert settings.addresses["trading"] == "127.0.0.1:50053"
    assert settings.backend_timeout_seconds == 2.5
    assert settings.port == 9000


def test_defaults_match_the_local_ports():
    settings = Settings.from_env({})

    assert settings.addresses == {
        "catalog": "127.0.0.1:50051",
        "accounts": "127.0.0.1:50052",
        "trading": "127.0.0.1:50053",
        "messaging": "127.0.0.1:50054",
    }
    assert (settings.port, settings.backend_timeout_seconds) == (8080, 10.0)


def test_a_setting_that_does_not_parse_names_itself():
    with pytest.raises(ValueError, match="BACKEND_TIMEOUT_SECONDS"):
        Settings.from_env({"BACKEND_TIMEOUT_SECONDS": "soon"})


def test_a_routed_context_without_an_address_stops_start_up(echo_pb2):
    with pytest.raises(ValueError, match="ECHO_ADDR"):
        create_app(Settings(), proto_package="gwtest")


def test_the_marketplace_app_builds_from_the_real_descriptors():
    app = create_app(Settings())

    assert {route.rpc.context for route in app.state.routes.routes} == {"catalog", "accounts", "trading", "messaging"}


async def test_the_gateways_own_refusals_use_the_error_shape(gateway):
    wrong_method = await gateway.post("/healthz")
    missing_asset = await gateway.get("/docs/static/nope.js")

    assert wrong_method.status_code == 405
    assert wrong_method.json()["status"] == "UNIMPLEMENTED"
    assert "GET" in wrong_method.headers["allow"]
    assert missing_asset.status_code == 404
    assert missing_asset.json()["status"] == "NOT_FOUND"


async def test_a_body_over_the_limit_is_a_413(echo_server, start_gateway):
    client = await start_gateway(echo_server.address, max_body_bytes=100)

    response = await client.post("/v1/rooms/r1/echoes", json={"text": "x" * 200})

    assert response.status_code == 413
    assert response.json()["status"] == "RESOURCE_EXHAUSTED"
