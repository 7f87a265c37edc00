"""The caller's profile (UpdateMe), anyone's public profile (GetUser) and the location trading reads (GetUserLocation)."""

import uuid

import grpc
from google.protobuf import field_mask_pb2

from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc, resources_pb2
from marketplace.common.v1 import location_pb2
from testkit.grpc import error_reason, field_violations, rpc_error


def update(paths: list[str], **profile) -> pb.UpdateMeRequest:
    return pb.UpdateMeRequest(
        profile=resources_pb2.Profile(**profile), update_mask=field_mask_pb2.FieldMask(paths=paths)
    )


BERLIN = location_pb2.Location(latitude=52.52, longitude=13.405)


async def test_the_fields_in_the_mask_change_and_the_others_stay(accounts, sign_up):
    me = await sign_up()
    first = await accounts.UpdateMe(
        update(["display_name", "bio", "location"], display_name="  Ada  ", bio="Trades skins.", location=BERLIN),
        metadata=me.auth,
    )
    assert (first.profile.display_name, first.profile.bio) == ("Ada", "Trades skins.")
    assert (round(first.profile.location.latitude, 3), round(first.profile.location.longitude, 3)) == (52.52, 13.405)
    second = await accounts.UpdateMe(
        update(["avatar_url"], avatar_url="https://cdn.example.com/ada.png", bio="ignored"), metadata=me.auth
    )
    assert second.profile.bio == "Trades skins."
    assert second.profile.avatar_url == "https://cdn.example.com/ada.png"
    assert (await accounts.GetMe(pb.GetMeRequest(), metadata=me.auth)).profile == second.profile
    assert second.update_time.ToDatetime() >= first.update_time.ToDatetime()


async def test_one_coordinate_moves_the_stored_point(accounts, sign_up):
    me = await sign_up()
    await accounts.UpdateMe(update(["location"], location=BERLIN), metadata=me.auth)
    moved = await accounts.UpdateMe(
        update(["profile.location.latitude"], location=location_pb2.Location(latitude=48.137)), metadata=me.auth
    )
    assert (round(moved.profile.location.latitude, 3), round(moved.profile.location.longitude, 3)) == (48.137, 13.405)


async def test_one_coordinate_without_a_stored_point_is_invalid(accounts, sign_up):
    me = await sign_up()
    error = await rpc_error(
        accounts.UpdateMe(update(["location.latitude"], location=location_pb2.Location(latitude=1)), metadata=me.auth)
    )
    assert set(field_violations(error)) == {"profile.location.longitude"}


async def test_a_location_in_the_mask_without_a_value_is_cleared(accounts, sign_up):
    me = await sign_up()
    await accounts.UpdateMe(update(["location"], location=BERLIN), metadata=me.auth)
    cleared = await accounts.UpdateMe(update(["location"]), metadata=me.auth)
    assert not cleared.profile.HasField("location")


async def test_without_a_mask_the_fields_sent_change(accounts, sign_up):
    me = await sign_up()
    await accounts.UpdateMe(update(["bio"], bio="kept"), metadata=me.auth)
    changed = await accounts.UpdateMe(update([], display_name="Grace"), metadata=me.auth)
    assert (changed.profile.display_name, changed.profile.bio) == ("Grace", "kept")


async def test_every_bad_value_and_unknown_path_is_named(accounts, sign_up):
    me = await sign_up()
    error = await rpc_error(
        accounts.UpdateMe(
            update(
                ["display_name", "bio", "avatar_url", "location"],
                display_name="x" * 101,
                bio="y" * 2001,
                avatar_url="javascript:alert(1)",
                location=location_pb2.Location(latitude=91, longitude=-181),
            ),
            metadata=me.auth,
        )
    )
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(error)) == {
        "profile.display_name",
        "profile.bio",
        "profile.avatar_url",
        "profile.location.latitude",
        "profile.location.longitude",
    }
    unknown = await rpc_error(accounts.UpdateMe(update(["email", "role"]), metadata=me.auth))
    assert set(field_violations(unknown)) == {"update_mask"}


async def test_updating_needs_a_token(accounts):
    error = await rpc_error(accounts.UpdateMe(update(["bio"], bio="x")))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_a_public_profile_shows_no_private_fields(accounts, sign_up):
    me = await sign_up()
    await accounts.UpdateMe(update(["bio", "location"], bio="Hello", location=BERLIN), metadata=me.auth)
    public = await accounts.GetUser(pb.GetUserRequest(user_id=me.user.id))
    assert (public.user_id, public.username, public.bio) == (me.user.id, me.user.username, "Hello")
    assert public.display_name == me.user.username  # none set: the username
    assert public.verification_level == 0 and list(public.verified) == []
    assert not {"email", "phone", "location"} & set(public.DESCRIPTOR.fields_by_name)


async def test_an_unknown_or_malformed_user_id(accounts):
    missing = await rpc_error(accounts.GetUser(pb.GetUserRequest(user_id=str(uuid.uuid4()))))
    assert missing.code() is grpc.StatusCode.NOT_FOUND
    assert error_reason(missing) == "USER_NOT_FOUND"
    malformed = await rpc_error(accounts.GetUser(pb.GetUserRequest(user_id="me-or-not")))
    assert set(field_violations(malformed)) == {"user_id"}


async def test_trading_reads_where_a_user_is_and_nobody_else_does(stack, accounts, sign_up):
    me = await sign_up()
    where = pb.GetUserLocationRequest(user_id=me.user.id)
    assert not (await accounts.GetUserLocation(where)).HasField("location")
    await accounts.UpdateMe(update(["location"], location=BERLIN), metadata=me.auth)
    located = (await accounts.GetUserLocation(where)).location
    assert (round(located.latitude, 3), round(located.longitude, 3)) == (52.52, 13.405)
    missing = await rpc_error(accounts.GetUserLocation(pb.GetUserLocationRequest(user_id=str(uuid.uuid4()))))
    assert missing.code() is grpc.StatusCode.NOT_FOUND
    for channel, metadata in (
        (stack.channel("accounts"), me.auth),
        (stack.channel("accounts", as_service="catalog"), ()),
    ):
        stranger = accounts_service_pb2_grpc.AccountsServiceStub(channel)
        refused = await rpc_error(stranger.GetUserLocation(where, metadata=metadata))
        assert refused.code() is grpc.StatusCode.PERMISSION_DENIED
    anonymous = accounts_service_pb2_grpc.AccountsServiceStub(stack.channel("accounts"))
    assert (await rpc_error(anonymous.GetUserLocation(where))).code() is grpc.StatusCode.UNAUTHENTICATED
