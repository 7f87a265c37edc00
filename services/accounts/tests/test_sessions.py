import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import jwt
import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.protobuf import json_format
from sqlalchemy import select, update

from accounts.domain import passwords
from accounts.models import RefreshToken, User
from accounts.service import users
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import resources_pb2
from marketplace.catalog.v1 import catalog_service_pb2 as catalog_pb
from marketplace.catalog.v1 import resources_pb2 as catalog_resources
from servicekit.auth import Role, SigningKey, TokenVerifier
from testkit.grpc import error_reason, rpc_error
from testkit.tokens import AUDIENCE, ISSUER, bearer, mint


def login(login: str, password: str) -> pb.CreateSessionRequest:
    return pb.CreateSessionRequest(login=login, password=password)


def refresh(token: str) -> pb.RefreshSessionRequest:
    return pb.RefreshSessionRequest(refresh_token=token)


async def test_signing_in_by_email_gives_a_signed_access_token_and_a_refresh_token(accounts, registration, signing_key):
    request = registration()
    user = await accounts.CreateUser(request)
    session = await accounts.CreateSession(login(request.email.upper(), request.password))
    assert session.user_id == user.id
    assert session.token_type == "Bearer"
    assert session.expires_in == 15 * 60
    assert len(session.refresh_token) >= 43
    assert jwt.get_unverified_header(session.access_token) == {"alg": "EdDSA", "kid": signing_key.kid, "typ": "JWT"}
    claims = jwt.decode(
        session.access_token,
        jwt.PyJWK(signing_key.public_jwk).key,
        algorithms=["EdDSA"],
        audience=AUDIENCE,
        issuer=ISSUER,
    )
    assert claims["sub"] == user.id
    assert claims["role"] == "both"
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["jti"]


async def test_signing_in_by_username_in_any_letter_case_works(accounts, registration):
    request = registration(role=resources_pb2.ROLE_SELLER)
    user = await accounts.CreateUser(request)
    session = await accounts.CreateSession(login(request.username.swapcase(), request.password))
    assert session.user_id == user.id
    assert jwt.decode(session.access_token, options={"verify_signature": False})["role"] == "seller"


async def test_a_wrong_password_and_an_unknown_user_are_indistinguishable(accounts, registration):
    request = registration()
    await accounts.CreateUser(request)
    wrong_password = await rpc_error(accounts.CreateSession(login(request.email, "not the password")))
    unknown_user = await rpc_error(
        accounts.CreateSession(login(f"nobody-{uuid.uuid4().hex}@example.com", "whatever12"))
    )
    unknown_name = await rpc_error(accounts.CreateSession(login(f"nobody_{uuid.uuid4().hex[:8]}", "whatever12")))
    for error in (wrong_password, unknown_user, unknown_name):
        assert error.code() is grpc.StatusCode.UNAUTHENTICATED
        assert error.details() == wrong_password.details()
        assert error_reason(error) == "INVALID_CREDENTIALS"


async def test_an_unknown_user_costs_a_password_check_too(accounts, monkeypatch):
    checked = []
    real_verify = passwords._verify

    def spy(password_hash, password):
        checked.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(passwords, "_verify", spy)
    await rpc_error(accounts.CreateSession(login(f"nobody-{uuid.uuid4().hex}@example.com", "whatever12")))
    assert len(checked) == 1
    assert checked[0].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_a_suspended_user_cannot_sign_in_or_refresh(accounts, sign_up, accounts_db):
    me = await sign_up()
    async with accounts_db.begin() as session:
        await session.execute(update(User).where(User.id == uuid.UUID(me.user.id)).values(status="suspended"))
    for call in (
        accounts.CreateSession(login(me.user.email, "correct horse battery")),
        accounts.RefreshSession(refresh(me.session.refresh_token)),
    ):
        error = await rpc_error(call)
        assert error.code() is grpc.StatusCode.PERMISSION_DENIED
        assert error_reason(error) == "USER_SUSPENDED"


async def test_a_hash_made_with_weaker_parameters_is_replaced_at_sign_in(accounts, sign_up, accounts_db):
    me = await sign_up()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse battery")
    user_row = select(User.password_hash).where(User.id == uuid.UUID(me.user.id))
    async with accounts_db.begin() as session:
        await session.execute(update(User).where(User.id == uuid.UUID(me.user.id)).values(password_hash=weak))
    await accounts.CreateSession(login(me.user.username, "correct horse battery"))
    async with accounts_db.read() as session:
        stored = await session.scalar(user_row)
    assert stored != weak
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_refresh_tokens_are_stored_only_as_their_sha256(sign_up, accounts_db):
    me = await sign_up()
    async with accounts_db.read() as session:
        stored = list(
            await session.scalars(select(RefreshToken.token_hash).where(RefreshToken.user_id == uuid.UUID(me.user.id)))
        )
    assert stored == [hashlib.sha256(me.session.refresh_token.encode()).hexdigest()]


async def test_a_refresh_rotates_the_refresh_token(accounts, sign_up):
    me = await sign_up()
    second = await accounts.RefreshSession(refresh(me.session.refresh_token))
    assert second.refresh_token != me.session.refresh_token
    assert second.access_token != me.session.access_token
    assert second.user_id == me.user.id
    third = await accounts.RefreshSession(refresh(second.refresh_token))
    assert third.refresh_token not in (me.session.refresh_token, second.refresh_token)
    fetched = await accounts.GetMe(pb.GetMeRequest(), metadata=bearer(third.access_token))
    assert fetched.id == me.user.id


async def rotated_long_ago(accounts_db, refresh_token: str) -> None:
    """Moves a token's rotation back beyond the grace window, as if its retry came a minute later."""
    async with accounts_db.begin() as session:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == hashlib.sha256(refresh_token.encode()).hexdigest())
            .values(revoked_at=RefreshToken.revoked_at - timedelta(minutes=1))
        )


async def test_a_refresh_token_retried_within_the_grace_window_gets_a_sibling_and_revokes_nothing(accounts, sign_up):
    me = await sign_up()
    first = await accounts.RefreshSession(refresh(me.session.refresh_token))
    retried = await accounts.RefreshSession(refresh(me.session.refresh_token))
    assert retried.user_id == me.user.id
    assert retried.refresh_token not in (me.session.refresh_token, first.refresh_token)
    # Both answers work: the client kept whichever reached it.
    for session in (first, retried):
        assert (await accounts.GetMe(pb.GetMeRequest(), metadata=bearer(session.access_token))).id == me.user.id
        assert (await accounts.RefreshSession(refresh(session.refresh_token))).user_id == me.user.id


async def test_a_refresh_token_reused_after_the_grace_window_revokes_its_whole_family(accounts, sign_up, accounts_db):
    me = await sign_up()
    other_device = await accounts.CreateSession(login(me.user.email, "correct horse battery"))
    current = await accounts.RefreshSession(refresh(me.session.refresh_token))
    await rotated_long_ago(accounts_db, me.session.refresh_token)
    reused = await rpc_error(accounts.RefreshSession(refresh(me.session.refresh_token)))
    assert reused.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(reused) == "REFRESH_TOKEN_REUSED"
    # The thief's copy or the owner's: whoever holds the newest token of the family is out too.
    after = await rpc_error(accounts.RefreshSession(refresh(current.refresh_token)))
    assert after.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(after) == "REFRESH_TOKEN_INVALID"
    # Another sign-in is another family and keeps working.
    assert (await accounts.RefreshSession(refresh(other_device.refresh_token))).user_id == me.user.id


async def test_a_refresh_token_retried_after_signing_out_is_refused_even_within_the_grace_window(accounts, sign_up):
    me = await sign_up()
    current = await accounts.RefreshSession(refresh(me.session.refresh_token))
    await accounts.RevokeSession(pb.RevokeSessionRequest(refresh_token=current.refresh_token))
    error = await rpc_error(accounts.RefreshSession(refresh(me.session.refresh_token)))
    assert error_reason(error) == "REFRESH_TOKEN_INVALID"


async def test_with_no_grace_window_the_first_reuse_revokes_the_family(accounts_replica, sign_up):
    me = await sign_up()
    async with accounts_replica(refresh_token_reuse_grace_seconds=0) as accounts:
        current = await accounts.RefreshSession(refresh(me.session.refresh_token))
        reused = await rpc_error(accounts.RefreshSession(refresh(me.session.refresh_token)))
        assert error_reason(reused) == "REFRESH_TOKEN_REUSED"
        assert error_reason(await rpc_error(accounts.RefreshSession(refresh(current.refresh_token)))) == (
            "REFRESH_TOKEN_INVALID"
        )


async def test_two_refreshes_of_one_token_at_once_both_get_a_session(accounts, sign_up):
    me = await sign_up()
    sessions = await asyncio.gather(
        accounts.RefreshSession(refresh(me.session.refresh_token)),
        accounts.RefreshSession(refresh(me.session.refresh_token)),
    )
    assert len({session.refresh_token for session in sessions}) == 2
    assert {session.user_id for session in sessions} == {me.user.id}


async def test_an_unknown_refresh_token_is_unauthenticated(accounts):
    error = await rpc_error(accounts.RefreshSession(refresh("not-a-token-we-gave")))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(error) == "REFRESH_TOKEN_INVALID"


async def test_an_expired_refresh_token_is_unauthenticated(accounts, sign_up, accounts_db):
    me = await sign_up()
    long_ago = datetime.now(UTC) - timedelta(days=90)
    async with accounts_db.begin() as session:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == uuid.UUID(me.user.id))
            .values(created_at=long_ago, expires_at=long_ago + timedelta(days=30))
        )
    error = await rpc_error(accounts.RefreshSession(refresh(me.session.refresh_token)))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in error.details()


async def test_signing_out_revokes_the_refresh_token(accounts, sign_up):
    me = await sign_up()
    current = await accounts.RefreshSession(refresh(me.session.refresh_token))
    await accounts.RevokeSession(pb.RevokeSessionRequest(refresh_token=current.refresh_token))
    error = await rpc_error(accounts.RefreshSession(refresh(current.refresh_token)))
    assert error_reason(error) == "REFRESH_TOKEN_INVALID"
    await accounts.RevokeSession(pb.RevokeSessionRequest(refresh_token="unknown"))  # signing out twice is fine


async def test_the_signing_keys_are_the_public_half_of_the_key_that_signs(accounts, sign_up, signing_key):
    response = await accounts.ListSigningKeys(pb.ListSigningKeysRequest())
    keys = [json_format.MessageToDict(key, preserving_proto_field_name=True) for key in response.keys]
    assert keys == [signing_key.public_jwk]
    assert "d" not in keys[0]
    me = await sign_up()
    verifier = TokenVerifier({"keys": keys}, issuer=ISSUER, audience=AUDIENCE)
    assert str(verifier.verify(me.session.access_token).user_id) == me.user.id


def forged(signing_key: SigningKey) -> str:
    """A token claiming to be signed by the real key (its kid) but signed by another."""
    claims = jwt.decode(mint(signing_key, role=Role.ADMIN), options={"verify_signature": False})
    return jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": signing_key.kid})


@pytest.mark.parametrize("kind", ["forged", "unknown key", "expired", "wrong audience"])
async def test_bad_tokens_are_refused_by_accounts_and_by_catalog(accounts, catalog, signing_key, kind):
    token = {
        "forged": lambda: forged(signing_key),
        "unknown key": lambda: mint(SigningKey.generate(), role=Role.ADMIN),
        "expired": lambda: mint(signing_key, role=Role.ADMIN, ttl=timedelta(seconds=-60)),
        "wrong audience": lambda: mint(signing_key, role=Role.ADMIN, audience="someone-else"),
    }[kind]()
    game = catalog_pb.CreateGameRequest(game=catalog_resources.Game(name=f"Game {uuid.uuid4().hex[:8]}"))
    for call in (
        accounts.GetMe(pb.GetMeRequest(), metadata=bearer(token)),
        catalog.CreateGame(game, metadata=bearer(token)),
    ):
        error = await rpc_error(call)
        assert error.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_catalog_accepts_the_token_of_a_signed_in_admin(accounts, catalog, accounts_db, sign_up):
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    await users.ensure_admin(accounts_db, email, "admin password 1")
    admin = await accounts.CreateSession(login(email, "admin password 1"))
    name = f"Game {uuid.uuid4().hex[:8]}"
    game = await catalog.CreateGame(
        catalog_pb.CreateGameRequest(game=catalog_resources.Game(name=name)), metadata=bearer(admin.access_token)
    )
    assert game.name == name
    user = await sign_up()
    error = await rpc_error(
        catalog.CreateGame(
            catalog_pb.CreateGameRequest(game=catalog_resources.Game(name=f"{name} 2")), metadata=user.auth
        )
    )
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
