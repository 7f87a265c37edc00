"""Trading's runtime settings: admins read and change them, every replica follows within a second,
bad changes are refused whole, and every change is in the audit log."""

import uuid

import asyncpg
import grpc
import pytest
from google.protobuf import json_format

from marketplace.common.v1 import audit_pb2, settings_pb2
from marketplace.trading.v1 import trading_service_pb2_grpc
from servicekit.auth import Role
from testkit.grpc import field_violations, rpc_error
from testkit.settings import plain_values, reset_settings, settings_change
from testkit.stack import replica
from testkit.tokens import bearer, mint
from testkit.waiting import eventually

GET = settings_pb2.GetSettingsRequest()


@pytest.fixture
def admin_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
async def admin(trading, signing_key, admin_id):
    """An admin's metadata; every setting is back to its default after the test."""
    metadata = bearer(mint(signing_key, user_id=admin_id, role=Role.ADMIN))
    yield metadata
    await reset_settings(trading, metadata)


@pytest.fixture
async def second_trading(stack):
    async with replica(stack, "trading") as address, grpc.aio.insecure_channel(address) as channel:
        yield trading_service_pb2_grpc.TradingServiceStub(channel)


async def fee(stub, admin) -> float:
    return plain_values(await stub.GetSettings(GET, metadata=admin))["platform_fee_bps"]


async def changes_by(trading, admin, admin_id) -> list[audit_pb2.AuditEntry]:
    request = audit_pb2.ListAuditEntriesRequest(actor=f"user:{admin_id}", action="settings.changed")
    return list((await trading.ListAuditEntries(request, metadata=admin)).entries)


def state(struct) -> dict:
    return json_format.MessageToDict(struct)


async def test_an_admin_reads_every_setting_with_its_definition(trading, admin):
    settings = await trading.GetSettings(GET, metadata=admin)
    values = plain_values(settings)
    assert values["platform_fee_bps"] == 500
    assert (values["offer_default_lifetime"], values["offer_max_lifetime"]) == ("172800s", "604800s")
    assert values["auto_complete_after"] == "1209600s"
    assert {name: values[name]["enabled"] for name in ("offers_enabled", "streams_enabled", "buy_orders_enabled")} == {
        "offers_enabled": True,
        "streams_enabled": True,
        "buy_orders_enabled": True,
    }
    [fee_definition] = [d for d in settings.definitions if d.name == "platform_fee_bps"]
    assert fee_definition.type == settings_pb2.SETTING_TYPE_INT
    assert (fee_definition.minimum.number_value, fee_definition.maximum.number_value) == (0, 5000)
    assert fee_definition.description
    assert not settings.HasField("update_time")


async def test_a_change_reaches_another_replica_within_a_second(trading, admin, second_trading):
    assert await fee(second_trading, admin) == 500
    changed = await trading.UpdateSettings(settings_change({"platform_fee_bps": 450}), metadata=admin)
    assert plain_values(changed)["platform_fee_bps"] == 450 and changed.HasField("update_time")
    await eventually(lambda: fee(second_trading, admin), 450, seconds=1)


async def test_a_replica_that_starts_after_a_change_serves_it_from_its_first_call(stack, trading, admin):
    await trading.UpdateSettings(settings_change({"platform_fee_bps": 425}), metadata=admin)
    async with replica(stack, "trading") as address, grpc.aio.insecure_channel(address) as channel:
        assert await fee(trading_service_pb2_grpc.TradingServiceStub(channel), admin) == 425


async def test_a_replica_whose_listener_dropped_loads_every_value_again(stack, trading, admin, second_trading):
    sql = await asyncpg.connect(stack.database_urls["trading"].replace("+asyncpg", ""))
    try:
        async with sql.transaction():
            # Written behind the services' backs, with no notification: only a reload finds it.
            await sql.execute(
                "INSERT INTO runtime_settings (name, value, updated_by) VALUES ('platform_fee_bps', '410', 'test')"
            )
            await sql.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'trading settings listener' AND datname = current_database()"
            )
    finally:
        await sql.close()
    await eventually(lambda: fee(second_trading, admin), 410, seconds=10)
    await eventually(lambda: fee(trading, admin), 410, seconds=10)


async def test_every_problem_of_a_change_is_reported_and_nothing_changes(trading, admin, admin_id):
    change = settings_change(
        {"platform_fee_bps": 5001, "offer_max_lifetime": "forever", "no_such_setting": 1, "offers_enabled": True},
        {"streams_enabled": {"percentage": 101}},
    )
    error = await rpc_error(trading.UpdateSettings(change, metadata=admin))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(error) == {
        "settings.values.platform_fee_bps": "must be between 0 and 5000, not 5001",
        "settings.values.offer_max_lifetime": "must be a duration in seconds such as \"3600s\", not 'forever'",
        "settings.values.no_such_setting": "is not a setting of trading",
        "settings.values.offers_enabled": "is a flag setting: change it in flags",
        "settings.flags.streams_enabled.percentage": "must be a whole number from 0 to 100, not 101",
    }
    assert await fee(trading, admin) == 500
    assert await changes_by(trading, admin, admin_id) == []


async def test_a_default_lifetime_longer_than_the_maximum_is_refused(trading, admin):
    error = await rpc_error(
        trading.UpdateSettings(settings_change({"offer_default_lifetime": "864000s"}), metadata=admin)
    )
    assert field_violations(error) == {
        "settings.values.offer_default_lifetime": "must not be longer than offer_max_lifetime (604800s)"
    }
    both = settings_change({"offer_default_lifetime": "864000s", "offer_max_lifetime": "1209600s"})
    assert plain_values(await trading.UpdateSettings(both, metadata=admin))["offer_default_lifetime"] == "864000s"


async def test_each_change_is_audited_with_before_and_after_and_an_unchanged_value_is_not(trading, admin, admin_id):
    await trading.UpdateSettings(
        settings_change({"platform_fee_bps": 450, "auto_complete_after": "1209600s"}),
        metadata=(*admin, ("x-request-id", "req-fee")),
    )
    # Named in the mask and not sent: back to the default.
    await trading.UpdateSettings(settings_change(None, None, "values.platform_fee_bps"), metadata=admin)
    back, changed = await changes_by(trading, admin, admin_id)
    assert (changed.target_type, changed.target_id, changed.request_id) == ("setting", "platform_fee_bps", "req-fee")
    assert (state(changed.before), state(changed.after)) == ({"platform_fee_bps": 500}, {"platform_fee_bps": 450})
    assert (state(back.before), state(back.after)) == ({"platform_fee_bps": 450}, {"platform_fee_bps": 500})


async def test_a_flag_rolls_out_to_a_percentage_and_named_users(trading, admin):
    tester = str(uuid.uuid4())
    rollout = {"enabled": False, "percentage": 30, "user_ids": [tester]}
    changed = await trading.UpdateSettings(settings_change(None, {"streams_enabled": rollout}), metadata=admin)
    assert plain_values(changed)["streams_enabled"] == rollout


async def test_only_admins_read_or_change_settings(trading, signing_key):
    user = bearer(mint(signing_key, role=Role.BOTH))
    change = settings_change({"platform_fee_bps": 1})
    for call in (trading.GetSettings(GET, metadata=user), trading.UpdateSettings(change, metadata=user)):
        assert (await rpc_error(call)).code() is grpc.StatusCode.PERMISSION_DENIED
    for call in (trading.GetSettings(GET), trading.UpdateSettings(change)):
        assert (await rpc_error(call)).code() is grpc.StatusCode.UNAUTHENTICATED
