"""Runtime settings and audit logs through the gateway: GET|PATCH /v1/{context}/settings and
GET /v1/{context}/audit-log, with a second trading process following the changes."""

import uuid

import grpc
import pytest

from marketplace.accounts.v1 import accounts_service_pb2_grpc
from marketplace.catalog.v1 import catalog_service_pb2_grpc
from marketplace.common.v1 import settings_pb2
from marketplace.messaging.v1 import messaging_service_pb2_grpc
from marketplace.trading.v1 import trading_service_pb2_grpc
from servicekit.auth import Role
from servicekit.config import CONTEXTS
from testkit.api import bearer, ok, violations
from testkit.settings import plain_values, reset_settings
from testkit.stack import replica_process
from testkit.tokens import bearer as grpc_bearer
from testkit.tokens import mint
from testkit.waiting import eventually


@pytest.fixture
def admin_id() -> uuid.UUID:
    return uuid.uuid4()


STUBS = {
    "catalog": catalog_service_pb2_grpc.CatalogServiceStub,
    "accounts": accounts_service_pb2_grpc.AccountsServiceStub,
    "trading": trading_service_pb2_grpc.TradingServiceStub,
    "messaging": messaging_service_pb2_grpc.MessagingServiceStub,
}


@pytest.fixture
async def admin(stack, signing_key, admin_id):
    """An admin's headers; every setting of every context is back to its default after the test."""
    token = mint(signing_key, user_id=admin_id, role=Role.ADMIN)
    yield bearer(token)
    for context, stub in STUBS.items():
        await reset_settings(stub(stack.channel(context)), grpc_bearer(token))


async def test_a_fee_changed_through_the_gateway_reaches_a_second_trading_process(api, stack, admin):
    changed = ok(await api.patch("/v1/trading/settings", json={"values": {"platform_fee_bps": 450}}, headers=admin))
    assert changed["values"]["platform_fee_bps"] == 450
    grpc_admin = (("authorization", admin["Authorization"]),)

    async def fee() -> float:
        reply = await second.GetSettings(settings_pb2.GetSettingsRequest(), metadata=grpc_admin)
        return plain_values(reply)["platform_fee_bps"]

    async with (
        replica_process(stack, "trading") as second_trading,
        grpc.aio.insecure_channel(second_trading.address) as channel,
    ):
        second = trading_service_pb2_grpc.TradingServiceStub(channel)
        # Started after the change: it serves the changed value from its first call.
        assert await fee() == 450
        ok(await api.patch("/v1/trading/settings", json={"values": {"platform_fee_bps": 475}}, headers=admin))
        await eventually(fee, 475, seconds=1)


async def test_only_an_admin_changes_settings_and_only_to_declared_values(api, signing_key, admin):
    body = {"values": {"platform_fee_bps": 450}}
    user = bearer(mint(signing_key, role=Role.BOTH))
    assert (await api.patch("/v1/trading/settings", json=body, headers=user)).status_code == 403
    assert (await api.patch("/v1/trading/settings", json=body)).status_code == 401
    out_of_bounds = await api.patch("/v1/trading/settings", json={"values": {"platform_fee_bps": 9000}}, headers=admin)
    assert out_of_bounds.status_code == 400
    assert violations(out_of_bounds) == {"settings.values.platform_fee_bps"}
    unknown = await api.patch("/v1/trading/settings", json={"values": {"platform_fees": 450}}, headers=admin)
    assert unknown.status_code == 400
    assert violations(unknown) == {"settings.values.platform_fees"}
    assert ok(await api.get("/v1/trading/settings", headers=admin))["values"]["platform_fee_bps"] == 500


async def test_a_change_shows_in_the_audit_log_with_before_after_and_its_request_id(api, admin, admin_id):
    headers = admin | {"X-Request-Id": f"fee-{uuid.uuid4().hex[:8]}"}
    ok(await api.patch("/v1/trading/settings", json={"values": {"platform_fee_bps": 450}}, headers=headers))
    ok(await api.patch("/v1/trading/settings", json={"flags": {"streams_enabled": {"percentage": 30}}}, headers=admin))
    query = {"actor": f"user:{admin_id}", "action": "settings.changed", "start_time": "2020-01-01T00:00:00Z"}
    page = ok(await api.get("/v1/trading/audit-log", params=query | {"page_size": 1}, headers=admin))
    [newest] = page["entries"]
    assert (newest["target_type"], newest["target_id"]) == ("setting", "streams_enabled")
    assert newest["after"]["streams_enabled"]["percentage"] == 30
    rest = ok(
        await api.get("/v1/trading/audit-log", params=query | {"page_token": page["next_page_token"]}, headers=admin)
    )
    [fee] = rest["entries"]
    assert (fee["before"], fee["after"]) == ({"platform_fee_bps": 500}, {"platform_fee_bps": 450})
    assert fee["request_id"] == headers["X-Request-Id"]
    assert fee["actor"] == f"user:{admin_id}" and fee["create_time"]
    assert rest["next_page_token"] == ""


@pytest.mark.parametrize("context", CONTEXTS)
async def test_every_context_serves_its_settings_and_audit_log_to_admins_only(api, signing_key, admin, context):
    settings = ok(await api.get(f"/v1/{context}/settings", headers=admin))
    assert settings["definitions"] and set(settings["values"]) | set(settings["flags"]) == {
        definition["name"] for definition in settings["definitions"]
    }
    assert "entries" in ok(await api.get(f"/v1/{context}/audit-log", headers=admin))
    user = bearer(mint(signing_key, role=Role.BOTH))
    for path in (f"/v1/{context}/settings", f"/v1/{context}/audit-log"):
        assert (await api.get(path, headers=user)).status_code == 403
        assert (await api.get(path)).status_code == 401


async def test_an_audit_log_query_that_cannot_be_answered_is_a_400_naming_its_field(api, admin):
    backwards = {"start_time": "2030-01-02T00:00:00Z", "end_time": "2030-01-01T00:00:00Z"}
    for query, field in ((backwards, "end_time"), ({"page_token": "garbage!"}, "page_token")):
        response = await api.get("/v1/catalog/audit-log", params=query, headers=admin)
        assert response.status_code == 400
        assert violations(response) == {field}
