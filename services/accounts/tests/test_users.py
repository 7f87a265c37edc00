import asyncio
import uuid

import grpc
import pytest
from sqlalchemy import select

from accounts.models import User
from accounts.repository import users
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import events_pb2, resources_pb2
from testkit.feeds import events_until
from testkit.grpc import error_metadata, error_reason, field_violations, rpc_error
from testkit.tokens import bearer, mint


def taken_field(error: grpc.aio.AioRpcError) -> str | None:
    """The `field` of the ErrorInfo metadata, as a client reads it."""
    return error_metadata(error).get("field")


def new_phone() -> str:
    return f"+49151{uuid.uuid4().int % 10**8:08d}"


async def test_a_registration_returns_the_user_with_the_default_role(accounts, registration):
    request = registration(phone=new_phone())
    user = await accounts.CreateUser(request)
    assert uuid.UUID(user.id)
    assert (user.email, user.username, user.phone) == (request.email, request.username, request.phone)
    assert user.role == resources_pb2.ROLE_BOTH
    assert user.status == resources_pb2.USER_STATUS_ACTIVE
    assert user.create_time.seconds > 0


async def test_a_registration_may_choose_buyer_or_seller(accounts, registration):
    assert (await accounts.CreateUser(registration(role=resources_pb2.ROLE_SELLER))).role == resources_pb2.ROLE_SELLER
    assert (await accounts.CreateUser(registration(role=resources_pb2.ROLE_BUYER))).role == resources_pb2.ROLE_BUYER


async def test_nobody_registers_as_admin(accounts, registration):
    error = await rpc_error(accounts.CreateUser(registration(role=resources_pb2.ROLE_ADMIN)))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(error)) == {"role"}


async def test_an_unknown_role_number_is_refused(accounts, registration):
    error = await rpc_error(accounts.CreateUser(registration(role=99)))
    assert set(field_violations(error)) == {"role"}


async def test_every_problem_of_a_registration_is_reported_at_once(accounts):
    request = pb.CreateUserRequest(email="not-an-email", username="no spaces!", password="short", phone="0301234")
    error = await rpc_error(accounts.CreateUser(request))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(error)) == {"email", "username", "password", "phone"}


@pytest.mark.parametrize(
    "username", ["ab", "x" * 31, "has space", "émile", "at@sign"], ids=["short", "long", "space", "accent", "at"]
)
async def test_usernames_are_3_to_30_letters_digits_and_few_signs(accounts, registration, username):
    error = await rpc_error(accounts.CreateUser(registration(username=username)))
    assert set(field_violations(error)) == {"username"}


async def test_a_username_of_allowed_characters_is_accepted(accounts, registration):
    username = f"A.b-c_{uuid.uuid4().hex[:8]}"
    assert (await accounts.CreateUser(registration(username=username))).username == username


@pytest.mark.parametrize("email", ["plain", "a@b", "two@@example.com", "sp ace@example.com", f"{'x' * 65}@example.com"])
async def test_malformed_emails_are_refused(accounts, registration, email):
    error = await rpc_error(accounts.CreateUser(registration(email=email)))
    assert set(field_violations(error)) == {"email"}


async def test_the_password_may_not_be_the_username_or_the_email(accounts, registration):
    same_as_username = registration(username="Sir.Lancelot-1", password="sir.lancelot-1")
    same_as_email = registration(email="lancelot@camelot.example", password="lancelot@camelot.example")
    for request in (same_as_username, same_as_email):
        error = await rpc_error(accounts.CreateUser(request))
        assert field_violations(error) == {"password": "must not be the email or the username"}


async def test_a_password_needs_ten_characters(accounts, registration):
    error = await rpc_error(accounts.CreateUser(registration(password="123456789")))
    assert set(field_violations(error)) == {"password"}
    assert (await accounts.CreateUser(registration(password="1234567890"))).id


async def test_missing_required_fields_are_named(accounts):
    error = await rpc_error(accounts.CreateUser(pb.CreateUserRequest(username="someone")))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(error)) == {"email", "password"}


async def test_an_email_taken_in_another_letter_case_is_already_exists(accounts, registration):
    first = registration()
    await accounts.CreateUser(first)
    error = await rpc_error(accounts.CreateUser(registration(email=first.email.upper())))
    assert error.code() is grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(error) == "EMAIL_TAKEN"
    assert taken_field(error) == "email"
    assert "email" in error.details()


async def test_a_username_taken_in_another_letter_case_is_already_exists(accounts, registration):
    first = registration()
    await accounts.CreateUser(first)
    error = await rpc_error(accounts.CreateUser(registration(username=first.username.upper())))
    assert error_reason(error) == "USERNAME_TAKEN"
    assert taken_field(error) == "username"


async def test_a_phone_number_belongs_to_one_user(accounts, registration):
    phone = new_phone()
    await accounts.CreateUser(registration(phone=phone))
    error = await rpc_error(accounts.CreateUser(registration(phone=phone)))
    assert error_reason(error) == "PHONE_TAKEN"
    assert taken_field(error) == "phone"


async def test_users_without_a_phone_do_not_collide(accounts, registration):
    await accounts.CreateUser(registration())
    assert (await accounts.CreateUser(registration())).phone == ""


async def test_of_two_racing_registrations_of_one_email_exactly_one_wins(accounts, registration):
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    results = await asyncio.gather(
        accounts.CreateUser(registration(email=email)),
        accounts.CreateUser(registration(email=email.upper())),
        return_exceptions=True,
    )
    errors = [result for result in results if isinstance(result, grpc.aio.AioRpcError)]
    assert len(errors) == 1
    assert errors[0].code() is grpc.StatusCode.ALREADY_EXISTS
    assert taken_field(errors[0]) == "email"


async def test_a_registration_that_lost_the_race_after_the_check_names_the_field(accounts, registration, monkeypatch):
    first = registration()
    await accounts.CreateUser(first)

    async def nothing_taken(*args):
        return []  # as if the other registration committed just after our check

    monkeypatch.setattr(users, "taken_fields", nothing_taken)
    error = await rpc_error(accounts.CreateUser(registration(username=first.username.lower())))
    assert error.code() is grpc.StatusCode.ALREADY_EXISTS
    assert taken_field(error) == "username"


async def test_the_password_is_stored_only_as_an_argon2id_hash(accounts, registration, accounts_db):
    user = await accounts.CreateUser(registration())
    async with accounts_db.read() as session:
        stored = await session.scalar(select(User.password_hash).where(User.id == uuid.UUID(user.id)))
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "correct horse battery" not in stored


async def test_repeating_a_request_id_registers_once(accounts, registration):
    request = registration(request_id=uuid.uuid4().hex)
    first = await accounts.CreateUser(request)
    second = await accounts.CreateUser(request)
    assert first.id == second.id


async def test_a_registration_is_announced_in_the_outbox(accounts, registration, stack):
    user = await accounts.CreateUser(registration(role=resources_pb2.ROLE_SELLER))
    # The feed holds events back while an older transaction anywhere on the cluster runs: poll.
    events = await events_until(
        stack.channel("accounts", as_service="messaging"), lambda events: any(e.subject_id == user.id for e in events)
    )
    mine = [event for event in events if event.subject_id == user.id]
    assert [event.type for event in mine] == ["accounts.user.registered"]
    payload = events_pb2.UserRegistered()
    assert mine[0].payload.Unpack(payload)
    assert (payload.username, payload.role) == (user.username, resources_pb2.ROLE_SELLER)


async def test_get_me_returns_the_caller_with_their_profile(accounts, sign_up):
    me = await sign_up(phone="")
    fetched = await accounts.GetMe(pb.GetMeRequest(), metadata=me.auth)
    assert (fetched.id, fetched.email, fetched.username) == (me.user.id, me.user.email, me.user.username)
    assert fetched.HasField("profile")
    assert fetched.profile.display_name == ""
    assert not fetched.profile.HasField("location")
    assert fetched.update_time.seconds >= fetched.create_time.seconds > 0


async def test_get_me_needs_a_token(accounts):
    error = await rpc_error(accounts.GetMe(pb.GetMeRequest()))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_get_me_with_a_valid_token_of_no_user_is_not_found(accounts, signing_key):
    error = await rpc_error(accounts.GetMe(pb.GetMeRequest(), metadata=bearer(mint(signing_key))))
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert error_reason(error) == "USER_NOT_FOUND"
